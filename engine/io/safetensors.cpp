// Reading .safetensors files: mmap, a header checked against the file before any byte is trusted, and
// zero-copy CPU tensor views. Format: ref: huggingface/safetensors README "Format" (8-byte little-endian
// header length N, N bytes of UTF-8 JSON, then the data buffer; data_offsets are relative to that buffer).
#include "io/safetensors.h"

#include "runtime/torch_compat.h"

#include <storybrush/error.h>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <unordered_map>

namespace storybrush::io {
namespace {

// ref: safetensors' own parser refuses headers over 100 MB (MAX_HEADER_SIZE); real ones are < 1 MB.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

struct DTypeEntry {
    DType dtype;
    std::string_view name;
    std::size_t size;
};

constexpr DTypeEntry kDTypes[] = {
    {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2}, {DType::F32, "F32", 4},         {DType::F64, "F64", 8},
    {DType::I64, "I64", 8}, {DType::I32, "I32", 4},   {DType::I16, "I16", 2},         {DType::I8, "I8", 1},
    {DType::U8, "U8", 1},   {DType::Bool, "BOOL", 1}, {DType::F8_E4M3, "F8_E4M3", 1}, {DType::F8_E5M2, "F8_E5M2", 1},
};

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
    throw Error(ErrorKind::ModelFile, "model file " + path + ": " + problem);
}

[[noreturn]] void failCorrupt(const std::string& path, const std::string& problem) {
    fail(path, problem + ". The file is damaged or not a .safetensors file: download or convert it again.");
}

std::string lowerExtension(const std::string& path) {
    const auto slash = path.find_last_of('/');
    const auto dot = path.find_last_of('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return {};
    std::string ext = path.substr(dot);
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return ext;
}

}  // namespace

std::string pickleRefusal(const std::string& path, const std::string& why) {
    // Unpickling runs arbitrary Python (ref: Python docs, pickle "Warning: not secure"), so we never do it.
    return "model file " + path + " " + why +
           ": pickle files can run any code hidden in them, so Storybrush never opens them. Convert it once "
           "to .safetensors with Python (torch and safetensors installed):\n  python -c \"import torch; "
           "from safetensors.torch import save_file; sd = torch.load('" +
           path +
           "', map_location='cpu', weights_only=True); sd = sd.get('state_dict', sd); "
           "save_file({k: v.clone().contiguous() for k, v in sd.items() if isinstance(v, torch.Tensor)}, '" +
           path + ".safetensors')\"\nthen open the .safetensors file.";
}

bool isPicklePath(const std::string& path) {
    const std::string ext = lowerExtension(path);
    return ext == ".ckpt" || ext == ".pt" || ext == ".pth" || ext == ".bin" || ext == ".pkl" || ext == ".pickle";
}

std::string_view dtypeName(DType dtype) {
    for (const auto& entry : kDTypes)
        if (entry.dtype == dtype) return entry.name;
    return "?";
}

std::size_t dtypeSize(DType dtype) {
    for (const auto& entry : kDTypes)
        if (entry.dtype == dtype) return entry.size;
    return 0;
}

struct SafetensorsFile::Impl {
    std::string path;
    const std::uint8_t* map = nullptr;
    std::uint64_t fileSize = 0;
    std::uint64_t dataStart = 0;  // 8 + header length
    std::vector<TensorInfo> tensors;
    std::unordered_map<std::string, std::size_t> index;
    std::map<std::string, std::string> metadata;

    ~Impl() {
        if (map) ::munmap(const_cast<std::uint8_t*>(map), fileSize);
    }

