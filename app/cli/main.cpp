// storybrush-cli: the headless face of the engine, for scripts, benchmarks and audits (docs/cli.md).
// Thin over the engine: each sub-command parses flags, calls the engine and prints.
#include "app/cli/cli_common.h"
#include "app/cli/commands.h"

#include <storybrush/engine.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

namespace {

using namespace storybrush::cli;

struct SubCommand {
    const char* name;
    const char* summary;
    int (*run)(int argc, char** argv);
};

const SubCommand kSubCommands[] = {
    {"generate", "draw pictures from a prompt (and a starting picture) into PNG files", runGenerate},
    {"bench", "time a generation (text encoder, UNet step, VAE) and its memory; random full-size models", runBench},
    {"compose", "lay out and draw a scene from a prompt with the picture library's art (no model needed)", runCompose},
    {"check-prompt", "audit the kid-safe prompt policy: one prompt per line on stdin", runCheckPrompt},
    {"check-image", "audit the kid-safe picture filter: scores and verdict for picture files", runCheckImage},
    {"devices", "where pictures would be computed (CPU threads and BLAS, GPU)", runDevices},
    {"inspect", "what a model is: family, layout, prediction, inpainting, dtypes, parameter counts", runInspect},
    {"tokenize", "how the model's tokenizer sees a prompt: tokens, weights, 75-token chunks", runTokenize},
};

void printHelp(std::ostream& out) {
    out << "storybrush-cli " STORYBRUSH_VERSION " - make children's picture-book art offline, from the command line\n\n"
           "Usage: storybrush-cli SUBCOMMAND [FLAGS]   (storybrush-cli SUBCOMMAND --help for its flags)\n\n"
           "Sub-commands:\n";
    for (const auto& sub : kSubCommands) {
        std::string name = sub.name;
        name.resize(15, ' ');
        out << "  " << name << sub.summary << "\n";
    }
    out << "\nExit codes: 0 done, 1 failed, 2 bad usage, 3 blocked by the kid-safe policy.\n";
}

// Everything the command made is written and closed by now; what is left is libtorch's teardown (its CUDA handles,
// allocator and context, several tenths of a second on a GPU: docs/performance.md), which the system does faster at
// exit.
int exitNow(int code) {
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    std::_Exit(code);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
        printHelp(std::cout);
        return argc < 2 ? kBadUsage : kDone;
    }
    if (!std::strcmp(argv[1], "--version")) {
        std::cout << "storybrush-cli " STORYBRUSH_VERSION "\n";
        return kDone;
    }
    for (const auto& sub : kSubCommands) {
        if (std::strcmp(argv[1], sub.name) != 0) continue;
        try {
            return exitNow(sub.run(argc, argv));
        } catch (const UsageError& error) {
            std::cerr << "storybrush-cli " << sub.name << ": " << error.message << "\n"
                      << "Try: storybrush-cli " << sub.name << " --help\n";
            return kBadUsage;
        } catch (const storybrush::Error& error) {
            std::cerr << "storybrush-cli " << sub.name << ": " << error.what() << "\n";
            return kFailed;
        } catch (const std::exception& error) {
            std::cerr << "storybrush-cli " << sub.name << ": unexpected error: " << error.what() << "\n";
            return kFailed;
        }
    }
    std::cerr << "storybrush-cli: unknown sub-command '" << argv[1] << "'\n\n";
    printHelp(std::cerr);
    return kBadUsage;
}
