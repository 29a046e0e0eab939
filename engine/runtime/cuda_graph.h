// A captured sequence of CUDA kernels, replayed with one launch (at::cuda::CUDAGraph). The UNet launches about
// a thousand small kernels a step; replaying them as a graph removes the CPU's launch time from every step.
#pragma once

#include <functional>
#include <memory>

namespace storybrush::runtime {

class CapturedGraph {
public:
    // True in the CUDA build (the graphs lever on).
    static bool available();

    // Runs `body` twice on a side stream (cuDNN and cuBLAS choose algorithms and take their workspaces), then
    // captures a third run. `body` must read and write only tensors that outlive the graph, and must not
    // synchronise with the CPU. Throws (c10::Error, Error) when the capture fails.
    explicit CapturedGraph(const std::function<void()>& body);
    ~CapturedGraph();
    CapturedGraph(const CapturedGraph&) = delete;
    CapturedGraph& operator=(const CapturedGraph&) = delete;

    // Launches the captured kernels on the current stream.
    void replay();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace storybrush::runtime
