// The GPU speed levers (issue 9), each on by default where it pays. They can be switched off one at a time,
// for `bench` to measure what each is worth, with STORYBRUSH_LEVERS="-graphs,+cudnn_benchmark,..." (a leading
// '-' turns one off, '+' on). Read once per process.
#pragma once

#include <string>

namespace storybrush::runtime {

struct SpeedLevers {
    bool cudaGraphs = true;       // the UNet step captured once per shape and replayed (CUDA build only)
    // cuDNN times its algorithms once per convolution shape and keeps the fastest. Off: on the H100 it gained
    // nothing once warm (12.32 vs 12.35 ms a step, VAE 28.5 vs 28.1 ms) and the timing costs the first picture.
    bool cudnnBenchmark = false;
    bool vaeBf16 = true;          // on the GPU the VAE runs in BF16 (FP16 overflows; FP32 is twice the work)
    bool channelsLast = true;     // NHWC convolutions in the UNet (H100: 12.4 -> 10.5 ms a step)
    // The same in the VAE. With the GPU GroupNorm below it costs no time and saves the layout copies' memory
    // (SD 1.5 peak 2.67 -> 2.54 GiB, SDXL 9.0 -> 8.5 GiB on the H100).
    bool vaeChannelsLast = true;
    bool spreadGroupNorm = true;  // GroupNorm statistics by whole-GPU reductions (models/layers.cpp)
    // Qwen-Image's true CFG as one batch-2 transformer call (the shorter prompt padded and masked off) instead of
    // two calls. Off: the mask keeps attention off its fastest kernel (H100, 1024², BF16: 479 vs 425 ms a step).
    bool batchedTrueCfg = false;
    // The caching allocator grows its segments in place instead of keeping freed blocks of odd sizes apart.
    // Weights that only just fit need it: Qwen-Image with FP8 blocks at 1024² held 24.05 GiB of the card
    // without it and 22.26 GiB with it (H100, same run). Applied only where the user set no allocator config.
    bool expandableSegments = true;
    // GroupNorm (+ SiLU) on channels-last half tensors as one kernel of our own (runtime/fused_ops.h) instead of
    // PyTorch's NCHW group_norm with its layout copies and a separate SiLU, and GEGLU's gate (half * gelu(other
    // half)) as one kernel instead of two. H100, FP16, 25 steps (session 7): SD 1.5 512² UNet step 10.43-10.53 ms
    // with neither, 10.27 with the GroupNorm, 10.35 with GEGLU, 10.03 with both; SDXL 1024² 41.30 -> 39.85 ms.
    // Session 8, GEGLU in 16-byte vectors: its lever is worth 8.14 -> 7.59 ms a step (was 0.13 ms).
    bool fusedGroupNorm = true;
    bool fusedGeglu = true;
    // The fused GroupNorm's statistics spread over the whole GPU with coalesced reads (three short kernels) instead
    // of one thread block per group (31 us a call at SD 1.5's 64x64 layers on the H100). H100, session 8, one call:
    // SD 1.5 512² UNet step 9.63 -> 7.84 ms, VAE decode 13.83 -> 9.97 ms, picture 0.262 -> 0.214 s; SDXL 1024²
    // step 39.82 -> 36.24 ms (before its statistics and finalize passes were made parallel: 35.35 after).
    // Session 9 tried the finalize pass done by the statistics kernel's last block (a fence and a per-stream arrival
    // counter, as the CUDA samples' threadFenceReduction) to save its launch: slower, UNet call 7.29 -> 7.59 ms, step
    // 7.44 -> 7.78 / 7.90 (H100, one call), so the split kernel keeps its three launches.
    bool fusedGroupNormSplit = true;
    // 1x1 convolutions over channels-last inputs as GEMMs with the bias in the epilogue (models/layers.h) instead of
    // cuDNN's convolution and PyTorch's separate bias add. H100, session 8: SD 1.5 step 9.81 -> 9.72 ms, within the
    // run-to-run spread (9.81 / 9.84 for the defaults twice), so off.
    bool pointwiseConvGemm = false;
    // Convolution biases (and a ResNet's bias + time embedding, and its conv2 bias + shortcut) added by one
    // vectorised kernel of our own over the channels-last output instead of PyTorch's broadcasting add and separate
    // residual pass. H100, session 9, two calls: SD 1.5 512² step 7.72 / 7.63 -> 7.37 ms and 7.61 / 7.63 -> 7.44,
    // VAE decode 10.07 -> 8.59 ms, picture 0.214 -> 0.200 s; SDXL 1024² step 33.94 -> 33.40 ms, VAE 44.87 -> 39.75.
    // A third call: UNet call alone 7.83 -> 7.29 ms.
    bool fusedChannelAdd = true;
    // The cross-attention keys and values of the text context made once a picture (models::CrossAttentionKeys)
    // instead of in every UNet call: SD 1.5 projects its context 32 times a step, SDXL 140 times. H100, session 9, one
    // call: SD 1.5 UNet call 7.14 -> 7.00 ms, step 7.28 -> 7.10 / 7.18, picture 0.203 -> 0.194 / 0.198 s.
    bool crossAttentionKeys = true;
    // Self-attention's q, k and v as one GEMM over their weights laid end to end (models::AttentionImpl::qkvWeight)
    // instead of three: 32 launches fewer an SD 1.5 step. The same call: UNet call 7.10 -> 7.00 ms, step 7.35 -> 7.10.
    bool fusedQkv = true;
    // While a model's weights are read from disk, a second thread runs one small operation of each kind the first
    // picture needs on the GPU (convolutions in FP16 and BF16, matrix products, attention, GroupNorm), so loading
    // cuBLAS, cuDNN and their kernels is done before the first picture asks for them (runtime/warm_up.h). H200,
    // session 11, SD 1.5 from disk, one bench run each: model load 0.88 -> 0.90 s, the first picture's text encoder
    // 354 -> 159 ms, first step 1081 -> 811 ms, VAE 219 -> 90 ms.
    bool gpuWarmUp = true;
    // Weights cross to the GPU through two pinned staging buffers, each tensor's copy started as soon as its bytes
    // are staged, instead of one synchronous pageable copy per tensor (models/weights.cpp). Off: the same runs
    // loaded SD 1.5 in 1.48 s with it against 0.90 s without (2 GB; the staging copies and pinned allocations cost
    // more than the bus time they overlap).
    bool pinnedUpload = false;
    // While a second thread copies the weights, the thread that will sample calls the still-empty UNet and VAE once,
    // so cuDNN's plans (kept per thread) are made during the load instead of in the first step
    // (pipeline/loaded_model.cpp). It replaces the warm-up thread above for SD models. H200 (x2 host, one GPU
    // visible), session 12, SD 1.5 from disk, one bench run each: first step 733 -> 44-48 ms, first VAE 85 -> 29-30 ms,
    // model load 0.94 -> 1.38-1.53 s (the planning now overlaps it); launch to PNG with the kid-safe check 3263 / 2659
    // -> 2241-2850 ms (first_png.sh).
    bool planWhileLoading = true;
    // Each weight's pages of the mapped file are mapped into the process in one call just before its copy
    // (io::populateForReading) instead of by a fault every few pages as the copy reads them. Session 12: on the 2-core
    // machine SD 1.5's CPU load (bench --device cpu, 4 runs each, page cache warm) took 3.16-10.11 s (median ~4.2) off
    // and 2.48-5.77 s (median ~2.9) on; on the H200 host the same within the noise (load 1.38 vs 1.38-1.53 s).
    bool populatePages = true;
};

const SpeedLevers& speedLevers();
// "graphs+ cudnn_benchmark+ vae_bf16+ channels_last-": what a benchmark ran with.
std::string describeSpeedLevers();

// Turns on what the levers ask of libtorch's global state (cuDNN benchmark mode, the allocator's settings) before
// the first GPU work.
void applySpeedLevers();

}  // namespace storybrush::runtime