    void mapFile();
    void parseHeader();
    void parseTensor(const std::string& name, const nlohmann::ordered_json& entry);
    void checkLayout();
};

void SafetensorsFile::Impl::mapFile() {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        const int err = errno;
        if (err == ENOENT) fail(path, "no such file. Check the path, or pick the model again in Settings");
        fail(path, std::string("cannot be read (") + std::strerror(err) + "). Check its permissions");
    }
    if (S_ISDIR(st.st_mode))
        fail(path, "is a folder, not a .safetensors file. Open the folder as a diffusers model, or pick the "
                   ".safetensors file inside it");
    if (!S_ISREG(st.st_mode)) fail(path, "is not a regular file. Pick a .safetensors file");

    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(path, std::string("cannot be opened (") + std::strerror(errno) + "). Check its permissions");
    struct stat fst {};
    if (::fstat(fd, &fst) != 0) {
        const int err = errno;
        ::close(fd);
        fail(path, std::string("cannot be read (") + std::strerror(err) + ")");
    }
    fileSize = static_cast<std::uint64_t>(fst.st_size);
    if (fileSize < 8) {
        ::close(fd);
        failCorrupt(path, "only " + std::to_string(fileSize) + " bytes long, shorter than the 8-byte header length");
    }
    void* mapped = ::mmap(nullptr, fileSize, PROT_READ, MAP_PRIVATE, fd, 0);
    const int err = errno;
    ::close(fd);  // the mapping stays valid after close
    if (mapped == MAP_FAILED) fail(path, std::string("cannot be memory-mapped (") + std::strerror(err) + ")");
    map = static_cast<const std::uint8_t*>(mapped);
}

void SafetensorsFile::Impl::parseHeader() {
    std::uint64_t headerLength = 0;
    for (int i = 7; i >= 0; --i) headerLength = (headerLength << 8) | map[i];  // little-endian

    // Files that are really pickles or zips despite their name: a pickle starts 0x80 <protocol>, a
    // PyTorch zip archive "PK\3\4".
    if ((map[0] == 0x80 && map[1] >= 2 && map[1] <= 5) || (map[0] == 'P' && map[1] == 'K' && map[2] == 3))
        throw Error(ErrorKind::ModelFile, pickleRefusal(path, "holds a PyTorch pickle, whatever its name says"));

    if (headerLength > kMaxHeaderBytes)
        failCorrupt(path, "header length " + std::to_string(headerLength) + " bytes is absurd (limit " +
                              std::to_string(kMaxHeaderBytes) + ")");
    if (headerLength > fileSize - 8)
        failCorrupt(path, "header length " + std::to_string(headerLength) + " bytes is larger than the file (" +
                              std::to_string(fileSize) + " bytes); the file may be cut short");
    if (headerLength < 2) failCorrupt(path, "header of " + std::to_string(headerLength) + " bytes cannot be JSON");
    dataStart = 8 + headerLength;

    const char* begin = reinterpret_cast<const char*>(map + 8);
    nlohmann::ordered_json header;
    try {
        header = nlohmann::ordered_json::parse(begin, begin + headerLength);
    } catch (const nlohmann::json::exception& error) {
        failCorrupt(path, std::string("header is not valid JSON (") + error.what() + ")");
    }
    if (!header.is_object()) failCorrupt(path, "header is JSON but not an object");

    for (const auto& [name, entry] : header.items()) {
        if (name == "__metadata__") {
            if (!entry.is_object()) failCorrupt(path, "\"__metadata__\" is not an object");
            for (const auto& [key, value] : entry.items()) {
                if (!value.is_string()) failCorrupt(path, "metadata value \"" + key + "\" is not a string");
                metadata[key] = value.get<std::string>();
            }
            continue;
        }
        parseTensor(name, entry);
    }
    checkLayout();
}

