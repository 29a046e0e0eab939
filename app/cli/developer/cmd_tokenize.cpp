// storybrush-cli tokenize: how a model's CLIP tokenizer sees a prompt (ids, tokens, weights, 75-token chunks).
#include "app/cli/cli_common.h"
#include "app/cli/commands.h"

#include "io/checkpoint.h"
#include "text/clip_tokenizer.h"
#include "text/prompt_chunks.h"
#include "text/prompt_weights.h"

#include <storybrush/error.h>

#include <nlohmann/json.hpp>

#include <charconv>
#include <filesystem>
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

namespace storybrush::cli {

namespace {

namespace fs = std::filesystem;

constexpr const char* kHelp =
    "Usage: storybrush-cli tokenize [--model PATH|builtin] [--raw] [--json] TEXT\n\n"
    "Shows how the model's CLIP tokenizer sees a prompt, as A1111's token counter does.\n\n"
    "  --model PATH|builtin  a diffusers folder (its tokenizer/ is used), a tokenizer folder (vocab.json +\n"
    "                        merges.txt), a single-file checkpoint (the bundled CLIP tokenizer that SD 1.x,\n"
    "                        2.x and XL share), or builtin: the built-in model's own (default: builtin)\n"
    "  --raw                 tokenize the text exactly as given, without the weight syntax (word:1.2), BREAK\n"
    "  --json                one line: {\"ids\": [...], \"tokens\": [...], \"weights\": [...], \"chunks\": N}\n"
    "                        ids are BOS ... EOS, no padding, no truncation\n\n"
    "Prompts longer than 75 tokens are split into chunks of 75 (at a comma where one is near), as A1111 does.\n";

bool hasFile(const fs::path& path) {
    std::error_code ec;
    return fs::is_regular_file(path, ec);
}

// Single-file checkpoints carry no tokenizer: they use the CLIP vocabulary bundled with Storybrush.
fs::path builtinTokenizerFolder() { return fs::u8path(io::bundledClipTokenizerDir()); }

fs::path tokenizerFolderFor(const std::string& model) {
    if (model == "builtin") {
        // The built-in model has its own small vocabulary; without it, show SD's CLIP view.
        const std::string builtin = io::builtinModelDir();
        return builtin.empty() ? builtinTokenizerFolder() : fs::u8path(builtin) / "tokenizer";
    }
    std::error_code ec;
    const fs::path path(model);
    if (!fs::exists(path, ec))
        throw Error(ErrorKind::ModelFile, "--model " + model +
                                              ": no such file or folder; give a diffusers folder, "
                                              "a tokenizer folder, a checkpoint file or 'builtin'");
    if (!fs::is_directory(path, ec)) return builtinTokenizerFolder();  // single files carry no tokenizer
    if (hasFile(path / "tokenizer" / "vocab.json")) return path / "tokenizer";
    if (hasFile(path / "vocab.json")) return path;
    throw Error(ErrorKind::ModelFile, "--model " + model +
                                          ": a folder without tokenizer/vocab.json (a diffusers "
                                          "model) or vocab.json (a tokenizer folder); check the path");
}

// The float's shortest decimal text read back as a double, so JSON shows 1.1 rather than 1.100000023841858.
double weightValue(float weight) {
    char buffer[32];
    const auto written = std::to_chars(buffer, buffer + sizeof buffer, weight);
    double value = static_cast<double>(weight);
    std::from_chars(buffer, written.ptr, value);
    return value;
}

}  // namespace

int runTokenize(int argc, char** argv) {
    Args args(argc, argv, 2);
    std::string model = "builtin";
    bool raw = false;
    bool json = false;
    std::vector<std::string> words;
    while (!args.done()) {
        if (args.peek() == "--help" || args.peek() == "-h") {
            std::cout << kHelp;
            return kDone;
        }
        if (auto value = args.value("--model")) {
            model = *value;
        } else if (args.flag("--raw")) {
            raw = true;
        } else if (args.flag("--json")) {
            json = true;
        } else if (args.peek() == "--") {
            args.next();
            while (!args.done()) words.push_back(args.next());
        } else if (args.peek().size() > 1 && args.peek()[0] == '-' && args.peek()[1] == '-') {
            throw UsageError{"unknown flag '" + args.peek() + "' (a prompt that starts with -- goes after --)"};
        } else {
            words.push_back(args.next());
        }
    }
    if (words.empty()) throw UsageError{"give the prompt to tokenize, e.g. storybrush-cli tokenize \"a cute panda\""};
    std::string prompt;
    for (const auto& word : words) prompt += (prompt.empty() ? "" : " ") + word;

    const text::ClipTokenizer tokenizer(tokenizerFolderFor(model).string());
    const text::EncodedPrompt encoded = text::encodePrompt(tokenizer, prompt, !raw);

    // The whole prompt as one sequence: BOS, every chunk's tokens in order, EOS (weights 1 for BOS/EOS).
    std::vector<int> ids{tokenizer.bosId()};
    std::vector<float> weights{1.0f};
    for (const auto& chunk : encoded.chunks)
        for (int i = 1; i <= chunk.length; ++i) {
            ids.push_back(chunk.ids[static_cast<std::size_t>(i)]);
            weights.push_back(chunk.weights[static_cast<std::size_t>(i)]);
        }
    ids.push_back(tokenizer.eosId());
    weights.push_back(1.0f);

    if (json) {
        nlohmann::ordered_json out;  // keys in the order docs/cli.md lists them
        out["ids"] = ids;
        out["tokens"] = nlohmann::ordered_json::array();
        out["weights"] = nlohmann::ordered_json::array();
        for (std::size_t i = 0; i < ids.size(); ++i) {
            out["tokens"].push_back(tokenizer.tokenString(ids[i]));
            out["weights"].push_back(weightValue(weights[i]));
        }
        out["chunks"] = encoded.chunks.size();
        std::cout << out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
        return kDone;
    }

    const int capacity = static_cast<int>(encoded.chunks.size()) * text::kChunkTokens;
    std::cout << encoded.tokenCount << "/" << capacity << " tokens in " << encoded.chunks.size()
              << (encoded.chunks.size() == 1 ? " chunk" : " chunks") << (raw ? " (raw: no weight syntax)" : "") << "\n";
    for (std::size_t c = 0; c < encoded.chunks.size(); ++c) {
        const auto& chunk = encoded.chunks[c];
        if (encoded.chunks.size() > 1) std::cout << "chunk " << c + 1 << ": " << chunk.length << " tokens\n";
        for (int i = 1; i <= chunk.length; ++i) {
            const auto at = static_cast<std::size_t>(i);
            std::cout << "  " << chunk.ids[at] << "\t" << tokenizer.tokenString(chunk.ids[at]);
            if (chunk.weights[at] != 1.0f) std::cout << "\tx" << weightValue(chunk.weights[at]);
            std::cout << "\n";
        }
    }
    return kDone;
}

}  // namespace storybrush::cli
