// Identifying a model's family (the one place), and what every family shares.
#include "pipeline/family.h"

#include <storybrush/error.h>

namespace storybrush::pipeline {

const char* offloadName(Offload offload) {
    switch (offload) {
    case Offload::None: return "none";
    case Offload::TextEncoder: return "text";
    case Offload::Blocks: return "blocks";
    }
    return "none";
}

void LoadedModel::replaceVae(const std::string& vaePath) {
    throw Error(ErrorKind::InvalidRequest, "A separate VAE (" + vaePath + ") fits Stable Diffusion models only; " +
                                               std::string(family ? family->displayName() : "this model") +
                                               " brings its own.");
}

std::string Family::samplerLabel(Sampler asked) const { return std::string(samplerName(asked)); }

Family::Probe::Probe(std::string path, io::OpenOptions options)
    : m_path(std::move(path)), m_options(std::move(options)) {}

io::Checkpoint& Family::Probe::checkpoint() {
    if (!m_checkpoint) m_checkpoint = io::openCheckpoint(m_path, m_options);
    return *m_checkpoint;
}

const Family* familyById(std::string_view id) {
    for (const Family* family : allFamilies()) {
        if (family->id() == id) return family;
    }
    return nullptr;
}

const Family& detectFamily(Family::Probe& probe) {
    for (const Family* family : allFamilies()) {
        if (family->claims(probe)) return *family;
    }
    std::string known;
    for (const Family* family : allFamilies()) {
        if (family->id() == "builtin") continue;
        known += (known.empty() ? "" : ", ") + std::string(family->displayName());
    }
    throw Error(ErrorKind::UnsupportedModel, "The model " + probe.path() +
                                                 " is of a kind Storybrush does not know; it draws with " + known +
                                                 " models.");
}

ModelSummary checkModel(const std::string& path) {
    Family::Probe probe(path);
    return detectFamily(probe).check(probe);
}

std::shared_ptr<LoadedModel> loadModel(const std::string& path, const runtime::ComputeTarget& target,
                                       const LoadOptions& options) {
    io::OpenOptions open;
    open.configFrom = options.configFrom;
    Family::Probe probe(path, open);
    return detectFamily(probe).load(probe, target, options);
}

}  // namespace storybrush::pipeline
