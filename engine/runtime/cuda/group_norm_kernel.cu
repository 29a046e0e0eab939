// GroupNorm (+ SiLU) on channels-last half-precision tensors in one kernel. PyTorch's group_norm works on NCHW:
// for the UNet's channels-last activations it costs layout copies there and back, a separate statistics pass and a
// separate SiLU: four or five kernels where this is one (the `fused_group_norm` lever, docs/performance.md).
#include "runtime/cuda/half_vectors.cuh"
#include "runtime/cuda/kernels.h"

#include <cuda_runtime.h>

namespace storybrush::runtime::cuda {
namespace {

constexpr int kThreads = 512;

// The sum of `value` over the block; every thread gets it. `scratch` holds one float per warp.
__device__ float blockSum(float value, float* scratch) {
    for (int offset = 16; offset > 0; offset >>= 1) value += __shfl_xor_sync(0xffffffffu, value, offset);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) scratch[warp] = value;
    __syncthreads();
    if (warp == 0) {
        value = lane < (blockDim.x >> 5) ? scratch[lane] : 0.0f;
        for (int offset = 16; offset > 0; offset >>= 1) value += __shfl_xor_sync(0xffffffffu, value, offset);
        if (lane == 0) scratch[0] = value;
    }
    __syncthreads();
    const float total = scratch[0];
    __syncthreads();  // scratch is reused by the next call
    return total;
}

// One block per (picture, group). The group's values are hw runs of cg channels, c apart; they are read three
// times (mean, variance, output): after the first, from L2.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    groupNormNhwcKernel(const T* __restrict__ x, T* __restrict__ y, const T* __restrict__ gamma,
                        const T* __restrict__ beta, int hw, int c, int groups, float eps, bool silu) {
    __shared__ float scratch[32];
    const int picture = blockIdx.x / groups, group = blockIdx.x % groups;
    const int cg = c / groups;
    const long long count = static_cast<long long>(hw) * cg;
    const long long base = static_cast<long long>(picture) * hw * c + static_cast<long long>(group) * cg;
    const auto at = [&](long long e) { return base + (e / cg) * c + (e % cg); };

    float sum = 0.0f;
    for (long long e = threadIdx.x; e < count; e += blockDim.x) sum += widen(x[at(e)]);
    const float mean = blockSum(sum, scratch) / static_cast<float>(count);
    float squares = 0.0f;
    for (long long e = threadIdx.x; e < count; e += blockDim.x) {
        const float d = widen(x[at(e)]) - mean;
        squares += d * d;
    }
    const float rstd = rsqrtf(blockSum(squares, scratch) / static_cast<float>(count) + eps);
    for (long long e = threadIdx.x; e < count; e += blockDim.x) {
        const int channel = group * cg + static_cast<int>(e % cg);
        float v = (widen(x[at(e)]) - mean) * rstd * widen(gamma[channel]) + widen(beta[channel]);
        if (silu) v = v / (1.0f + __expf(-v));
        y[at(e)] = narrow<T>(v);
    }
}

// The split variant (the `fused_group_norm_split` lever). The kernel above gives each (picture, group) one thread
// block: 64 blocks for SD 1.5's 64x64 layers on a 132-SM card, each reading runs of cg channels c apart, 31 us a
// call on an H100. Here every block reads whole pixels (16-byte vectors of 8 channels), so the reads are
// coalesced and the work is spread over the card:
//   1. statistics: blocks over (pixel range, picture); each thread keeps sums for its 8 channels, the block adds
//      them per group in a fixed order (deterministic, no atomics) and writes one partial per group;
//   2. finalize: per (picture, group), the partials in split order -> mean and 1/std;
//   3. apply: every vector normalised, scaled, shifted and, if asked, SiLU'd.
// Sums are of x - K with K the group's first value, so E[(x-K)^2] - E[x-K]^2 keeps its precision when the mean
// is large against the spread.
constexpr int kStatsThreads = 512;
constexpr int kBlocksWanted = 264;  // two waves of an H100's SMs; more only adds partials

struct SplitShape {
    int lanes;   // pixels a statistics block reads at once (threads / vectors per pixel)
    int splits;  // statistics blocks per picture
};

SplitShape splitShape(int n, int hw, int c) {
    SplitShape shape{};
    shape.lanes = kStatsThreads / (c / kVector);
    const int most = hw / shape.lanes > 1 ? hw / shape.lanes : 1;
    const int wanted = (kBlocksWanted + n - 1) / n;
    shape.splits = wanted < most ? wanted : most;
    return shape;
}

