// storybrush-cli inspect: what a model file or folder is (family, layout, prediction, inpainting, dtypes,
// parameter counts) and which of its entries were ignored or not understood.
#include "app/cli/cli_common.h"
#include "app/cli/commands.h"

#include "io/checkpoint.h"
#include "io/safetensors.h"
#include "pipeline/family.h"

#include <storybrush/error.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <vector>

namespace storybrush::cli {
namespace {

std::string dtypeLabel(c10::ScalarType type) {
    switch (type) {
    case c10::ScalarType::Half: return "F16";
    case c10::ScalarType::BFloat16: return "BF16";
    case c10::ScalarType::Float: return "F32";
    case c10::ScalarType::Double: return "F64";
    default: return c10::toString(type);
    }
}

nlohmann::json componentSummary(const io::StateDict& dict) {
    std::int64_t parameters = 0;
    std::set<std::string> dtypes;
    for (const auto& [name, tensor] : dict.tensors) {
        parameters += tensor.numel();
        dtypes.insert(dtypeLabel(tensor.scalar_type()));
    }
    return {{"tensors", dict.tensors.size()}, {"parameters", parameters}, {"dtypes", dtypes}};
}

std::string familyLabel(const io::Checkpoint& checkpoint) {
    std::string family(io::familyName(checkpoint.family));
    if (checkpoint.family == io::ModelFamily::SD2 && checkpoint.prediction == io::Prediction::VPrediction)
        family += "-v";
    return family;
}

std::string millions(std::int64_t count) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f M", static_cast<double>(count) / 1e6);
    return text;
}

void printList(const char* title, const std::vector<std::string>& keys) {
    std::cout << title << " (" << keys.size() << ")" << (keys.empty() ? "\n" : ":\n");
    constexpr std::size_t kShown = 20;  // leftovers like model_ema.* run to hundreds of entries
    for (std::size_t i = 0; i < keys.size() && i < kShown; ++i) std::cout << "  " << keys[i] << "\n";
    if (keys.size() > kShown) std::cout << "  ... and " << keys.size() - kShown << " more (--json lists all)\n";
}

}  // namespace

namespace {

// A LoRA file: which layers it changes (UNet, text encoders), its ranks, and the family its names are for.
// Returns -1 when the file is not a LoRA (then it is inspected as a model).
int inspectLora(const std::string& path, bool json) {
    const bool file = path.size() > 12 && path.compare(path.size() - 12, 12, ".safetensors") == 0;
    if (!file) return -1;
    const auto tensors = io::SafetensorsFile::open(path);
    std::set<std::string> modules, unet, text, convolutions;
    std::set<std::int64_t> ranks;
    bool sdxl = false, alpha = false;
    for (const auto& info : tensors->tensors()) {
        const std::string& key = info.name;
        const auto marker = [&](const char* suffix) {
            const std::string s(suffix);
            return key.size() > s.size() && key.compare(key.size() - s.size(), s.size(), s) == 0
                       ? key.substr(0, key.size() - s.size())
                       : std::string();
        };
        std::string module;
        bool down = false;
        for (const char* suffix : {".lora_down.weight", ".lora_A.weight", ".lora.down.weight"}) {
            if (module.empty() && !(module = marker(suffix)).empty()) down = true;
        }
        for (const char* suffix : {".lora_up.weight", ".lora_B.weight", ".lora.up.weight", ".alpha"}) {
            if (module.empty()) module = marker(suffix);
        }
        if (module.empty()) continue;
        if (key.size() > 6 && key.compare(key.size() - 6, 6, ".alpha") == 0) alpha = true;
        modules.insert(module);
        const bool isText = module.rfind("lora_te", 0) == 0 || module.find("text_encoder") != std::string::npos ||
                            module.find("text_model") != std::string::npos;
        (isText ? text : unet).insert(module);
        if (module.rfind("lora_te1_", 0) == 0 || module.rfind("lora_te2_", 0) == 0 ||
            module.find("text_encoder_2") != std::string::npos || module.find("input_blocks_") != std::string::npos) {
            sdxl = true;
        }
        if (down && !info.shape.empty()) {
            ranks.insert(info.shape[0]);
            if (info.shape.size() == 4 && (info.shape[2] != 1 || info.shape[3] != 1)) convolutions.insert(module);
        }
    }
    if (modules.empty()) return -1;
    const std::string family = sdxl ? "sdxl" : "sd1/sd2";
    if (json) {
        nlohmann::json out = {{"path", path},
                              {"kind", "lora"},
                              {"family", family},
                              {"layers", modules.size()},
                              {"unet_layers", unet.size()},
                              {"text_encoder_layers", text.size()},
                              {"conv_layers", convolutions.size()},
                              {"ranks", std::vector<std::int64_t>(ranks.begin(), ranks.end())},
                              {"alpha", alpha}};
        std::cout << out.dump() << "\n";
    } else {
        std::cout << "path:         " << path << "\nkind:         LoRA (style add-on), for " << family << " models\n"
                  << "targets:      " << modules.size() << " layers: " << unet.size() << " in the UNet ("
                  << convolutions.size() << " convolutions, LoCon), " << text.size()
                  << " in the text encoder(s)\nranks:        ";
        for (const auto rank : ranks) std::cout << rank << " ";
        std::cout << "\nalpha:        " << (alpha ? "given (scale alpha/rank)" : "none (scale 1)") << "\n";
    }
    return kDone;
}

// A model whose family reads it with its own reader (not the SD checkpoint reader): every part is checked against
// the networks (names and shapes) without reading a weight.
int inspectFamilyModel(const pipeline::Family& family, pipeline::Family::Probe& probe, bool json) {
    const pipeline::ModelSummary summary = family.check(probe);
    std::error_code ec;
    const bool folder = std::filesystem::is_directory(std::filesystem::u8path(probe.path()), ec);
    const nlohmann::json out = {{"path", probe.path()},
                                {"family", std::string(family.id())},
                                {"layout", folder ? "diffusers" : "single file"},
                                {"native_size", summary.nativeSize},
                                {"checked", true}};
    if (json) {
        std::cout << out.dump() << std::endl;
    } else {
        std::cout << "model      " << probe.path() << "\nfamily     " << family.id() << " (" << family.displayName()
                  << ")\nlayout     " << out["layout"].get<std::string>() << "\nnative     " << summary.nativeSize
                  << "x" << summary.nativeSize << "\nchecked    every tensor's name and shape fit the networks\n";
    }
    return kDone;
}

}  // namespace

