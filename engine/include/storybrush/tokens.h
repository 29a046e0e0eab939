// How long a prompt is for the text encoder, as A1111's token counter shows it: tokens used, in chunks of 75.
#pragma once

#include <memory>
#include <string>

namespace storybrush {

struct TokenCount {
    int tokens = 0;
    int chunks = 1;  // each holds 75 tokens; longer prompts are read chunk by chunk
};

// Counts with the CLIP tokenizer that SD 1.x, 2.x and XL share, with the weight syntax (word:1.2) read.
class TokenCounter {
public:
    // Throws Error(Internal) when the bundled tokenizer is not installed.
    TokenCounter();
    ~TokenCounter();
    TokenCount count(const std::string& prompt) const;

private:
    struct Impl;
    std::shared_ptr<const Impl> m_impl;
};

}  // namespace storybrush