void SafetensorsFile::Impl::parseTensor(const std::string& name, const nlohmann::ordered_json& entry) {
    const std::string where = "tensor \"" + name + "\"";
    if (!entry.is_object()) failCorrupt(path, where + " is not a JSON object");
    const auto dtypeIt = entry.find("dtype");
    const auto shapeIt = entry.find("shape");
    const auto offsetsIt = entry.find("data_offsets");
    if (dtypeIt == entry.end() || !dtypeIt->is_string()) failCorrupt(path, where + " has no \"dtype\" string");
    if (shapeIt == entry.end() || !shapeIt->is_array()) failCorrupt(path, where + " has no \"shape\" array");
    if (offsetsIt == entry.end() || !offsetsIt->is_array() || offsetsIt->size() != 2)
        failCorrupt(path, where + " has no \"data_offsets\" pair");

    TensorInfo info;
    info.name = name;
    const std::string dtypeText = dtypeIt->get<std::string>();
    const DTypeEntry* found = nullptr;
    for (const auto& candidate : kDTypes)
        if (candidate.name == dtypeText) found = &candidate;
    if (!found)
        fail(path, where + " has dtype \"" + dtypeText +
                       "\", which Storybrush does not read (it reads F16, BF16, F32, F64, I64, I32, I16, I8, U8, "
                       "BOOL, F8_E4M3, F8_E5M2). Convert the file to float16 or float32");
    info.dtype = found->dtype;

    // numel with overflow checks: every dimension must be a non-negative integer, the product must fit.
    std::uint64_t count = 1;
    bool overflow = false;
    for (const auto& dim : *shapeIt) {
        if (!dim.is_number_unsigned())  // nlohmann parses non-negative integers as unsigned
            failCorrupt(path, where + " has a shape entry that is not a non-negative integer: " + dim.dump());
        const std::uint64_t value = dim.get<std::uint64_t>();
        if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            failCorrupt(path, where + " has a shape entry too large: " + dim.dump());
        info.shape.push_back(static_cast<std::int64_t>(value));
        if (value != 0 && count > std::numeric_limits<std::uint64_t>::max() / value) overflow = true;
        count *= value;
    }
    if (overflow || count > std::numeric_limits<std::uint64_t>::max() / found->size)
        failCorrupt(path, where + " has a shape " + shapeIt->dump() + " whose size overflows");
    info.byteSize = count * found->size;

    std::uint64_t offsets[2] = {0, 0};
    for (int i = 0; i < 2; ++i) {
        const auto& value = (*offsetsIt)[static_cast<std::size_t>(i)];
        if (!value.is_number_unsigned())
            failCorrupt(path, where + " has data_offsets that are not non-negative integers: " + offsetsIt->dump());
        offsets[i] = value.get<std::uint64_t>();
    }
    const std::uint64_t dataSize = fileSize - dataStart;
    if (offsets[0] > offsets[1])
        failCorrupt(path, where + " has data_offsets " + offsetsIt->dump() + " that end before they begin");
    if (offsets[1] > dataSize)
        failCorrupt(path, where + " has data_offsets " + offsetsIt->dump() + " past the end of the data (" +
                              std::to_string(dataSize) + " bytes); the file may be cut short");
    if (offsets[1] - offsets[0] != info.byteSize)
        failCorrupt(path, where + " holds " + std::to_string(offsets[1] - offsets[0]) + " bytes, but shape " +
                              shapeIt->dump() + " of " + dtypeText + " needs " + std::to_string(info.byteSize));
    info.dataOffset = dataStart + offsets[0];

    if (index.count(name)) failCorrupt(path, where + " appears twice in the header");
    index.emplace(name, tensors.size());
    tensors.push_back(std::move(info));
}

void SafetensorsFile::Impl::checkLayout() {
    // No two tensors may share bytes: a view into one must never alias another (ref: safetensors'
    // validate(), which requires the data_offsets to tile the buffer in order).
    std::vector<const TensorInfo*> byOffset;
    byOffset.reserve(tensors.size());
    for (const auto& info : tensors)
        if (info.byteSize > 0) byOffset.push_back(&info);
    std::sort(byOffset.begin(), byOffset.end(),
              [](const TensorInfo* a, const TensorInfo* b) { return a->dataOffset < b->dataOffset; });
    for (std::size_t i = 1; i < byOffset.size(); ++i) {
        const TensorInfo& previous = *byOffset[i - 1];
        if (byOffset[i]->dataOffset < previous.dataOffset + previous.byteSize)
            failCorrupt(path,
                        "tensors \"" + previous.name + "\" and \"" + byOffset[i]->name + "\" overlap in the file");
    }
}

SafetensorsFile::SafetensorsFile() : m_impl(std::make_unique<Impl>()) {}
SafetensorsFile::~SafetensorsFile() = default;

