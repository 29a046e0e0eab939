// storybrush-cli check-prompt: audits the kid-safe prompt policy, one prompt per line from stdin.
#include "app/cli/cli_common.h"
#include "app/cli/commands.h"

#include <storybrush/checks.h>

#include <nlohmann/json.hpp>

#include <iostream>
#include <string>

namespace storybrush::cli {

int runCheckPrompt(int argc, char** argv) {
    Args args(argc, argv, 2);
    bool json = false;
    while (!args.done()) {
        if (args.peek() == "--help" || args.peek() == "-h") {
            std::cout << "Usage: storybrush-cli check-prompt [--json] < prompts.txt\n\n"
                         "Reads prompts from standard input, one per line, and says for each whether the kid-safe\n"
                         "policy lets it through, with the category and the matched term (for adults auditing the\n"
                         "policy). --json prints one line per prompt:\n"
                         "  {\"prompt\": ..., \"allowed\": true|false, \"category\": ...|null, \"term\": ...|null}\n";
            return kDone;
        }
        if (args.flag("--json")) {
            json = true;
        } else {
            throw UsageError{"unknown flag '" + args.peek() + "'"};
        }
    }
    const PromptChecker policy;
    std::string line;
    while (std::getline(std::cin, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const SafetyVerdict verdict = policy.check(line);
        if (json) {
            nlohmann::json out = {
                {"prompt", line}, {"allowed", verdict.allowed}, {"category", nullptr}, {"term", nullptr}};
            if (!verdict.allowed) {
                out["category"] = std::string(safetyCategoryName(verdict.category));
                out["term"] = verdict.matchedTerm;
            }
            std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        } else if (verdict.allowed) {
            std::cout << "allowed  " << line << "\n";
        } else {
            std::cout << "blocked  " << line << "   [" << safetyCategoryName(verdict.category) << ": "
                      << verdict.matchedTerm << "]\n";
        }
    }
    return kDone;
}

}  // namespace storybrush::cli
