// The GPU speed levers: each is on by default where it pays. STORYBRUSH_LEVERS="-graphs,+cudnn_benchmark,..." switches
// them one at a time (a leading '-' turns one off, '+' on), so `bench` can show what each is worth; read once per
// process. What each was measured to be worth: docs/performance.md.
#pragma once

#include <string>

namespace storybrush::runtime {

struct SpeedLevers {
    bool cudaGraphs = true;  // the UNet step captured once per shape and replayed (CUDA build only)
    // cuDNN times its algorithms once per convolution shape and keeps the fastest. Off: warm steps gain nothing
    // measurable, and the timing makes the first picture wait.
    bool cudnnBenchmark = false;
    bool vaeBf16 = true;       // on the GPU the VAE runs in BF16 (FP16 overflows; FP32 is twice the work)
    bool channelsLast = true;  // NHWC convolutions in the UNet: cuDNN's half-precision kernels need no transposes
    // The same in the VAE. With the GPU GroupNorm below it costs no time and saves the layout copies' memory.
    bool vaeChannelsLast = true;
    bool spreadGroupNorm = true;  // GroupNorm statistics by whole-GPU reductions (models/layers.cpp)
    // Qwen-Image's true CFG as one batch-2 transformer call (the shorter prompt padded and masked off) instead of
    // two calls. Off: the mask keeps attention off its fastest kernel, so the batched call is slower.
    bool batchedTrueCfg = false;
    // The caching allocator grows its segments in place instead of keeping freed blocks of odd sizes apart, so
    // weights that only just fit a card (Qwen-Image with FP8 blocks on 24 GB) still fit once the run has churned
    // memory. Applied only where the user set no allocator config.
    bool expandableSegments = true;
    // GroupNorm (+ SiLU) on channels-last half tensors as one kernel of our own (runtime/fused_ops.h) instead of
    // PyTorch's NCHW group_norm with its layout copies and a separate SiLU, and GEGLU's gate (half * gelu(other
    // half)) as one kernel, in 16-byte vectors where aligned, instead of two.
    bool fusedGroupNorm = true;
    bool fusedGeglu = true;
    // The fused GroupNorm's statistics spread over the whole GPU with coalesced reads (three short kernels:
    // statistics, finalize, apply) instead of one thread block per group, which leaves most of the GPU idle at
    // SD 1.5's layer sizes. The finalize pass stays a launch of its own: doing it in the statistics kernel's last
    // block costs more than the launch it saves.
    bool fusedGroupNormSplit = true;
    // 1x1 convolutions over channels-last inputs as GEMMs with the bias in the epilogue (models/layers.h) instead of
    // cuDNN's convolution and PyTorch's separate bias add. Off: its gain is within the run-to-run spread.
    bool pointwiseConvGemm = false;
    // Convolution biases (and a ResNet's bias + time embedding, and its conv2 bias + shortcut) added by one
    // vectorised kernel of our own over the channels-last output instead of PyTorch's broadcasting add and separate
    // residual pass.
    bool fusedChannelAdd = true;
    // The cross-attention keys and values of the text context made once a picture (models::CrossAttentionKeys)
    // instead of in every UNet call: SD 1.5 projects its context 32 times a step, SDXL 140 times.
    bool crossAttentionKeys = true;
    // Self-attention's q, k and v as one GEMM over their weights laid end to end (models::AttentionImpl::qkvWeight)
    // instead of three: 32 launches fewer an SD 1.5 step.
    bool fusedQkv = true;
    // While a model's weights are read from disk, a second thread runs one small operation of each kind the first
    // picture needs on the GPU (convolutions in FP16 and BF16, matrix products, attention, GroupNorm), so loading
    // cuBLAS, cuDNN and their kernels is done before the first picture asks for them (runtime/warm_up.h).
    bool gpuWarmUp = true;
    // Weights cross to the GPU through two pinned staging buffers, each tensor's copy started as soon as its bytes
    // are staged, instead of one synchronous pageable copy per tensor (models/weights.cpp). Off: the staging copies
    // and pinned allocations cost more than the bus time they overlap.
    bool pinnedUpload = false;
    // While a second thread copies the weights, the thread that will sample calls the still-empty UNet and VAE once,
    // so cuDNN's plans (kept per thread) are made during the load instead of in the first step
    // (pipeline/families/stable_diffusion.cpp). It replaces the warm-up thread above for SD models.
    bool planWhileLoading = true;
    // Each weight's pages of the mapped file are mapped into the process in one call just before its copy
    // (io::populateForReading) instead of by a fault every few pages as the copy reads them. It pays where page
    // faults are dear (small CPUs) and costs nothing where they are cheap.
    bool populatePages = true;
};

const SpeedLevers& speedLevers();
// "graphs+ cudnn_benchmark+ vae_bf16+ channels_last-": what a benchmark ran with.
std::string describeSpeedLevers();

// Turns on what the levers ask of libtorch's global state (cuDNN benchmark mode, the allocator's settings) before
// the first GPU work.
void applySpeedLevers();

}  // namespace storybrush::runtime
