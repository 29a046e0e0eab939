// Speed levers from STORYBRUSH_LEVERS.
#include "runtime/speed.h"

#include <torch/torch.h>

#include <cstdlib>
#include <sstream>

namespace storybrush::runtime {

namespace {

SpeedLevers readLevers() {
    SpeedLevers levers;
    const char* text = std::getenv("STORYBRUSH_LEVERS");
    std::istringstream words(text ? text : "");
    std::string word;
    while (std::getline(words, word, ',')) {
        if (word.size() < 2 || (word[0] != '-' && word[0] != '+')) continue;
        const bool on = word[0] == '+';
        const std::string name = word.substr(1);
        if (name == "graphs") levers.cudaGraphs = on;
        else if (name == "cudnn_benchmark") levers.cudnnBenchmark = on;
        else if (name == "vae_bf16") levers.vaeBf16 = on;
        else if (name == "channels_last") levers.channelsLast = on;
        else if (name == "vae_channels_last") levers.vaeChannelsLast = on;
        else if (name == "group_norm") levers.spreadGroupNorm = on;
        else if (name == "batched_cfg") levers.batchedTrueCfg = on;
        else if (name == "expandable_segments") levers.expandableSegments = on;
        else if (name == "fused_group_norm") levers.fusedGroupNorm = on;
        else if (name == "fused_geglu") levers.fusedGeglu = on;
        else if (name == "fused_group_norm_split") levers.fusedGroupNormSplit = on;
        else if (name == "pointwise_conv_gemm") levers.pointwiseConvGemm = on;
        else if (name == "fused_channel_add") levers.fusedChannelAdd = on;
        else if (name == "cross_attention_keys") levers.crossAttentionKeys = on;
        else if (name == "fused_qkv") levers.fusedQkv = on;
        else if (name == "gpu_warm_up") levers.gpuWarmUp = on;
        else if (name == "pinned_upload") levers.pinnedUpload = on;
        else if (name == "plan_while_loading") levers.planWhileLoading = on;
        else if (name == "populate_pages") levers.populatePages = on;
    }
    return levers;
}

}  // namespace

const SpeedLevers& speedLevers() {
    static const SpeedLevers levers = readLevers();
    return levers;
}

std::string describeSpeedLevers() {
    const auto& l = speedLevers();
    const auto mark = [](bool on) { return on ? "+" : "-"; };
    return std::string("graphs") + mark(l.cudaGraphs) + " cudnn_benchmark" + mark(l.cudnnBenchmark) + " vae_bf16" +
           mark(l.vaeBf16) + " channels_last" + mark(l.channelsLast) + " vae_channels_last" + mark(l.vaeChannelsLast) +
           " group_norm" + mark(l.spreadGroupNorm) + " batched_cfg" + mark(l.batchedTrueCfg) + " expandable_segments" +
           mark(l.expandableSegments) + " fused_group_norm" + mark(l.fusedGroupNorm) + " fused_geglu" +
           mark(l.fusedGeglu) + " fused_group_norm_split" + mark(l.fusedGroupNormSplit) + " pointwise_conv_gemm" +
           mark(l.pointwiseConvGemm) + " fused_channel_add" + mark(l.fusedChannelAdd) + " cross_attention_keys" +
           mark(l.crossAttentionKeys) + " fused_qkv" + mark(l.fusedQkv) + " gpu_warm_up" + mark(l.gpuWarmUp) +
           " pinned_upload" + mark(l.pinnedUpload) + " plan_while_loading" + mark(l.planWhileLoading) +
           " populate_pages" + mark(l.populatePages);
}

void applySpeedLevers() {
    at::globalContext().setBenchmarkCuDNN(speedLevers().cudnnBenchmark);
    // The allocator reads its settings when it first allocates, which has not happened yet.
    if (speedLevers().expandableSegments && !std::getenv("PYTORCH_CUDA_ALLOC_CONF") &&
        !std::getenv("PYTORCH_ALLOC_CONF"))
        ::setenv("PYTORCH_CUDA_ALLOC_CONF", "expandable_segments:True", 0);
}

}  // namespace storybrush::runtime
