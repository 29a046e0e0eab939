// The stages of one generation (see stages.h).
#include "pipeline/stages.h"

#include "pipeline/diffusion.h"
#include "runtime/device.h"
#include "runtime/torch_compat.h"
#include "safety/compvis_checker.h"
#include "safety/picture_classifier.h"

#include <storybrush/error.h>

#include <torch/torch.h>

#include <cmath>
#include <filesystem>

namespace storybrush::pipeline {

namespace fs = std::filesystem;

double secondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

std::string resolveModelPath(const std::string& asked, const std::string& builtinFolder) {
    if (asked != kBuiltinModel) {
        if (!fs::exists(fs::u8path(asked))) {
            throw Error(ErrorKind::ModelFile,
                        "The model " + asked + " does not exist. Check the path, or use \"builtin\".");
        }
        return asked;
    }
    if (!builtinFolder.empty() && fs::exists(fs::u8path(builtinFolder) / "model_index.json")) return builtinFolder;
    const std::string builtin = io::builtinModelDir();
    if (!builtin.empty()) return builtin;
    throw Error(ErrorKind::ModelFile,
                "The built-in model is not installed in this version yet. Choose a Stable Diffusion 1.x, 2.x or XL "
                "model of your own (a .safetensors file or a diffusers folder): in the studio with Model > "
                "Choose a model file, on the command line with --model PATH.");
}

GenerationRequest recordedRequest(const GenerationRequest& asked, const LoadedModel& model) {
    GenerationRequest recorded = asked;
    if (asked.kidMode) {
        recorded.negativePrompt = asked.negativePrompt.empty()
                                      ? std::string(kidModeNegativePrompt())
                                      : asked.negativePrompt + ", " + std::string(kidModeNegativePrompt());
    }
    if (const auto own = model.family->defaults().ownSampler) recorded.sampler = *own;
    return recorded;
}

std::vector<std::pair<std::string, float>> takeLoraTags(std::string& prompt) {
    std::vector<std::pair<std::string, float>> tags;
    std::string kept;
    std::size_t at = 0;
    while (true) {
        const auto open = prompt.find("<lora:", at);
        const auto close = open == std::string::npos ? std::string::npos : prompt.find('>', open);
        if (close == std::string::npos) {
            kept += prompt.substr(at);
            break;
        }
        kept += prompt.substr(at, open - at);
        std::string body = prompt.substr(open + 6, close - open - 6);
        float weight = 1.0f;
        if (const auto colon = body.rfind(':'); colon != std::string::npos) {
            try {
                weight = std::stof(body.substr(colon + 1));
                body = body.substr(0, colon);
            } catch (const std::exception&) {
            }
        }
        if (!body.empty()) tags.emplace_back(body, weight);
        at = close + 1;
    }
    prompt = kept;
    return tags;
}

std::string findLoraFile(const std::string& name, const std::string& modelPath, const std::vector<std::string>& given) {
    const std::string file =
        name.size() > 12 && name.compare(name.size() - 12, 12, ".safetensors") == 0 ? name : name + ".safetensors";
    std::vector<fs::path> folders;
    for (const auto& folder : given) folders.push_back(fs::u8path(folder));
    fs::path up = fs::absolute(fs::u8path(modelPath)).parent_path();
    for (int level = 0; level < 3 && !up.empty(); ++level, up = up.parent_path()) {
        for (const char* sub : {"loras", "Lora", "lora"}) folders.push_back(up / sub);
    }
    std::string tried;
    for (const auto& folder : folders) {
        std::error_code error;
        if (fs::is_regular_file(folder / fs::u8path(file), error)) return (folder / fs::u8path(file)).u8string();
        tried += "\n  " + folder.u8string();
    }
    throw Error(ErrorKind::InvalidRequest,
                "The style add-on <lora:" + name + "> was not found. Looked for " + file + " in:" + tried);
}

void applyLoras(LoadedModel& model, models::LoraMerger& merger, const std::vector<LoraRef>& flags,
                const std::vector<std::pair<std::string, float>>& tags, const std::vector<std::string>& loraFolders) {
    const models::LoraTargets targets = model.loraTargets();
    const bool sdxlNames = model.family->sdxlLoraNames();
    const std::string familyName(model.family->displayName());
    std::vector<std::pair<models::LoraFile, float>> wanted;
    for (const auto& ref : flags)
        wanted.emplace_back(models::readLora(ref.path, targets, sdxlNames, familyName), ref.weight);
    for (const auto& [name, weight] : tags) {
        wanted.emplace_back(
            models::readLora(findLoraFile(name, model.path, loraFolders), targets, sdxlNames, familyName), weight);
    }
    const auto before = merger.merged();
    merger.apply(targets, wanted);
    if (merger.merged() != before) model.clearPromptCache();  // the text encoder's weights changed
}

PicturePlan planPicture(const GenerationRequest& asked, const LoadedModel& model) {
    PicturePlan plan;
    plan.width = asked.width > 0 ? asked.width : model.nativeSize;
    plan.height = asked.height > 0 ? asked.height : model.nativeSize;
    if (asked.width == 0 && asked.height == 0 && asked.aspectRatio != 1.0f) {
        // The model's own number of pixels in the asked shape: what it was trained to fill.
        const double side = model.nativeSize, ratio = asked.aspectRatio;
        const auto size = imaging::gridSize(static_cast<int>(std::lround(side * std::sqrt(ratio))),
                                            static_cast<int>(std::lround(side / std::sqrt(ratio))));
        plan.width = size.width;
        plan.height = size.height;
    }
    std::tie(plan.width, plan.height) = model.drawableSize(plan.width, plan.height);
    const GenerationMode mode = asked.mode();
    if (mode == GenerationMode::Inpaint || mode == GenerationMode::Outpaint) {
        plan.repaint = imaging::planRepaint(asked, model.nativeSize);
        plan.width = plan.repaint->drawSize.width;
        plan.height = plan.repaint->drawSize.height;
        const Image boxPicture = imaging::cropImage(plan.repaint->canvas, plan.repaint->box);
        const Image boxMask = imaging::cropImage(plan.repaint->mask, plan.repaint->box);
        plan.inputs.image = imageToTensor(imaging::resizeImage(boxPicture, plan.width, plan.height));
        plan.inputs.mask = maskToTensor(imaging::resizeImage(boxMask, plan.width, plan.height));
    } else if (asked.initImage) {
        // Image-to-image draws at the picture's own size, rounded down to the latent grid of 8 pixels.
        plan.width = asked.initImage->width / 8 * 8;
        plan.height = asked.initImage->height / 8 * 8;
        if (plan.width < 64 || plan.height < 64) {
            throw Error(ErrorKind::InvalidRequest,
                        "The starting picture is too small: it needs at least 64x64 pixels.");
        }
        plan.inputs.image = imageToTensor(*asked.initImage);
        if (plan.inputs.image.size(2) != plan.height || plan.inputs.image.size(3) != plan.width) {
            plan.inputs.image =
                torch::upsample_bilinear2d(plan.inputs.image, {plan.height, plan.width}, /*align_corners=*/false);
        }
    }
    return plan;
}

Image finishPicture(const PicturePlan& plan, Image drawn, bool colorMatch) {
    return plan.repaint ? imaging::finishRepaint(*plan.repaint, drawn, colorMatch) : std::move(drawn);
}

bool PreviewThrottle::due(int stepsDone, int totalSteps) const {
    return m_perSecond > 0 && stepsDone < totalSteps && secondsSince(m_last) >= 1.0 / m_perSecond;
}

ProgressReporter::ProgressReporter(const GenerationRequest& asked, LoadedModel& model, Clock::time_point started)
    : m_asked(asked), m_model(model), m_started(started), m_previews(asked.previewsPerSecond) {
    if (!asked.onProgress) return;
    m_model.reportStreamedLayers([this](int arrived, int layers) {
        Progress progress = progressAt(m_picture, m_step, m_total);
        progress.layersArrived = arrived;
        progress.layersTotal = layers;
        m_asked.onProgress(progress);
    });
}

ProgressReporter::~ProgressReporter() {
    if (m_asked.onProgress) m_model.reportStreamedLayers(nullptr);
}

Progress ProgressReporter::progressAt(int picture, int step, int total) const {
    Progress progress;
    progress.imageIndex = picture;
    progress.batchSize = m_asked.batchSize;
    progress.step = step;
    progress.totalSteps = total;
    progress.elapsedSeconds = secondsSince(m_started);
    return progress;
}

StepCallback ProgressReporter::forPicture(int index) {
    m_stepStart = Clock::now();
    m_picture = index;
    m_step = 0;
    m_total = m_asked.steps;
    return [this, index](int done, int total, const torch::Tensor& latents) {
        m_step = done;
        m_total = total;
        m_stepSeconds += secondsSince(m_stepStart);
        m_stepStart = Clock::now();
        ++m_stepsDone;
        if (!m_asked.onProgress) return !m_asked.cancel.isCancelled();
        Progress progress = progressAt(index, done, total);
        // Image-to-image runs fewer steps than asked: count what is left of this run.
        const int left = (total - done) + (m_asked.batchSize - 1 - index) * total;
        progress.secondsLeft = m_stepsDone > 0 ? m_stepSeconds / m_stepsDone * left : -1.0;
        if (m_previews.due(done, total)) {
            progress.preview = m_model.stepPreview(latents);
            m_previews.taken();
        }
        const bool keepGoing = m_asked.onProgress(progress);
        return keepGoing && !m_asked.cancel.isCancelled();
    };
}

PictureJudge::PictureJudge() = default;
PictureJudge::~PictureJudge() = default;

// The filter is loaded on another thread while the model loads, so the first picture does not wait for it; on a
// GPU it also runs once on a blank picture, to load its kernels (a CPU has none to load: that run would only take
// a core from the model). Errors wait for classifier() to report them.
void PictureJudge::startLoading(const torch::Device& device) {
    if ((m_classifier && m_classifier->device() == device) || m_loading.valid()) return;
    const std::string path = safety::PictureClassifier::defaultPath();
    if (path.empty()) return;
    m_loading = std::async(std::launch::async, [path, device] {
        const runtime::InferenceGuard inference;
        auto loaded = safety::PictureClassifier::load(path, device);
        if (device.is_cuda())
            (void)loaded->classify(torch::zeros({1, 3, 224, 224}, torch::TensorOptions().device(device)));
        return loaded;
    });
}

void PictureJudge::useModelChecker(const std::string& modelPath, const torch::Device& device) {
    m_modelChecker.reset();
    if (const std::string checker = safety::CompVisSafetyChecker::findIn(modelPath); !checker.empty()) {
        m_modelChecker = safety::CompVisSafetyChecker::load(checker, device);
    }
}

const safety::PictureClassifier& PictureJudge::classifier(const torch::Device& device) {
    if (m_loading.valid()) m_classifier = m_loading.get();
    if (!m_classifier || m_classifier->device() != device) {
        const std::string path = safety::PictureClassifier::defaultPath();
        if (path.empty()) {
            throw Error(ErrorKind::ModelFile, "The kid-safe picture filter (resources/safety/classifier/"
                                              "nsfwjs-mobilenet-v2.safetensors) is missing: reinstall Storybrush.");
        }
        m_classifier.reset();
        m_classifier = safety::PictureClassifier::load(path, device);
    }
    return *m_classifier;
}

SafetyVerdict PictureJudge::judge(const Image& picture, const torch::Device& device) {
    SafetyVerdict verdict = safety::judgePicture(classifier(device).classify(picture));
    if (verdict.allowed && m_modelChecker && m_modelChecker->check(picture).hasNsfw) {
        verdict.allowed = false;
        verdict.category = SafetyCategory::Sexual;
        verdict.matchedTerm = "the model's own safety checker";
        verdict.childMessage = "Let's try another idea!";
    }
    return verdict;
}

namespace {

bool isOutOfMemory(const std::string& message) {
    return message.find("out of memory") != std::string::npos ||
           message.find("DefaultCPUAllocator: can't allocate") != std::string::npos;
}

}  // namespace

GenerationResult translateTorchErrors(const torch::Device& device, const std::function<GenerationResult()>& work) {
    try {
        return work();
    } catch (const c10::Error& error) {
        const std::string message = error.what_without_backtrace();
        if (isOutOfMemory(message)) {
            throw Error(ErrorKind::OutOfMemory, "There was not enough memory on " + runtime::describeDevice(device) +
                                                    " for this picture. Try a smaller size or fewer pictures at once.");
        }
        throw Error(ErrorKind::Internal, "The drawing engine failed: " + message);
    } catch (const std::bad_alloc&) {
        throw Error(ErrorKind::OutOfMemory,
                    "There was not enough memory for this picture. Try a smaller size or fewer pictures at once.");
    }
}

}  // namespace storybrush::pipeline
