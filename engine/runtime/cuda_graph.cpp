// CUDA graphs through ATen; without CUDA the class exists and is never available.
#include "runtime/cuda_graph.h"

#include "runtime/speed.h"

#include <storybrush/error.h>

#ifdef STORYBRUSH_WITH_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace storybrush::runtime {

#ifdef STORYBRUSH_WITH_CUDA

struct CapturedGraph::Impl {
    at::cuda::CUDAGraph graph;
};

bool CapturedGraph::available() { return speedLevers().cudaGraphs; }

CapturedGraph::CapturedGraph(const std::function<void()>& body) : m_impl(std::make_unique<Impl>()) {
    // ref: torch.cuda.graphs.make_graphed_callables / the CUDA graphs notes: warm up on a side stream, capture there.
    c10::cuda::getCurrentCUDAStream().synchronize();  // the inputs are written
    auto side = c10::cuda::getStreamFromPool();
    {
        c10::cuda::CUDAStreamGuard guard(side);
        body();
        body();
        side.synchronize();
        m_impl->graph.capture_begin();
        try {
            body();
        } catch (...) {
            try {
                m_impl->graph.capture_end();  // leaves the stream out of capture mode, whatever the graph became
            } catch (...) {
            }
            throw;
        }
        m_impl->graph.capture_end();
    }
    side.synchronize();
}

void CapturedGraph::replay() { m_impl->graph.replay(); }

#else

struct CapturedGraph::Impl {};

bool CapturedGraph::available() { return false; }

CapturedGraph::CapturedGraph(const std::function<void()>&) {
    throw Error(ErrorKind::Internal, "CUDA graphs need the CUDA build of Storybrush");
}

void CapturedGraph::replay() {}

#endif

CapturedGraph::~CapturedGraph() = default;

}  // namespace storybrush::runtime