int runInspect(int argc, char** argv) {
    Args args(argc, argv, 2);
    bool json = false;
    std::string path;
    while (!args.done()) {
        if (args.peek() == "--help" || args.peek() == "-h") {
            std::cout << "Usage: storybrush-cli inspect PATH [--json]\n\n"
                         "Says what a model is: a diffusers folder or a single .safetensors file (pickle files such as "
                         ".ckpt are refused).\nPrints family (sd1, sd2, sd2-v, sdxl, qwenimage), layout, prediction "
                         "type, UNet "
                         "input channels (9 = inpainting), dtypes, parameter counts per component, and the entries "
                         "that were ignored (known training leftovers) or not understood. For a LoRA file: the layers\n"
                         "it changes (UNet, text encoders, LoCon convolutions), its ranks and the family it is for.\n\n"
                         "  --json   one JSON object instead of text\n\n"
                         "Exit codes: 0 done, 1 the model cannot be read (the message says why), 2 bad usage.\n";
            return kDone;
        }
        if (args.flag("--json")) {
            json = true;
            continue;
        }
        if (args.peek().rfind("--", 0) == 0) throw UsageError{"unknown flag '" + args.peek() + "'"};
        if (!path.empty()) throw UsageError{"inspect takes one PATH, got '" + path + "' and '" + args.peek() + "'"};
        path = args.next();
    }
    if (path.empty()) throw UsageError{"inspect needs a PATH (a diffusers folder or a .safetensors file)"};

    if (const int status = inspectLora(path, json); status >= 0) return status;
    pipeline::Family::Probe probe(path);
    const pipeline::Family* family = nullptr;
    try {
        family = &pipeline::detectFamily(probe);  // what cannot be read throws on: main prints it, exit 1
    } catch (const Error& error) {
        if (error.kind() != ErrorKind::UnsupportedModel) throw;  // a checkpoint of no known family is still shown
    }
    if (family && !family->readsCheckpoints()) return inspectFamilyModel(*family, probe, json);
    const io::Checkpoint& checkpoint = probe.checkpoint();
    const bool folder = checkpoint.layout == io::Layout::DiffusersFolder;
    const bool vPrediction = checkpoint.prediction == io::Prediction::VPrediction;
    nlohmann::json components = nlohmann::json::object();
    std::set<std::string> dtypes;
    std::vector<std::pair<const char*, const io::StateDict*>> parts = {
        {"unet", &checkpoint.unet}, {"vae", &checkpoint.vae}, {"text_encoder", &checkpoint.textEncoder}};
    if (checkpoint.family == io::ModelFamily::SDXL) parts.emplace_back("text_encoder_2", &checkpoint.textEncoder2);
    for (const auto& [name, dict] : parts) {
        components[name] = componentSummary(*dict);
        for (const auto& dtype : components[name]["dtypes"]) dtypes.insert(dtype.get<std::string>());
    }

    if (json) {
        nlohmann::json out = {{"path", checkpoint.path},
                              {"family", familyLabel(checkpoint)},
                              {"layout", folder ? "diffusers_folder" : "single_file"},
                              {"prediction", vPrediction ? "v_prediction" : "epsilon"},
                              {"in_channels", checkpoint.unetInChannels},
                              {"inpaint", checkpoint.unetInChannels == 9},
                              {"dtypes", dtypes},
                              {"components", components},
                              {"ignored_keys", checkpoint.ignoredKeys},
                              {"unknown_keys", checkpoint.unknownKeys}};
        std::cout << out.dump() << "\n";
        return kDone;
    }
    std::cout << "path:         " << checkpoint.path << "\n"
              << "family:       " << familyLabel(checkpoint) << "\n"
              << "layout:       " << (folder ? "diffusers folder" : "single file") << "\n"
              << "prediction:   " << (vPrediction ? "v_prediction" : "epsilon") << "\n"
              << "in-channels:  " << checkpoint.unetInChannels
              << (checkpoint.unetInChannels == 9 ? " (inpainting)" : "") << "\n";
    std::string dtypeText;
    for (const auto& dtype : dtypes) dtypeText += (dtypeText.empty() ? "" : ", ") + dtype;
    std::cout << "dtypes:       " << dtypeText << "\n";
    for (const auto& [name, dict] : parts) {
        std::string label = std::string(name) + ":";
        label.resize(std::max<std::size_t>(14, label.size() + 1), ' ');
        const auto& summary = components[name];
        if (dict->tensors.empty()) {
            std::cout << label << "not in this file\n";
            continue;
        }
        std::cout << label << millions(summary["parameters"].get<std::int64_t>()) << " parameters in "
                  << summary["tensors"].get<std::size_t>() << " tensors\n";
    }
    printList("ignored keys", checkpoint.ignoredKeys);
    printList("unknown keys", checkpoint.unknownKeys);
    return kDone;
}

}  // namespace storybrush::cli
