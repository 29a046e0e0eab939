// storybrush-cli devices: where pictures would be computed.
#include "app/cli/cli_common.h"
#include "app/cli/commands.h"

#include <storybrush/engine.h>

#include <iostream>
#include <string>

namespace storybrush::cli {

int runDevices(int argc, char** argv) {
    Args args(argc, argv, 2);
    if (!args.done() && (args.peek() == "--help" || args.peek() == "-h")) {
        std::cout << "Usage: storybrush-cli devices\n\nSays where pictures would be computed: the CPU (threads, "
                     "which BLAS library) and the GPU when one is usable.\n";
        return kDone;
    }
    if (!args.done()) throw UsageError{"devices takes no arguments, got '" + args.peek() + "'"};
    storybrush::Engine engine;
    std::cout << "cpu: " << engine.deviceDescription(storybrush::DevicePreference::Cpu) << "\n";
    std::string cuda = "none";
    try {
        cuda = engine.deviceDescription(storybrush::DevicePreference::Cuda);
    } catch (const storybrush::Error&) {
        // no usable GPU: say so rather than fail
    }
    std::cout << "cuda: " << cuda << "\n";
    return kDone;
}

}  // namespace storybrush::cli
