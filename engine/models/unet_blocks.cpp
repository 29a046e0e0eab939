// The UNet's down, mid and up blocks (diffusers unet_2d_blocks.py).
#include "models/unet_blocks.h"

#include <storybrush/error.h>

#include <torch/torch.h>

namespace storybrush::models {

namespace {

ResnetBlock2D makeResnet(std::int64_t in, std::int64_t out, const UNetBlockOptions& options,
                         const torch::TensorOptions& tensorOptions) {
    ResnetOptions resnet;
    resnet.inChannels = in;
    resnet.outChannels = out;
    resnet.tembChannels = options.tembChannels;
    resnet.groups = options.groups;
    resnet.eps = options.eps;
    resnet.activation = options.activation;
    resnet.scaleShift = options.scaleShift;
    resnet.outputScaleFactor = options.outputScaleFactor;
    resnet.tembActivated = true;  // the UNet's forward activates temb once
    return ResnetBlock2D(resnet, tensorOptions);
}

Transformer2DModel makeTransformer(std::int64_t channels, std::int64_t layerIndex, const UNetBlockOptions& options,
                                   const torch::TensorOptions& tensorOptions) {
    if (options.heads <= 0 || channels % options.heads != 0) {
        throw Error(ErrorKind::ModelFile, "UNet config: " + std::to_string(channels) + " channels do not split into " +
                                              std::to_string(options.heads) +
                                              " attention heads; check attention_head_dim / num_attention_heads");
    }
    Transformer2DOptions transformer;
    transformer.inChannels = channels;
    transformer.heads = options.heads;
    transformer.headDim = channels / options.heads;  // ref: out_channels // num_attention_heads
    transformer.layers = options.transformerLayersPerLayer.empty()
                             ? options.transformerLayers
                             : options.transformerLayersPerLayer.at(static_cast<std::size_t>(layerIndex));
    transformer.crossAttentionDim = options.crossAttentionDim;
    transformer.groups = options.groups;
    transformer.useLinearProjection = options.useLinearProjection;
    transformer.onlyCrossAttention = options.onlyCrossAttention;
    return Transformer2DModel(transformer, tensorOptions);
}

torch::Tensor runResnet(torch::nn::ModuleList& list, std::size_t index, const torch::Tensor& x,
                        const torch::Tensor& temb) {
    return list[index]->as<ResnetBlock2DImpl>()->forward(x, temb);
}

torch::Tensor runTransformer(torch::nn::ModuleList& list, std::size_t index, const torch::Tensor& x,
                             const CrossContext& context) {
    return list[index]->as<Transformer2DModelImpl>()->forward(x, context);
}

}  // namespace

UNetDownBlockImpl::UNetDownBlockImpl(std::int64_t layers, std::int64_t inChannels, std::int64_t outChannels,
                                     bool addDownsample, std::int64_t downsamplePadding,
                                     const UNetBlockOptions& options, const torch::TensorOptions& tensorOptions) {
    resnets = register_module("resnets", torch::nn::ModuleList());
    if (options.hasAttention) {
        attentions = register_module("attentions", torch::nn::ModuleList());
    }
    for (std::int64_t i = 0; i < layers; ++i) {
        resnets->push_back(makeResnet(i == 0 ? inChannels : outChannels, outChannels, options, tensorOptions));
        if (options.hasAttention) {
            attentions->push_back(makeTransformer(outChannels, i, options, tensorOptions));
        }
    }
    if (addDownsample) {
        downsamplers = register_module("downsamplers", torch::nn::ModuleList());
        downsamplers->push_back(Downsample2D(outChannels, downsamplePadding, tensorOptions));
    }
}

torch::Tensor UNetDownBlockImpl::forward(torch::Tensor x, const torch::Tensor& temb, const CrossContext& context,
                                         std::vector<torch::Tensor>& skips) {
    for (std::size_t i = 0; i < resnets->size(); ++i) {
        x = runResnet(resnets, i, x, temb);
        if (attentions) {
            x = runTransformer(attentions, i, x, context);
        }
        skips.push_back(x);
    }
    if (downsamplers) {
        x = downsamplers[0]->as<Downsample2DImpl>()->forward(x);
        skips.push_back(x);
    }
    return x;
}

UNetMidBlockImpl::UNetMidBlockImpl(std::int64_t channels, std::int64_t layers, const UNetBlockOptions& options,
                                   const torch::TensorOptions& tensorOptions) {
    resnets = register_module("resnets", torch::nn::ModuleList());
    attentions = register_module("attentions", torch::nn::ModuleList());
    resnets->push_back(makeResnet(channels, channels, options, tensorOptions));
    for (std::int64_t i = 0; i < layers; ++i) {
        attentions->push_back(makeTransformer(channels, i, options, tensorOptions));
        resnets->push_back(makeResnet(channels, channels, options, tensorOptions));
    }
}

torch::Tensor UNetMidBlockImpl::forward(torch::Tensor x, const torch::Tensor& temb, const CrossContext& context) {
    x = runResnet(resnets, 0, x, temb);
    for (std::size_t i = 0; i < attentions->size(); ++i) {
        x = runTransformer(attentions, i, x, context);
        x = runResnet(resnets, i + 1, x, temb);
    }
    return x;
}

UNetUpBlockImpl::UNetUpBlockImpl(std::int64_t layers, std::int64_t inChannels, std::int64_t prevOutputChannels,
                                 std::int64_t outChannels, bool addUpsample, const UNetBlockOptions& options,
                                 const torch::TensorOptions& tensorOptions) {
    resnets = register_module("resnets", torch::nn::ModuleList());
    if (options.hasAttention) {
        attentions = register_module("attentions", torch::nn::ModuleList());
    }
    for (std::int64_t i = 0; i < layers; ++i) {
        // ref: CrossAttnUpBlock2D: the last resnet takes the skip from before the matching down block.
        const auto skipChannels = (i == layers - 1) ? inChannels : outChannels;
        const auto resnetIn = (i == 0) ? prevOutputChannels : outChannels;
        resnets->push_back(makeResnet(resnetIn + skipChannels, outChannels, options, tensorOptions));
        if (options.hasAttention) {
            attentions->push_back(makeTransformer(outChannels, i, options, tensorOptions));
        }
    }
    if (addUpsample) {
        upsamplers = register_module("upsamplers", torch::nn::ModuleList());
        upsamplers->push_back(Upsample2D(outChannels, tensorOptions));
    }
}

torch::Tensor UNetUpBlockImpl::forward(torch::Tensor x, const torch::Tensor& temb, const CrossContext& context,
                                       std::vector<torch::Tensor>& skips) {
    for (std::size_t i = 0; i < resnets->size(); ++i) {
        if (skips.empty()) {
            throw Error(ErrorKind::Internal, "UNet up block ran out of skip connections");
        }
        auto skip = skips.back();
        skips.pop_back();
        x = runResnet(resnets, i, torch::cat({x, skip}, 1), temb);
        if (attentions) {
            x = runTransformer(attentions, i, x, context);
        }
    }
    if (upsamplers) {
        std::optional<std::pair<std::int64_t, std::int64_t>> size;
        if (!skips.empty()) {
            size = std::make_pair(skips.back().size(2), skips.back().size(3));
        }
        x = upsamplers[0]->as<Upsample2DImpl>()->forward(x, size);
    }
    return x;
}

}  // namespace storybrush::models
