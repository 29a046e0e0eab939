// UNet steps replayed from CUDA graphs.
#include "pipeline/unet_runner.h"

#include "runtime/cuda_graph.h"

#include <torch/torch.h>

#include <cstdio>
#include <sstream>

namespace storybrush::pipeline {

namespace {

// Each captured shape keeps its activations' memory; two cover a picture size with and without guidance.
constexpr std::size_t kMaxCapturedShapes = 2;

std::string shapeKey(const torch::Tensor& sample, const torch::Tensor& timestep, const torch::Tensor& context,
                     const models::UNetConditioning& added, const models::CrossAttentionKeys* keys) {
    std::ostringstream key;
    key << (keys ? "keys|" : "tokens|");
    for (const torch::Tensor* t :
         {&sample, &timestep, &context, &added.textEmbeds, &added.timeIds, &added.timestepCond}) {
        if (!t->defined()) {
            key << "-|";
            continue;
        }
        key << t->sizes() << c10::toString(t->scalar_type()) << "|";
    }
    return key.str();
}

}  // namespace

struct UNetRunner::Captured {
    std::string key;
    const void* unet = nullptr;
    torch::Tensor sample, timestep, context, output;
    models::UNetConditioning added;
    models::CrossAttentionKeys keys;  // the graph's own copy of the keys it was last given (serial: which set)
    std::unique_ptr<runtime::CapturedGraph> graph;
};

UNetRunner::UNetRunner() = default;
UNetRunner::~UNetRunner() = default;

int UNetRunner::capturedShapes() const { return static_cast<int>(m_captured.size()); }

torch::Tensor UNetRunner::forward(models::UNet2DConditionModel& unet, const torch::Tensor& sample,
                                  const torch::Tensor& timestep, const torch::Tensor& context,
                                  const models::UNetConditioning& added, const models::CrossAttentionKeys* keys) {
    const auto direct = [&] { return unet->forward(sample, timestep, context, added, keys); };
    if (!sample.is_cuda() || !runtime::CapturedGraph::available()) return direct();
    const std::string key = shapeKey(sample, timestep, context, added, keys);
    if (m_refused.count(key)) return direct();

    const auto same = [](torch::Tensor& into, const torch::Tensor& from) {
        if (from.defined()) into.copy_(from);
    };
    for (auto it = m_captured.begin(); it != m_captured.end(); ++it) {
        Captured& captured = **it;
        if (captured.key != key || captured.unet != unet.get()) continue;
        same(captured.sample, sample);
        same(captured.timestep, timestep);
        same(captured.context, context);
        same(captured.added.textEmbeds, added.textEmbeds);
        same(captured.added.timeIds, added.timeIds);
        same(captured.added.timestepCond, added.timestepCond);
        if (keys && keys->serial != captured.keys.serial) {
            for (auto& [layer, own] : captured.keys.byLayer) {
                const auto& given = keys->byLayer.at(layer);
                own.first.copy_(given.first);
                own.second.copy_(given.second);
            }
            captured.keys.serial = keys->serial;
        }
        captured.graph->replay();
        m_captured.splice(m_captured.begin(), m_captured, it);
        return captured.output.clone();  // the next replay overwrites the graph's own output
    }

    auto captured = std::make_unique<Captured>();
    captured->key = key;
    captured->unet = unet.get();
    const auto own = [](const torch::Tensor& t) { return t.defined() ? t.clone() : torch::Tensor(); };
    captured->sample = own(sample);
    captured->timestep = own(timestep);
    captured->context = own(context);
    captured->added.textEmbeds = own(added.textEmbeds);
    captured->added.timeIds = own(added.timeIds);
    captured->added.timestepCond = own(added.timestepCond);
    if (keys) {
        captured->keys.serial = keys->serial;
        for (const auto& [layer, given] : keys->byLayer)
            captured->keys.byLayer.emplace(layer, std::make_pair(own(given.first), own(given.second)));
    }
    const bool withKeys = keys != nullptr;
    Captured* raw = captured.get();
    try {
        if (m_captured.size() >= kMaxCapturedShapes) m_captured.pop_back();  // frees its memory before capturing
        raw->graph = std::make_unique<runtime::CapturedGraph>([raw, &unet, withKeys] {
            raw->output =
                unet->forward(raw->sample, raw->timestep, raw->context, raw->added, withKeys ? &raw->keys : nullptr);
        });
    } catch (const std::exception& error) {
        // Some kernel could not be captured: this shape runs eagerly from now on (correct, only slower).
        std::fprintf(stderr, "storybrush: UNet step not captured as a CUDA graph (%s); running it directly\n",
                     error.what());
        m_refused.insert(key);
        return direct();
    }
    raw->graph->replay();
    const torch::Tensor result = raw->output.clone();
    m_captured.push_front(std::move(captured));
    return result;
}

}  // namespace storybrush::pipeline
