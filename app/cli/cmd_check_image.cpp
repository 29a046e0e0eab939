// storybrush-cli check-image: audits the kid-safe picture filter on picture files.
#include "app/cli/cli_common.h"
#include "app/cli/commands.h"

#include <storybrush/checks.h>
#include <storybrush/error.h>
#include <storybrush/image_io.h>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

namespace storybrush::cli {

int runCheckImage(int argc, char** argv) {
    Args args(argc, argv, 2);
    bool json = false;
    DevicePreference device = DevicePreference::Cpu;
    std::vector<std::string> files;
    while (!args.done()) {
        if (args.peek() == "--help" || args.peek() == "-h") {
            std::cout << "Usage: storybrush-cli check-image [--json] [--device cpu|cuda|auto] PICTURE...\n\n"
                         "Runs the kid-safe picture filter (nsfwjs's MobileNetV2) on PNG, JPEG or WebP files and "
                         "prints\n"
                         "its five scores and the verdict Storybrush would give. --json prints one line per picture:\n"
                         "  {\"file\": ..., \"allowed\": true|false, \"scores\": {\"drawing\": ..., \"hentai\": ..., "
                         "\"neutral\": ...,\n"
                         "   \"porn\": ..., \"sexy\": ...}}  (or \"error\": ... for a file that cannot be read)\n"
                         "--device: where the filter runs (default cpu; generate runs it where it drew the picture).\n"
                         "Exit codes: 0 all allowed, 1 a file could not be read, 3 a picture would be held back.\n";
            return kDone;
        }
        if (args.flag("--json")) json = true;
        else if (auto d = args.value("--device")) device = parseDevice(*d);
        else if (args.peek().rfind("--", 0) == 0) throw UsageError{"unknown flag '" + args.peek() + "'"};
        else files.push_back(args.next());
    }
    if (files.empty()) throw UsageError{"give one or more picture files"};
    const PictureFilter filter(device);
    const auto& kNames = kPictureClassNames;
    int status = kDone;
    for (const std::string& file : files) {
        PictureScores scores{};
        try {
            scores = filter.scores(withoutAlpha(readPicture(file)));  // transparency as white paper
        } catch (const Error& error) {
            if (json) std::cout << nlohmann::json{{"file", file}, {"error", error.what()}}.dump() << "\n";
            else std::cerr << file << ": " << error.what() << "\n";
            status = kFailed;
            continue;
        }
        const SafetyVerdict verdict = PictureFilter::verdict(scores);
        if (!verdict.allowed && status == kDone) status = kBlocked;
        if (json) {
            nlohmann::json out = {{"file", file}, {"allowed", verdict.allowed}, {"scores", nlohmann::json::object()}};
            for (int i = 0; i < 5; ++i) out["scores"][kNames[i]] = scores[static_cast<std::size_t>(i)];
            std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        } else {
            std::printf("%-8s", verdict.allowed ? "allowed" : "blocked");
            for (int i = 0; i < 5; ++i)
                std::printf("  %s %.3f", kNames[i], static_cast<double>(scores[static_cast<std::size_t>(i)]));
            std::printf("  %s\n", file.c_str());
        }
    }
    return status;
}

}  // namespace storybrush::cli