template <typename T>
__global__ void __launch_bounds__(kStatsThreads)
    groupNormSplitStats(const T* __restrict__ x, float2* __restrict__ partials, int hw, int c, int groups, int lanes,
                        int splits) {
    extern __shared__ float perThread[];  // [kStatsThreads][2 * kVector]: each thread's channel sums
    const int picture = blockIdx.y, split = blockIdx.x;
    const int vectors = c / kVector, cg = c / groups;
    const int lane = threadIdx.x / vectors, slot = threadIdx.x % vectors;
    const T* px = x + static_cast<long long>(picture) * hw * c;
    float sum[kVector] = {}, squares[kVector] = {}, shift[kVector];
    if (lane < lanes) {
        for (int j = 0; j < kVector; ++j) shift[j] = widen(px[((slot * kVector + j) / cg) * cg]);
        const int first = static_cast<int>(static_cast<long long>(hw) * split / splits);
        const int last = static_cast<int>(static_cast<long long>(hw) * (split + 1) / splits);
        for (int pixel = first + lane; pixel < last; pixel += lanes) {
            Vector8 v;
            v.raw = *reinterpret_cast<const uint4*>(px + static_cast<long long>(pixel) * c + slot * kVector);
            for (int j = 0; j < kVector; ++j) {
                const float d = widen(fromBits<T>(v.bits[j])) - shift[j];
                sum[j] += d;
                squares[j] += d * d;
            }
        }
    }
    float* mine = perThread + threadIdx.x * 2 * kVector;
    for (int j = 0; j < kVector; ++j) {
        mine[j] = sum[j];
        mine[kVector + j] = squares[j];
    }
    __syncthreads();
    // Lanes first, every column at once, into lane 0's row (each column is read and written by one thread only):
    // one thread per group walking lanes x channels would serialise most of this kernel's work.
    for (int column = threadIdx.x; column < vectors * 2 * kVector; column += blockDim.x) {
        float total = perThread[column];
        for (int l = 1; l < lanes; ++l) total += perThread[l * vectors * 2 * kVector + column];
        perThread[column] = total;
    }
    __syncthreads();
    for (int g = threadIdx.x; g < groups; g += blockDim.x) {
        float groupSum = 0.0f, groupSquares = 0.0f;
        for (int channel = g * cg; channel < (g + 1) * cg; ++channel) {
            const float* column = perThread + (channel / kVector) * 2 * kVector;
            groupSum += column[channel % kVector];
            groupSquares += column[kVector + channel % kVector];
        }
        partials[(static_cast<long long>(picture) * splits + split) * groups + g] = make_float2(groupSum, groupSquares);
    }
}

// One warp per group sums its partials: one thread per group walking all of them serially takes longer than the
// statistics pass itself. The fixed lane order keeps it deterministic.
constexpr int kFinalizeWarps = 8;

template <typename T>
__global__ void __launch_bounds__(kFinalizeWarps * 32)
    groupNormSplitFinalize(const T* __restrict__ x, const float2* __restrict__ partials, float2* __restrict__ stats,
                           int hw, int c, int groups, int splits, float eps) {
    const int picture = blockIdx.y, cg = c / groups;
    const int g = blockIdx.x * kFinalizeWarps + threadIdx.x / 32, lane = threadIdx.x % 32;
    if (g >= groups) return;  // the whole warp: g is the same for its lanes
    float sum = 0.0f, squares = 0.0f;
    for (int split = lane; split < splits; split += 32) {
        const float2 p = partials[(static_cast<long long>(picture) * splits + split) * groups + g];
        sum += p.x;
        squares += p.y;
    }
    for (int offset = 16; offset > 0; offset /= 2) {
        sum += __shfl_xor_sync(0xffffffffu, sum, offset);
        squares += __shfl_xor_sync(0xffffffffu, squares, offset);
    }
    if (lane != 0) return;
    const float count = static_cast<float>(hw) * static_cast<float>(cg);
    const float shifted = sum / count;
    const float variance = fmaxf(squares / count - shifted * shifted, 0.0f);
    const float shift = widen(x[static_cast<long long>(picture) * hw * c + static_cast<long long>(g) * cg]);
    stats[picture * groups + g] = make_float2(shift + shifted, rsqrtf(variance + eps));
}

