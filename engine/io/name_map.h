// The one LDM -> diffusers name table: how single-file checkpoints (A1111/ComfyUI/Civitai) name the
// tensors of the UNet, VAE and text encoder, and which extra entries are known training leftovers.
#pragma once

#include <string>
#include <vector>

namespace storybrush::io {

// TextEncoder2: SDXL's second text encoder (OpenCLIP ViT-bigG with its projection).
enum class Component { Unet, Vae, TextEncoder, TextEncoder2 };

// What must happen to the LDM tensor to become the diffusers one.
enum class Transform {
    None,
    SqueezeConv1x1,  // VAE attention q/k/v/proj_out stored as 1x1 convs [C,C,1,1] -> Linear [C,C]
    SliceQ,          // first third of the rows of OpenCLIP's fused in_proj (q, k, v stacked)
    SliceK,          // second third
    SliceV,          // last third
    Transpose,       // OpenCLIP's text_projection is used as x @ P; diffusers' Linear holds P^T
};

struct MappedName {
    Component component = Component::Unet;
    std::string name;  // diffusers module name, without the component prefix
    Transform transform = Transform::None;
};

// The numbers a mapping needs that only the whole key set tells (indices in LDM names are flat).
struct LdmLayout {
    int unetLayersPerBlock = 2;  // resnets per down block (LDM num_res_blocks)
    int vaeLevels = 4;           // VAE resolution levels (decoder.up.N is numbered in reverse)
    int openClipLayersKept = 0;  // SD 2.x: OpenCLIP resblocks diffusers keeps (all but the last one)
};

// Reads the layout from the key set of a single file. Only the numbers actually present are changed.
LdmLayout detectLdmLayout(const std::vector<std::string>& keys);

// All diffusers tensors made from one LDM key: none when the key is not a weight of the three modules,
// three for a fused OpenCLIP in_proj.
std::vector<MappedName> mapLdmKey(const std::string& key, const LdmLayout& layout);

// Known leftovers of training and of other pipelines' modules (EMA copies, noise schedules, position ids,
// the VAE's loss network, OpenCLIP's last layer and projection): ignored, but noted by `inspect`.
bool isKnownLeftover(const std::string& key, const LdmLayout& layout);

}  // namespace storybrush::io
