// Safetensors writer: an 8-byte header length, a JSON header (dtype, shape, data_offsets per tensor, padded with
// spaces to a multiple of 8 as the reference writer does), then the raw bytes.
#include "io/safetensors_writer.h"

#include <storybrush/error.h>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace storybrush::io {
namespace {

const char* fileDtype(torch::ScalarType type) {
    switch (type) {
    case torch::kFloat32: return "F32";
    case torch::kFloat16: return "F16";
    case torch::kBFloat16: return "BF16";
    case torch::kInt64: return "I64";
    case torch::kInt32: return "I32";
    case torch::kUInt8: return "U8";
    default: return nullptr;
    }
}

}  // namespace

void writeSafetensors(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
    nlohmann::json header = nlohmann::json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    std::vector<torch::Tensor> blobs;
    blobs.reserve(tensors.size());
    std::int64_t offset = 0;
    for (const auto& [name, tensor] : tensors) {
        const char* dtype = fileDtype(tensor.scalar_type());
        if (!dtype)
            throw Error(ErrorKind::InvalidRequest,
                        "safetensors: tensor " + name + " has a dtype this writer does not store");
        auto blob = tensor.detach().to(torch::kCPU).contiguous();
        const std::int64_t bytes = blob.numel() * static_cast<std::int64_t>(blob.element_size());
        header[name] = {{"dtype", dtype}, {"shape", blob.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
        blobs.push_back(std::move(blob));
    }
    std::string headerText = header.dump();
    headerText.append((8 - headerText.size() % 8) % 8, ' ');
    const auto headerSize = static_cast<std::uint64_t>(headerText.size());

    const std::string partPath = path + ".part";
    {
        std::ofstream out(partPath, std::ios::binary | std::ios::trunc);
        unsigned char sizeBytes[8];
        for (int i = 0; i < 8; ++i) sizeBytes[i] = static_cast<unsigned char>((headerSize >> (8 * i)) & 0xff);
        out.write(reinterpret_cast<const char*>(sizeBytes), 8);
        out.write(headerText.data(), static_cast<std::streamsize>(headerText.size()));
        for (const auto& blob : blobs) {
            out.write(static_cast<const char*>(blob.data_ptr()),
                      static_cast<std::streamsize>(blob.numel() * static_cast<std::int64_t>(blob.element_size())));
        }
        out.flush();
        if (!out) {
            out.close();
            std::remove(partPath.c_str());
            throw Error(ErrorKind::Io, "Could not write " + path + " (is the disk full or the folder read-only?)");
        }
    }
    std::error_code ec;
    std::filesystem::rename(partPath, path, ec);
    if (ec) {
        std::remove(partPath.c_str());
        throw Error(ErrorKind::Io, "Could not write " + path + ": " + ec.message());
    }
}

}  // namespace storybrush::io
