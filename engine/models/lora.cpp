// LoRA names, resolution against the model's parameters, merging and restoring.
// ref: kohya-ss sd-scripts networks/lora.py (names, alpha/rank scale, conv LoRA), diffusers
// load_lora_weights / PEFT (lora_A = down, lora_B = up), A1111 extensions-builtin/Lora.
#include "models/lora.h"

#include "io/name_map.h"
#include "io/safetensors.h"
#include "io/state_dict.h"

#include <storybrush/error.h>

#include <torch/torch.h>

#include <algorithm>
#include <regex>

namespace storybrush::models {

namespace {

struct Part {
    torch::Tensor down, up, alpha;
};

// kohya: every '.' of the module path becomes '_'. The module's own parameter names tell which '_' were dots.
std::map<std::string, std::string> kohyaNames(const LoraTargets& targets, bool sdxl) {
    std::map<std::string, std::string> names;
    for (const auto& [prefix, module] : targets) {
        for (const auto& item : module->named_parameters()) {
            const std::string& name = item.key();
            if (name.size() < 7 || name.compare(name.size() - 7, 7, ".weight") != 0) continue;
            std::string flat = name.substr(0, name.size() - 7);
            std::replace(flat.begin(), flat.end(), '.', '_');
            const std::string target = prefix + ":" + name;
            if (prefix == "unet") {
                names["lora_unet_" + flat] = target;
            } else if (prefix == "te") {
                // The text encoder's keys start after "text_model_" in kohya files.
                // kohya writes the whole module path ("lora_te_text_model_encoder_..."); some converters drop
                // "text_model_".
                const std::string inner = flat.rfind("text_model_", 0) == 0 ? flat.substr(11) : flat;
                for (const std::string& head :
                     {std::string(sdxl ? "lora_te1_" : "lora_te_"), std::string("lora_te_")}) {
                    names[head + "text_model_" + inner] = target;
                    names[head + inner] = target;
                }
            } else if (prefix == "te2") {
                const std::string inner = flat.rfind("text_model_", 0) == 0 ? flat.substr(11) : flat;
                names["lora_te2_text_model_" + inner] = target;
                names["lora_te2_" + inner] = target;
            }
            const std::string dotted = name.substr(0, name.size() - 7);
            if (prefix == "transformer") {
                // Qwen-Image LoRAs: kohya "lora_unet_transformer_blocks_0_attn_to_q", diffusers
                // "transformer.transformer_blocks.0.attn.to_q", musubi-tuner/ComfyUI "diffusion_model.…", or bare.
                names["lora_unet_" + flat] = target;
                names["diffusion_model." + dotted] = target;
                names[dotted] = target;
            }
            names[prefix + "." + dotted] = target;  // diffusers/PEFT: "unet.down_blocks.0..."
            if (prefix == "te") names["text_encoder." + dotted] = target;
            if (prefix == "te2") names["text_encoder_2." + dotted] = target;
        }
    }
    return names;
}

// kohya's SDXL LoRAs name UNet layers by the original (LDM) module paths, flattened:
// lora_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_q. Returns the flattened diffusers path
// ("lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q"), or "" when it is not such a name.
// The block is translated by the single-file name table (io/name_map); the leaf inside a resnet by its renames.
std::string kohyaLdmToDiffusers(const std::string& module) {
    static const std::regex blockName(
        R"(lora_unet_(input_blocks|output_blocks)_(\d+)_(\d+)_(.+)|lora_unet_middle_block_(\d+)_(.+))");
    std::smatch match;
    if (!std::regex_match(module, match, blockName)) return {};
    const std::string block = match[1].matched ? match[1].str() + "." + match[2].str() + "." + match[3].str() + "."
                                               : "middle_block." + match[5].str() + ".";
    const std::string rest = match[1].matched ? match[4].str() : match[6].str();
    // Leaves of LDM resnets and samplers (dots flattened) and a probe name that the table maps to the diffusers leaf.
    static const std::pair<const char*, const char*> kLeaves[] = {{"in_layers_0", "in_layers.0"},
                                                                  {"in_layers_2", "in_layers.2"},
                                                                  {"emb_layers_1", "emb_layers.1"},
                                                                  {"out_layers_0", "out_layers.0"},
                                                                  {"out_layers_3", "out_layers.3"},
                                                                  {"skip_connection", "skip_connection"},
                                                                  {"op", "op"},
                                                                  {"conv", "conv"}};
    std::string probe;
    std::string tail;
    for (const auto& [flat, dotted] : kLeaves) {
        if (rest == flat) {
            probe = block + dotted + ".weight";
            break;
        }
    }
    if (probe.empty()) {
        // Inside a transformer the names are diffusers' own: map the block through its "norm" and keep the rest.
        probe = block + "norm.weight";
        tail = rest;
    }
    const auto mapped = io::mapLdmKey("model.diffusion_model." + probe, io::LdmLayout{});
    if (mapped.size() != 1) return {};
    std::string name = mapped.front().name;
    name = name.substr(0, name.size() - 7);  // ".weight"
    if (!tail.empty())
        name = name.substr(0, name.size() - 4) + tail;  // "...attentions.0.norm" -> "...attentions.0." + tail
    std::replace(name.begin(), name.end(), '.', '_');
    return "lora_unet_" + name;
}

}  // namespace

LoraFile readLora(const std::string& path, const LoraTargets& targets, bool modelIsSdxl,
                  const std::string& modelFamily) {
    const auto file = io::SafetensorsFile::open(path);
    std::map<std::string, Part> parts;
    bool sdxlNames = false;
    bool mmditNames = false;  // Qwen-Image's transformer: two streams with their own modulation and MLPs
    for (const auto& info : file->tensors()) {
        const std::string& key = info.name;
        std::string module;
        char role = 0;  // d(own), u(p), a(lpha)
        for (const auto& [suffix, which] : {std::pair<const char*, char>{".lora_down.weight", 'd'},
                                            {".lora_up.weight", 'u'},
                                            {".lora_A.weight", 'd'},
                                            {".lora_B.weight", 'u'},
                                            {".lora.down.weight", 'd'},
                                            {".lora.up.weight", 'u'},
                                            {".alpha", 'a'}}) {
            const std::string s(suffix);
            if (key.size() > s.size() && key.compare(key.size() - s.size(), s.size(), s) == 0) {
                module = key.substr(0, key.size() - s.size());
                role = which;
                break;
            }
        }
        if (!role) continue;
        if (module.rfind("lora_te1_", 0) == 0 || module.rfind("lora_te2_", 0) == 0 ||
            module.find("text_encoder_2") != std::string::npos || module.find("input_blocks_") != std::string::npos ||
            module.find("transformer_blocks.1.") != std::string::npos ||
            module.find("transformer_blocks_1_") != std::string::npos) {
            // SD 1.x/2.x transformers are one block deep; SDXL's are 2 and 10 deep.
            sdxlNames = true;
        }
        for (const char* mmdit : {"img_mod", "txt_mod", "img_mlp", "txt_mlp", "add_q_proj", "to_add_out", "add_k_proj"})
            if (module.find(mmdit) != std::string::npos) mmditNames = true;
        // PEFT names may carry the adapter's name before ".weight" handling ("...to_q.lora_A.default.weight").
        Part& part = parts[module];
        const torch::Tensor value = io::tensorView(file, info).to(torch::kFloat32);
        (role == 'd' ? part.down : role == 'u' ? part.up : part.alpha) = value;
    }
    if (parts.empty()) {
        throw Error(ErrorKind::ModelFile,
                    path + " is not a LoRA file: it has no lora_down/lora_up or lora_A/lora_B weights.");
    }
    const bool modelIsMmdit = targets.count("transformer") > 0;
    const std::string madeFor = mmditNames ? "Qwen-Image" : sdxlNames ? "SDXL" : "SD 1.x/2.x";
    if (mmditNames != modelIsMmdit || (!mmditNames && sdxlNames != modelIsSdxl)) {
        throw Error(ErrorKind::UnsupportedModel, "The style add-on " + path + " was made for " + madeFor +
                                                     " models, but the chosen model is " + modelFamily +
                                                     ": use a LoRA made for it.");
    }
    const auto names = kohyaNames(targets, modelIsSdxl);
    LoraFile lora;
    lora.path = path;
    lora.forSdxl = sdxlNames;
    std::vector<std::string> unknown;
    for (const auto& [module, part] : parts) {
        if (!part.down.defined() || !part.up.defined()) {
            throw Error(ErrorKind::ModelFile, "The LoRA " + path + " is incomplete: " + module + " lacks its " +
                                                  (part.down.defined() ? "up" : "down") + " weight.");
        }
        std::string lookup = module;
        if (lookup.rfind("base_model.model.", 0) == 0) lookup = lookup.substr(17);  // PEFT's wrapper prefix
        if (const auto translated = kohyaLdmToDiffusers(lookup); !translated.empty()) lookup = translated;
        const auto found = names.find(lookup);
        if (found == names.end()) {
            unknown.push_back(module);
            continue;
        }
        LoraDelta delta;
        delta.target = found->second;
        delta.down = part.down;
        delta.up = part.up;
        const double rank = static_cast<double>(part.down.size(0));
        delta.scale = part.alpha.defined() ? part.alpha.item<double>() / rank : 1.0;
        lora.deltas.push_back(std::move(delta));
    }
    if (lora.deltas.empty() || unknown.size() * 2 > parts.size()) {
        throw Error(ErrorKind::UnsupportedModel,
                    "The style add-on " + path + " does not fit the chosen " + modelFamily + " model (" +
                        std::to_string(unknown.size()) + " of its " + std::to_string(parts.size()) +
                        " layers are not in it, e.g. " + (unknown.empty() ? std::string() : unknown.front()) + ").");
    }
    return lora;
}

namespace {
// A handle on the parameter's storage (undefined when absent): in-place changes change the model.
torch::Tensor findParameter(const LoraTargets& targets, const std::string& target) {
    const auto colon = target.find(':');
    const auto module = targets.find(target.substr(0, colon));
    if (module == targets.end()) return {};
    const auto parameters = module->second->named_parameters();
    const auto* parameter = parameters.find(target.substr(colon + 1));
    return parameter ? *parameter : torch::Tensor();
}
}  // namespace

void LoraMerger::restore(const LoraTargets& targets) {
    torch::NoGradGuard noGrad;
    for (const auto& [target, original] : m_originals) {
        if (torch::Tensor parameter = findParameter(targets, target); parameter.defined()) parameter.copy_(original);
    }
    m_originals.clear();
    m_merged.clear();
}

void LoraMerger::apply(const LoraTargets& targets, const std::vector<std::pair<LoraFile, float>>& loras) {
    std::vector<std::pair<std::string, float>> wanted;
    for (const auto& [lora, strength] : loras) wanted.emplace_back(lora.path, strength);
    if (wanted == m_merged) return;
    restore(targets);
    torch::NoGradGuard noGrad;
    for (const auto& [lora, strength] : loras) {
        for (const auto& delta : lora.deltas) {
            torch::Tensor parameter = findParameter(targets, delta.target);
            if (!parameter.defined()) continue;
            if (parameter.element_size() == 1)
                throw Error(ErrorKind::UnsupportedModel,
                            "The style add-on " + lora.path +
                                " cannot be merged into 8-bit "
                                "(FP8) weights yet; load the model in BF16 or FP16 to use it.");
            if (!m_originals.count(delta.target)) m_originals[delta.target] = parameter.clone();
            // up @ down in float32, shaped as the weight: linear [out, in], 1x1 or kxk convolution [out, in, kh, kw].
            torch::Tensor update;
            if (delta.down.dim() == 4 && (delta.down.size(2) != 1 || delta.down.size(3) != 1)) {
                update = torch::matmul(delta.up.flatten(1), delta.down.flatten(1)).reshape(parameter.sizes());
            } else {
                update = torch::matmul(delta.up.flatten(1), delta.down.flatten(1));
            }
            if (update.numel() != parameter.numel()) {
                throw Error(ErrorKind::UnsupportedModel, "The style add-on " + lora.path +
                                                             " has a layer of another size than the model's " +
                                                             delta.target + ": it was made for another model.");
            }
            update = update.reshape(parameter.sizes()) * (delta.scale * static_cast<double>(strength));
            parameter.add_(update.to(parameter.device(), parameter.scalar_type()));
        }
    }
    m_merged = std::move(wanted);
}

}  // namespace storybrush::models
