// storybrush-cli compose: a prompt read into things, a place and relations, laid out and drawn with the picture
// library's art (no model), with its scene file beside the picture.
#include "app/cli/cli_common.h"
#include "app/cli/commands.h"

#include <storybrush/checks.h>
#include <storybrush/error.h>
#include <storybrush/image_io.h>
#include <storybrush/scene.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

namespace storybrush::cli {

namespace {

constexpr const char* kHelp =
    "Usage: storybrush-cli compose --prompt TEXT -o PICTURE.png [--size WxH] [--seed N] [--json]\n\n"
    "Reads the prompt (English or Chinese) into things, their counts, colours and sizes, a place and simple\n"
    "relations, lays them out and draws the scene with the picture library's art: no model, any computer.\n"
    "Prints what it understood, and the words it cannot draw yet with the closest things it knows. The scene\n"
    "file (JSON) is written beside the picture (PICTURE.json). The same prompt and seed give the same scene.\n\n"
    "  --size WxH   the picture's size (default 512x512; 64 to 4096 each way)\n"
    "  --seed N     where things stand within their places (default 1)\n"
    "  --json       one JSON line: the scene's reading and the files written\n\n"
    "Exit codes: 0 done, 1 failed, 2 bad usage, 3 blocked by the kid-safe policy.\n";

void printReading(const Scene& scene) {
    std::cout << "things:";
    if (scene.things.empty()) std::cout << " (none the library knows)";
    for (const auto& thing : scene.things) {
        std::cout << "  " << thing.id << (thing.count > 1 ? " x" + std::to_string(thing.count) : "");
        if (!thing.colour.empty() || !thing.size.empty())
            std::cout << " (" << thing.colour << (thing.colour.empty() || thing.size.empty() ? "" : ", ") << thing.size
                      << ")";
    }
    std::cout << "\nplace:  " << (scene.place.empty() ? "(none said: a plain page)" : scene.place) << "\n";
    for (const auto& relation : scene.relations) {
        std::cout << "        " << scene.things[relation.subject].id << " " << relation.relation << " "
                  << scene.things[relation.object].id << "\n";
    }
    for (const auto& word : scene.unknown) {
        std::cout << "can't draw \"" << word.word << "\" yet";
        if (!word.closest.empty()) {
            std::cout << " (closest:";
            for (const auto& id : word.closest) std::cout << " " << id;
            std::cout << ")";
        }
        std::cout << "\n";
    }
}

}  // namespace

int runCompose(int argc, char** argv) {
    Args args(argc, argv, 2);
    std::string prompt, output;
    int width = 512, height = 512;
    std::uint64_t seed = 1;
    bool json = false;
    while (!args.done()) {
        if (args.peek() == "--help" || args.peek() == "-h") {
            std::cout << kHelp;
            return kDone;
        }
        if (auto p = args.value("--prompt")) prompt = *p;
        else if (auto o = args.value("--output")) output = *o;
        else if (auto o2 = args.value("-o")) output = *o2;
        else if (auto s = args.value("--seed"))
            seed = static_cast<std::uint64_t>(parseInt("--seed", *s, 0, 2147483647));
        else if (auto z = args.value("--size")) {
            const auto x = z->find('x');
            width = parseInt("--size", z->substr(0, x), 64, 4096);
            height = x == std::string::npos ? width : parseInt("--size", z->substr(x + 1), 64, 4096);
        } else if (args.flag("--json")) json = true;
        else throw UsageError{"unknown flag '" + args.peek() + "'"};
    }
    if (prompt.empty()) throw UsageError{"give the scene's words with --prompt"};
    if (output.empty()) throw UsageError{"give the picture's file with -o PICTURE.png"};

    const SafetyVerdict verdict = PromptChecker().check(prompt);
    if (!verdict.allowed) {
        std::cerr << "This idea is not one Storybrush draws for children. " << verdict.childMessage << "\n";
        return kBlocked;
    }
    const Scene scene = composeScene(prompt, seed, double(width) / double(height));
    const std::filesystem::path picturePath = std::filesystem::u8path(output);
    std::filesystem::path scenePath = picturePath;
    scenePath.replace_extension(".json");
    Image picture = drawScene(scene, width, height);
    const SafetyVerdict pictureVerdict = PictureFilter::verdict(PictureFilter().scores(picture));
    if (!pictureVerdict.allowed) {
        std::cerr << "The picture was held back by the kid-safe picture filter.\n";
        return kBlocked;
    }
    std::string parameters = prompt + "\nScene seed: " + std::to_string(seed) + ", Size: " + std::to_string(width) +
                             "x" + std::to_string(height) + ", Model: scene";
    const auto credits = sceneCredits(scene);
    if (!credits.empty()) {
        parameters += "\nPictures:";
        for (std::size_t i = 0; i < credits.size(); ++i) parameters += (i ? "; " : " ") + credits[i];
    }
    writePngFile(picturePath.u8string(), picture, {{"parameters", parameters}});
    {
        const std::string partPath = scenePath.u8string() + ".part";
        std::ofstream file(partPath, std::ios::binary | std::ios::trunc);
        file << sceneToJson(scene) << "\n";
        file.close();
        std::error_code error;
        if (!file || (std::filesystem::rename(partPath, scenePath, error), error)) {
            std::filesystem::remove(partPath, error);
            throw Error(ErrorKind::Io, "The scene file " + scenePath.u8string() + " could not be written.");
        }
    }
    if (json) {
        nlohmann::json out = nlohmann::json::parse(sceneToJson(scene));
        out.erase("items");
        out["picture"] = picturePath.u8string();
        out["scene_file"] = scenePath.u8string();
        out["size"] = std::to_string(width) + "x" + std::to_string(height);
        std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
        printReading(scene);
        std::cout << "wrote " << picturePath.u8string() << " (" << width << "x" << height << ") and "
                  << scenePath.u8string() << "\n";
    }
    return kDone;
}

}  // namespace storybrush::cli