template <typename T>
__global__ void groupNormSplitApply(const T* __restrict__ x, T* __restrict__ y, const T* __restrict__ gamma,
                                    const T* __restrict__ beta, const float2* __restrict__ stats, long long vectorCount,
                                    int hw, int c, int groups, bool silu) {
    const int cg = c / groups;
    const long long perPicture = static_cast<long long>(hw) * c;
    const long long stride = static_cast<long long>(gridDim.x) * blockDim.x;
    for (long long v = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; v < vectorCount; v += stride) {
        const long long element = v * kVector;
        const int picture = static_cast<int>(element / perPicture);
        const int channel0 = static_cast<int>(element % c);
        Vector8 in, scale, offset, out;
        in.raw = *reinterpret_cast<const uint4*>(x + element);
        scale.raw = *reinterpret_cast<const uint4*>(gamma + channel0);
        offset.raw = *reinterpret_cast<const uint4*>(beta + channel0);
        for (int j = 0; j < kVector; ++j) {
            const float2 s = stats[picture * groups + (channel0 + j) / cg];
            float value = (widen(fromBits<T>(in.bits[j])) - s.x) * s.y * widen(fromBits<T>(scale.bits[j])) +
                          widen(fromBits<T>(offset.bits[j]));
            if (silu) value = value / (1.0f + __expf(-value));
            out.bits[j] = toBits(narrow<T>(value));
        }
        *reinterpret_cast<uint4*>(y + element) = out.raw;
    }
}

template <typename T>
int launchSplit(const void* x, void* y, const void* gamma, const void* beta, int n, int hw, int c, int groups,
                float eps, bool silu, float* scratch, cudaStream_t stream) {
    const SplitShape shape = splitShape(n, hw, c);
    auto* partials = reinterpret_cast<float2*>(scratch);
    float2* stats = partials + static_cast<long long>(n) * shape.splits * groups;
    const T* in = static_cast<const T*>(x);
    groupNormSplitStats<T>
        <<<dim3(shape.splits, n), kStatsThreads, kStatsThreads * 2 * kVector * sizeof(float), stream>>>(
            in, partials, hw, c, groups, shape.lanes, shape.splits);
    groupNormSplitFinalize<T>
        <<<dim3((groups + kFinalizeWarps - 1) / kFinalizeWarps, n), kFinalizeWarps * 32, 0, stream>>>(
            in, partials, stats, hw, c, groups, shape.splits, eps);
    const long long vectorCount = static_cast<long long>(n) * hw * c / kVector;
    const long long wanted = (vectorCount + 255) / 256;
    const unsigned blocks = static_cast<unsigned>(wanted < 4096 ? wanted : 4096);
    groupNormSplitApply<T><<<blocks, 256, 0, stream>>>(in, static_cast<T*>(y), static_cast<const T*>(gamma),
                                                       static_cast<const T*>(beta), stats, vectorCount, hw, c, groups,
                                                       silu);
    return static_cast<int>(cudaGetLastError());
}

}  // namespace

bool groupNormNhwcSplitServes(int c, int groups) {
    return c % kVector == 0 && c / kVector <= kStatsThreads && groups > 0 && c % groups == 0;
}

long long groupNormNhwcSplitScratch(int n, int hw, int c, int groups) {
    return 2LL * n * groups * (splitShape(n, hw, c).splits + 1);
}

int groupNormNhwcSplit(const void* x, void* y, const void* gamma, const void* beta, int n, int hw, int c, int groups,
                       float eps, bool silu, HalfType type, float* scratch, void* stream) {
    auto* s = static_cast<cudaStream_t>(stream);
    if (type == HalfType::BFloat16)
        return launchSplit<__nv_bfloat16>(x, y, gamma, beta, n, hw, c, groups, eps, silu, scratch, s);
    return launchSplit<__half>(x, y, gamma, beta, n, hw, c, groups, eps, silu, scratch, s);
}

int groupNormNhwc(const void* x, void* y, const void* gamma, const void* beta, int n, int hw, int c, int groups,
                  float eps, bool silu, HalfType type, void* stream) {
    const dim3 grid(static_cast<unsigned>(n * groups)), block(kThreads);
    auto* s = static_cast<cudaStream_t>(stream);
    if (type == HalfType::BFloat16) {
        groupNormNhwcKernel<__nv_bfloat16>
            <<<grid, block, 0, s>>>(static_cast<const __nv_bfloat16*>(x), static_cast<__nv_bfloat16*>(y),
                                    static_cast<const __nv_bfloat16*>(gamma), static_cast<const __nv_bfloat16*>(beta),
                                    hw, c, groups, eps, silu);
    } else {
        groupNormNhwcKernel<__half><<<grid, block, 0, s>>>(static_cast<const __half*>(x), static_cast<__half*>(y),
                                                           static_cast<const __half*>(gamma),
                                                           static_cast<const __half*>(beta), hw, c, groups, eps, silu);
    }
    return static_cast<int>(cudaGetLastError());
}

}  // namespace storybrush::runtime::cuda
