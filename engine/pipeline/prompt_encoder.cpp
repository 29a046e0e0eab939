// Prompt encoding with A1111's weights and 75-token chunks.
#include "pipeline/prompt_encoder.h"

#include "text/prompt_chunks.h"

#include <algorithm>

namespace storybrush::pipeline {

namespace {

torch::Tensor encodeChunk(LoadedModel& model, const text::TokenChunk& chunk, int clipSkip) {
    const auto device = model.target.device;
    std::vector<std::int64_t> ids(chunk.ids.begin(), chunk.ids.end());
    const auto idTensor = torch::tensor(ids, torch::kInt64).unsqueeze(0).to(device);
    torch::Tensor z = model.textEncoder->promptEmbeddings(idTensor, std::max(0, clipSkip - 1));
    const bool weighted = std::any_of(chunk.weights.begin(), chunk.weights.end(), [](float w) { return w != 1.0f; });
    if (!weighted) return z;
    // ref: A1111 sd_hijack_clip.process_tokens (emphasis "Original"): scale each token's state by its weight,
    // then restore the chunk's overall mean so weights shift emphasis without changing the level.
    const auto weights = torch::tensor(chunk.weights, torch::kFloat32).to(device).view({1, -1, 1});
    const auto zf = z.to(torch::kFloat32);
    const auto originalMean = zf.mean();
    auto weightedZ = zf * weights;
    weightedZ = weightedZ * (originalMean / weightedZ.mean());
    return weightedZ.to(z.scalar_type());
}

std::vector<torch::Tensor> encodeChunks(LoadedModel& model, const std::string& prompt, int clipSkip) {
    const text::EncodedPrompt encoded = text::encodePrompt(*model.tokenizer, prompt, /*parseWeights=*/true);
    std::vector<torch::Tensor> chunks;
    for (const auto& chunk : encoded.chunks) chunks.push_back(encodeChunk(model, chunk, clipSkip));
    return chunks;
}

}  // namespace

TextConditioning encodePrompts(LoadedModel& model, const std::string& prompt, const std::string& negative,
                               int clipSkip, bool withUncond) {
    TextConditioning out;
    auto cond = encodeChunks(model, prompt, clipSkip);
    if (withUncond) {
        auto uncond = encodeChunks(model, negative, clipSkip);
        // Both sides need the same token count for one batched UNet call: pad with the empty prompt's chunk
        // (ref: A1111 / ComfyUI pad the shorter side the same way).
        if (cond.size() != uncond.size()) {
            const auto empty = encodeChunks(model, "", clipSkip).front();
            auto& shorter = cond.size() < uncond.size() ? cond : uncond;
            const std::size_t target = std::max(cond.size(), uncond.size());
            while (shorter.size() < target) shorter.push_back(empty);
        }
        out.uncond = torch::cat(uncond, 1);
    }
    out.cond = torch::cat(cond, 1);
    return out;
}

TextConditioning PromptCache::get(LoadedModel& model, const std::string& prompt, const std::string& negative,
                                  int clipSkip, bool withUncond) {
    if (m_model != &model || m_prompt != prompt || m_negative != negative || m_clipSkip != clipSkip ||
        m_withUncond != withUncond) {
        m_value = encodePrompts(model, prompt, negative, clipSkip, withUncond);
        m_model = &model;
        m_prompt = prompt;
        m_negative = negative;
        m_clipSkip = clipSkip;
        m_withUncond = withUncond;
    }
    return m_value;
}

}  // namespace storybrush::pipeline
