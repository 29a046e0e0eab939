// Packs a prompt's weighted tokens into 75-token chunks of 77 ids. ref: A1111 modules/sd_hijack_clip.py
// (FrozenCLIPEmbedderWithCustomWordsBase.tokenize_line, next_chunk, comma_padding_backtrack).
#include "text/prompt_chunks.h"

#include "text/prompt_weights.h"

#include <optional>
#include <string>

namespace storybrush::text {

namespace {

// The chunk being filled, and the work of closing it.
class ChunkPacker {
public:
    explicit ChunkPacker(const ClipTokenizer& tokenizer) : m_tokenizer(tokenizer) {
        m_comma = tokenizer.tokenId(",</w>");
    }

    void add(int id, float weight) {
        const auto full = static_cast<std::size_t>(kChunkTokens);
        if (m_comma && id == *m_comma) {
            m_lastComma = static_cast<int>(m_ids.size());
        } else if (m_ids.size() == full && m_lastComma >= 0 &&
                   static_cast<int>(m_ids.size()) - m_lastComma <= kCommaBacktrack) {
            // the chunk is full in the middle of a phrase: move what follows its last comma to the next chunk
            const auto breakAt = static_cast<std::ptrdiff_t>(m_lastComma + 1);
            std::vector<int> movedIds(m_ids.begin() + breakAt, m_ids.end());
            std::vector<float> movedWeights(m_weights.begin() + breakAt, m_weights.end());
            m_ids.resize(static_cast<std::size_t>(breakAt));
            m_weights.resize(static_cast<std::size_t>(breakAt));
            close(false);
            m_ids = std::move(movedIds);
            m_weights = std::move(movedWeights);
        }
        if (m_ids.size() == full) close(false);
        m_ids.push_back(id);
        m_weights.push_back(weight);
    }

    // is_last: only the tokens held count towards tokenCount; otherwise a whole chunk does.
    void close(bool isLast) {
        m_result.tokenCount += isLast ? static_cast<int>(m_ids.size()) : kChunkTokens;
        TokenChunk chunk;
        chunk.length = static_cast<int>(m_ids.size());
        chunk.ids.reserve(ClipTokenizer::kContextLength);
        chunk.weights.reserve(ClipTokenizer::kContextLength);
        chunk.ids.push_back(m_tokenizer.bosId());
        chunk.weights.push_back(1.0f);
        chunk.ids.insert(chunk.ids.end(), m_ids.begin(), m_ids.end());
        chunk.weights.insert(chunk.weights.end(), m_weights.begin(), m_weights.end());
        chunk.ids.push_back(m_tokenizer.eosId());
        chunk.weights.push_back(1.0f);
        chunk.ids.resize(ClipTokenizer::kContextLength, m_tokenizer.padId());
        chunk.weights.resize(ClipTokenizer::kContextLength, 1.0f);
        m_result.chunks.push_back(std::move(chunk));
        m_ids.clear();
        m_weights.clear();
        m_lastComma = -1;
    }

    EncodedPrompt finish() {
        if (!m_ids.empty() || m_result.chunks.empty()) close(true);
        return std::move(m_result);
    }

private:
    const ClipTokenizer& m_tokenizer;
    std::optional<int> m_comma;
    std::vector<int> m_ids;
    std::vector<float> m_weights;
    int m_lastComma = -1;
    EncodedPrompt m_result;
};

}  // namespace

EncodedPrompt encodePrompt(const ClipTokenizer& tokenizer, std::string_view prompt, bool parseWeights) {
    const std::vector<PromptPiece> pieces = parseWeights ? parsePromptWeights(prompt)
                                                         : std::vector<PromptPiece>{{std::string(prompt), 1.0, false}};
    ChunkPacker packer(tokenizer);
    for (const PromptPiece& piece : pieces) {
        if (piece.isBreak) {
            packer.close(false);
            continue;
        }
        const auto weight = static_cast<float>(piece.weight);
        for (int id : tokenizer.encode(piece.text)) packer.add(id, weight);
    }
    return packer.finish();
}

}  // namespace storybrush::text
