// Prompt encoding with A1111's weights and 75-token chunks.
#include "pipeline/prompt_encoder.h"

#include "text/prompt_chunks.h"

#include <storybrush/error.h>

#include <algorithm>

namespace storybrush::pipeline {

namespace {

// ref: A1111 sd_hijack_clip.process_tokens (emphasis "Original"): scale each token's state by its weight,
// then restore the chunk's overall mean so weights shift emphasis without changing the level.
torch::Tensor applyWeights(const torch::Tensor& z, const std::vector<float>& weights) {
    const bool weighted = std::any_of(weights.begin(), weights.end(), [](float w) { return w != 1.0f; });
    if (!weighted) return z;
    const auto perToken = torch::tensor(weights, torch::kFloat32).to(z.device()).view({1, -1, 1});
    const auto zf = z.to(torch::kFloat32);
    const auto originalMean = zf.mean();
    auto weightedZ = zf * perToken;
    weightedZ = weightedZ * (originalMean / weightedZ.mean());
    return weightedZ.to(z.scalar_type());
}

torch::Tensor idTensor(const text::TokenChunk& chunk, const torch::Device& device) {
    std::vector<std::int64_t> ids(chunk.ids.begin(), chunk.ids.end());
    return torch::tensor(ids, torch::kInt64).unsqueeze(0).to(device);
}

struct EncodedSide {
    std::vector<torch::Tensor> chunks;
    torch::Tensor pooled;  // SDXL only
};

EncodedSide encodeSide(StableDiffusionModel& model, const std::string& prompt, int clipSkip) {
    const auto device = model.target.device;
    const text::EncodedPrompt encoded = text::encodePrompt(*model.tokenizer, prompt, /*parseWeights=*/true);
    EncodedSide side;
    if (!model.textEncoder2) {
        for (const auto& chunk : encoded.chunks)
            side.chunks.push_back(
                applyWeights(model.textEncoder->promptEmbeddings(idTensor(chunk, device), std::max(0, clipSkip - 1)),
                             chunk.weights));
        return side;
    }
    // ref: StableDiffusionXLPipeline.encode_prompt: each encoder's hidden_states[-(clip_skip + 2)] (no final
    // layer norm), concatenated on the feature axis; pooled = text_encoder_2's text_embeds. Both tokenizers
    // share the vocabulary and differ only in padding, so the chunks line up token for token.
    const text::EncodedPrompt encoded2 = text::encodePrompt(*model.tokenizer2, prompt, /*parseWeights=*/true);
    const auto layerFromEnd = static_cast<std::size_t>(2 + std::max(0, clipSkip - 1));
    const auto hidden = [&](const models::ClipTextOutput& out) {
        if (layerFromEnd > out.hiddenStates.size())
            throw Error(ErrorKind::InvalidRequest,
                        "clip skip " + std::to_string(clipSkip) + " is more than the text encoder's layers");
        return out.hiddenStates[out.hiddenStates.size() - layerFromEnd];
    };
    for (std::size_t i = 0; i < encoded.chunks.size(); ++i) {
        const auto first = model.textEncoder->forward(idTensor(encoded.chunks[i], device));
        const auto second = model.textEncoder2->forward(idTensor(encoded2.chunks.at(i), device));
        side.chunks.push_back(applyWeights(torch::cat({hidden(first), hidden(second)}, -1), encoded.chunks[i].weights));
        if (i == 0) side.pooled = second.textEmbeds;
    }
    return side;
}

}  // namespace

TextConditioning encodePrompts(StableDiffusionModel& model, const std::string& prompt, const std::string& negative,
                               int clipSkip, bool withUncond) {
    TextConditioning out;
    auto cond = encodeSide(model, prompt, clipSkip);
    out.pooled = cond.pooled;
    if (withUncond && model.zeroEmptyNegative && negative.empty()) {
        // ref: StableDiffusionXLPipeline.encode_prompt, force_zeros_for_empty_prompt.
        out.cond = torch::cat(cond.chunks, 1);
        out.uncond = torch::zeros_like(out.cond);
        out.uncondPooled = torch::zeros_like(out.pooled);
        return out;
    }
    if (withUncond) {
        auto uncond = encodeSide(model, negative, clipSkip);
        // Both sides need the same token count for one batched UNet call: pad with the empty prompt's chunk
        // (ref: A1111 / ComfyUI pad the shorter side the same way).
        if (cond.chunks.size() != uncond.chunks.size()) {
            const auto empty = encodeSide(model, "", clipSkip).chunks.front();
            auto& shorter = cond.chunks.size() < uncond.chunks.size() ? cond.chunks : uncond.chunks;
            const std::size_t target = std::max(cond.chunks.size(), uncond.chunks.size());
            while (shorter.size() < target) shorter.push_back(empty);
        }
        out.uncond = torch::cat(uncond.chunks, 1);
        out.uncondPooled = uncond.pooled;
    }
    out.cond = torch::cat(cond.chunks, 1);
    return out;
}

TextConditioning PromptCache::get(StableDiffusionModel& model, const std::string& prompt, const std::string& negative,
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