std::shared_ptr<const SafetensorsFile> SafetensorsFile::open(const std::string& path) {
    if (isPicklePath(path)) throw Error(ErrorKind::ModelFile, pickleRefusal(path, "is a pickle file"));
    std::shared_ptr<SafetensorsFile> file(new SafetensorsFile());
    file->m_impl->path = path;
    file->m_impl->mapFile();
    file->m_impl->parseHeader();
    return file;
}

const std::string& SafetensorsFile::path() const { return m_impl->path; }
const std::vector<TensorInfo>& SafetensorsFile::tensors() const { return m_impl->tensors; }

const TensorInfo* SafetensorsFile::find(std::string_view name) const {
    const auto it = m_impl->index.find(std::string(name));
    return it == m_impl->index.end() ? nullptr : &m_impl->tensors[it->second];
}

const std::map<std::string, std::string>& SafetensorsFile::metadata() const { return m_impl->metadata; }

const std::uint8_t* SafetensorsFile::data(const TensorInfo& info) const { return m_impl->map + info.dataOffset; }

torch::Tensor tensorView(const std::shared_ptr<const SafetensorsFile>& file, const TensorInfo& info) {
    c10::ScalarType type = c10::ScalarType::Float;
    switch (info.dtype) {
    case DType::F16: type = c10::ScalarType::Half; break;
    case DType::BF16: type = c10::ScalarType::BFloat16; break;
    case DType::F32: type = c10::ScalarType::Float; break;
    case DType::F64: type = c10::ScalarType::Double; break;
    case DType::I64: type = c10::ScalarType::Long; break;
    case DType::I32: type = c10::ScalarType::Int; break;
    case DType::I16: type = c10::ScalarType::Short; break;
    case DType::I8: type = c10::ScalarType::Char; break;
    case DType::U8: type = c10::ScalarType::Byte; break;
    case DType::Bool: type = c10::ScalarType::Bool; break;
    case DType::F8_E4M3:
        // ComfyUI's fp8_e4m3fn transformers: plain casts, widened when loaded
        if (runtime::float8Supported()) {
            type = runtime::float8E4M3Type();
            break;
        }
        [[fallthrough]];
    case DType::F8_E5M2:
        throw Error(ErrorKind::UnsupportedModel,
                    "model file " + file->path() + ": tensor \"" + info.name + "\" is stored as " +
                        std::string(dtypeName(info.dtype)) +
                        " (8-bit float), which Storybrush cannot compute with yet. Use a float16 version of the model");
    }
    const auto options = torch::TensorOptions().dtype(type).device(torch::kCPU);
    const std::uint8_t* bytes = file->data(info);
    // A writer that did not pad its header (the reference pads it to 8 bytes) leaves the data unaligned:
    // copy those few tensors into aligned memory rather than hand libtorch a misaligned pointer.
    if (reinterpret_cast<std::uintptr_t>(bytes) % dtypeSize(info.dtype) != 0) {
        auto copy = torch::empty(info.shape, options);
        std::memcpy(copy.data_ptr(), bytes, info.byteSize);
        return copy;
    }
    std::shared_ptr<const SafetensorsFile> keepMapped = file;
    return torch::from_blob(
        const_cast<std::uint8_t*>(bytes), info.shape, [keepMapped](void*) mutable { keepMapped.reset(); }, options);
}

void populateForReading(const void* bytes, std::size_t size) {
#ifdef __linux__
#ifndef MADV_POPULATE_READ
    constexpr int MADV_POPULATE_READ = 22;  // <linux/mman.h> since 5.14; older glibc headers lack it
#endif
    static const auto pageSize = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto begin = reinterpret_cast<std::uintptr_t>(bytes) / pageSize * pageSize;
    const auto end = reinterpret_cast<std::uintptr_t>(bytes) + size;
    if (size == 0) return;
    // Failure (an older kernel: EINVAL) only means the copy faults the pages in as before.
    (void)::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_READ);
#else
    (void)bytes;
    (void)size;
#endif
}

}  // namespace storybrush::io
