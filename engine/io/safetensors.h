// Reading .safetensors files: memory-mapped, zero-copy, every offset, length, dtype and shape checked
// against the file before any byte is trusted.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace storybrush::io {

enum class DType { F16, BF16, F32, F64, I64, I32, I16, I8, U8, Bool, F8_E4M3, F8_E5M2 };
std::string_view dtypeName(DType dtype);  // the file's spelling: "F16", "BF16", ...
std::size_t dtypeSize(DType dtype);

struct TensorInfo {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::int64_t> shape;
    std::uint64_t dataOffset = 0;  // from the start of the file
    std::uint64_t byteSize = 0;
};

class SafetensorsFile {
public:
    // Maps the file and checks its header (JSON well formed, offsets inside the file and not
    // overlapping, byte lengths equal to shape x dtype size). Throws Error(ModelFile) that names the
    // file and the problem; refuses pickle formats (.ckpt/.pt/.bin) with how to convert them.
    static std::shared_ptr<const SafetensorsFile> open(const std::string& path);
    ~SafetensorsFile();
    SafetensorsFile(const SafetensorsFile&) = delete;
    SafetensorsFile& operator=(const SafetensorsFile&) = delete;

    const std::string& path() const;
    const std::vector<TensorInfo>& tensors() const;  // in file order
    const TensorInfo* find(std::string_view name) const;
    const std::map<std::string, std::string>& metadata() const;  // "__metadata__"
    const std::uint8_t* data(const TensorInfo& info) const;

private:
    SafetensorsFile();
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// A CPU tensor viewing the mapped bytes (read-only: never write into it); it keeps the file mapped
// for as long as the tensor lives. F8 types are refused with a message.
torch::Tensor tensorView(const std::shared_ptr<const SafetensorsFile>& file, const TensorInfo& info);

// Maps the pages under [bytes, bytes + size) into this process in one call before they are read (Linux 5.14's
// MADV_POPULATE_READ; elsewhere nothing). A mapped file read page by page costs a fault every few pages, which is
// dear on small CPUs (the `populate_pages` lever, docs/performance.md).
void populateForReading(const void* bytes, std::size_t size);

// Pickle formats (.ckpt/.pt/.pth/.bin/.pkl), refused by name: loading a pickle can run code.
bool isPicklePath(const std::string& path);
// The refusal message for a pickle file: why Storybrush never opens it and the one-line conversion.
std::string pickleRefusal(const std::string& path, const std::string& why);

}  // namespace storybrush::io
