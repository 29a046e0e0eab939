// diffusers' convolution blocks shared by the UNet and the VAE, and the timestep embedding.
#include "models/resnet.h"

#include <torch/torch.h>

#include <cmath>

namespace storybrush::models {

ResnetBlock2DImpl::ResnetBlock2DImpl(const ResnetOptions& options, const torch::TensorOptions& tensorOptions)
    : opts(options) {
    norm1 = register_module("norm1", GroupNorm(options.groups, options.inChannels, options.eps, tensorOptions));
    conv1 = register_module("conv1", Conv2d(options.inChannels, options.outChannels, 3, 1, 1, tensorOptions));
    if (options.tembChannels) {
        const auto projected = options.scaleShift ? 2 * options.outChannels : options.outChannels;
        time_emb_proj = register_module("time_emb_proj", Linear(*options.tembChannels, projected, tensorOptions));
    }
    norm2 = register_module("norm2", GroupNorm(options.groups, options.outChannels, options.eps, tensorOptions));
    conv2 = register_module("conv2", Conv2d(options.outChannels, options.outChannels, 3, 1, 1, tensorOptions));
    if (options.inChannels != options.outChannels) {
        conv_shortcut =
            register_module("conv_shortcut", Conv2d(options.inChannels, options.outChannels, 1, 1, 0, tensorOptions));
    }
}

torch::Tensor ResnetBlock2DImpl::forward(const torch::Tensor& x, const torch::Tensor& temb) {
    // Norm then activation, as one step so that SiLU can ride in the norm's kernel.
    const auto normActivated = [this](GroupNorm& norm, const torch::Tensor& input) {
        return opts.activation == Activation::Silu ? norm->forwardThenSilu(input)
                                                   : activateTemporary(opts.activation, norm(input));
    };
    const auto activated = normActivated(norm1, x);
    torch::Tensor h;
    torch::Tensor scale;
    torch::Tensor shift;
    if (time_emb_proj && temb.defined()) {
        auto t = time_emb_proj(opts.tembActivated ? temb : activate(opts.activation, temb)).unsqueeze(-1).unsqueeze(-1);
        if (opts.scaleShift) {
            h = conv1(activated);
            auto parts = t.chunk(2, 1);
            scale = parts[0];
            shift = parts[1];
        } else {
            h = conv1->forwardAdding(activated, t);
        }
    } else {
        h = conv1(activated);
    }
    if (scale.defined()) {
        h = norm2(h) * (1 + scale) + shift;         // ref: ResnetBlock2D time_embedding_norm == "scale_shift"
        h = activateTemporary(opts.activation, h);  // h: made from norm2's output
    } else {
        h = normActivated(norm2, h);
    }
    const auto shortcut = conv_shortcut ? conv_shortcut(x) : x;
    auto out = conv2->forwardThenAdd(h, shortcut);
    if (opts.outputScaleFactor != 1.0) {
        out = out / opts.outputScaleFactor;
    }
    return out;
}

Downsample2DImpl::Downsample2DImpl(std::int64_t channels, std::int64_t paddingValue,
                                   const torch::TensorOptions& tensorOptions)
    : padding(paddingValue) {
    conv = register_module("conv", Conv2d(channels, channels, 3, 2, paddingValue, tensorOptions));
}

torch::Tensor Downsample2DImpl::forward(const torch::Tensor& x) {
    if (padding == 0) {
        // ref: Downsample2D: "if use_conv and padding == 0: F.pad(hidden_states, (0, 1, 0, 1))".
        return conv(torch::constant_pad_nd(x, {0, 1, 0, 1}, 0));
    }
    return conv(x);
}

Upsample2DImpl::Upsample2DImpl(std::int64_t channels, const torch::TensorOptions& tensorOptions) {
    conv = register_module("conv", Conv2d(channels, channels, 3, 1, 1, tensorOptions));
}

torch::Tensor Upsample2DImpl::forward(const torch::Tensor& x,
                                      std::optional<std::pair<std::int64_t, std::int64_t>> size) {
    const std::int64_t height = size ? size->first : 2 * x.size(2);
    const std::int64_t width = size ? size->second : 2 * x.size(3);
    // Nearest to an explicit size picks the same pixels as scale_factor=2 when the size is exactly double.
    auto up = torch::upsample_nearest2d(x.contiguous(), {height, width});
    return conv(up);
}

torch::Tensor timestepEmbedding(const torch::Tensor& timesteps, std::int64_t dim, bool flipSinToCos,
                                double downscaleFreqShift) {
    const auto halfDim = dim / 2;
    const auto options = torch::TensorOptions().dtype(torch::kFloat32).device(timesteps.device());
    auto exponent =
        -std::log(10000.0) * torch::arange(0, halfDim, options) / (static_cast<double>(halfDim) - downscaleFreqShift);
    auto emb = timesteps.to(torch::kFloat32).unsqueeze(1) * torch::exp(exponent).unsqueeze(0);
    emb = flipSinToCos ? torch::cat({torch::cos(emb), torch::sin(emb)}, -1)
                       : torch::cat({torch::sin(emb), torch::cos(emb)}, -1);
    if (dim % 2 == 1) {
        emb = torch::constant_pad_nd(emb, {0, 1, 0, 0}, 0);
    }
    return emb;
}

TimestepEmbeddingImpl::TimestepEmbeddingImpl(std::int64_t inChannels, std::int64_t timeEmbedDim,
                                             Activation activationValue, std::optional<std::int64_t> condProjDim,
                                             const torch::TensorOptions& tensorOptions)
    : activation(activationValue) {
    linear_1 = register_module("linear_1", Linear(inChannels, timeEmbedDim, tensorOptions));
    if (condProjDim) {
        cond_proj = register_module("cond_proj", Linear(*condProjDim, inChannels, tensorOptions, /*bias=*/false));
    }
    linear_2 = register_module("linear_2", Linear(timeEmbedDim, timeEmbedDim, tensorOptions));
}

torch::Tensor TimestepEmbeddingImpl::forward(torch::Tensor sample, const torch::Tensor& condition) {
    if (cond_proj && condition.defined()) {
        sample = sample + cond_proj(condition);
    }
    return linear_2(activate(activation, linear_1(sample)));
}

}  // namespace storybrush::models
