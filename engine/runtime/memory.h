// Device timing and memory figures for benchmarks: synchronising, and the allocator's and the device's
// view of memory use (CUDA only; the CPU reports none).
#pragma once

#include <torch/types.h>

namespace storybrush::runtime {

void synchronize(const torch::Device& device);  // waits for queued GPU work; nothing on the CPU
void resetPeakMemory(const torch::Device& device);
double peakAllocatedGiB(const torch::Device& device);  // the caching allocator's peak since the reset; 0 on CPU
double deviceUsedGiB(const torch::Device& device);     // total - free as the driver reports (context included)
double deviceTotalGiB(const torch::Device& device);    // the card's memory; 0 on the CPU
// Holds the caching allocator to what a card of `budgetGiB` would leave it once the CUDA context (already on
// this card) is paid for: past that it empties its cache and retries, then fails as the smaller card would.
// Returns the allocator's cap in GiB (0 on the CPU).
double capDeviceMemory(const torch::Device& device, double budgetGiB);

}  // namespace storybrush::runtime
