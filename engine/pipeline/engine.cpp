// The Engine facade: validates a request, keeps the loaded model, and draws each picture of the batch.
#include <storybrush/engine.h>

#include "imaging/repaint.h"
#include "io/checkpoint.h"
#include "io/name_map.h"
#include "io/safetensors.h"
#include "models/autoencoder_tiny.h"
#include "models/lora.h"
#include "models/weights.h"
#include "pipeline/generation.h"
#include "pipeline/latent_preview.h"
#include "pipeline/loaded_model.h"
#include "pipeline/parameters_text.h"
#include "runtime/device.h"
#include "runtime/resources.h"
#include "runtime/torch_compat.h"
#include "safety/compvis_checker.h"
#include "safety/picture_classifier.h"
#include "safety/prompt_policy.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <optional>
#include <utility>

namespace storybrush {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

bool isOutOfMemory(const std::string& message) {
    return message.find("out of memory") != std::string::npos || message.find("CUDA error: out of memory") != std::string::npos ||
           message.find("DefaultCPUAllocator: can't allocate") != std::string::npos;
}

// A1111's <lora:NAME:WEIGHT> (weight optional, 1): taken out of the prompt, returned as (name, weight).
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

}  // namespace

struct Engine::Impl {
    EngineOptions options;
    std::shared_ptr<pipeline::LoadedModel> model;
    std::string modelKey;
    pipeline::PromptCache prompts;
    std::optional<safety::PromptPolicy> policy;  // loaded on first use; a tampered list fails the request

    std::shared_ptr<safety::PictureClassifier> classifier;  // loaded on first use, on the pictures' device
    // The model folder's own CompVis safety checker (safety_checker/, safetensors only): a second opinion.
    std::shared_ptr<safety::CompVisSafetyChecker> modelChecker;
    models::LoraMerger loras;  // the style add-ons merged into `model` now
    std::shared_ptr<models::TinyDecoder> previewDecoder;  // TAESD in vae_approx/ beside the model, when there is one

    std::future<std::shared_ptr<safety::PictureClassifier>> classifierLoading;

    // The filter is loaded on another thread while the model loads, so the first picture does not wait for it; on a
    // GPU it also runs once on a blank picture, to load its kernels (a CPU has none to load: that run would only take
    // a core from the model). Errors wait for pictureClassifier to report them.
    void startLoadingClassifier(const torch::Device& device) {
        if ((classifier && classifier->device() == device) || classifierLoading.valid()) return;
        const std::string path = safety::PictureClassifier::defaultPath();
        if (path.empty()) return;
        classifierLoading = std::async(std::launch::async, [path, device] {
            const runtime::InferenceGuard inference;
            auto loaded = safety::PictureClassifier::load(path, device);
            if (device.is_cuda()) (void)loaded->classify(torch::zeros({1, 3, 224, 224}, torch::TensorOptions().device(device)));
            return loaded;
        });
    }

    // Fails closed: without its filter no picture leaves the engine while the check is on.
    const safety::PictureClassifier& pictureClassifier(const torch::Device& device) {
        if (classifierLoading.valid()) classifier = classifierLoading.get();
        if (!classifier || classifier->device() != device) {
            const std::string path = safety::PictureClassifier::defaultPath();
            if (path.empty()) {
                throw Error(ErrorKind::ModelFile, "The kid-safe picture filter (resources/safety/classifier/"
                                                  "nsfwjs-mobilenet-v2.safetensors) is missing: reinstall Storybrush.");
            }
            classifier.reset();
            classifier = safety::PictureClassifier::load(path, device);
        }
        return *classifier;
    }

    const safety::PromptPolicy& promptPolicy() {
        if (!policy) policy = safety::PromptPolicy::load(safety::PromptPolicy::defaultFolder());
        return *policy;
    }

    // A separate VAE file (diffusers names, LDM names as standalone VAE files have them, or a whole checkpoint whose
    // VAE is taken): its weights replace the model's VAE, which must have the same shape.
    static void replaceVae(pipeline::LoadedModel& model, const std::string& vaePath) {
        if (!fs::exists(fs::u8path(vaePath))) throw Error(ErrorKind::ModelFile, "The VAE file " + vaePath + " does not exist.");
        const auto file = io::SafetensorsFile::open(vaePath);
        std::vector<std::string> ldmKeys;  // every key under its single-file name
        bool diffusersNames = false;
        for (const auto& info : file->tensors()) {
            const std::string& key = info.name;
            if (key.rfind("encoder.down_blocks.", 0) == 0 || key.rfind("decoder.up_blocks.", 0) == 0) diffusersNames = true;
            ldmKeys.push_back(key.rfind("first_stage_model.", 0) == 0 ? key : "first_stage_model." + key);
        }
        io::StateDict vae;
        vae.source = vaePath;
        const io::LdmLayout layout = io::detectLdmLayout(ldmKeys);
        std::size_t index = 0;
        for (const auto& info : file->tensors()) {
            const std::string& ldmKey = ldmKeys[index++];
            if (diffusersNames) {
                if (info.name.rfind("encoder.", 0) == 0 || info.name.rfind("decoder.", 0) == 0 || info.name.find("quant_conv") != std::string::npos) {
                    vae.tensors[info.name] = io::tensorView(file, info);
                }
                continue;
            }
            for (const auto& mapped : io::mapLdmKey(ldmKey, layout)) {
                if (mapped.component != io::Component::Vae) continue;
                torch::Tensor tensor = io::tensorView(file, info);
                if (mapped.transform == io::Transform::SqueezeConv1x1) tensor = tensor.reshape({tensor.size(0), tensor.size(1)});
                vae.tensors[mapped.name] = tensor;
            }
        }
        if (vae.tensors.empty()) {
            throw Error(ErrorKind::ModelFile, vaePath + " holds no VAE weights (encoder/decoder): choose a VAE .safetensors file.");
        }
        try {
            models::loadStrict(*model.vae, vae);
        } catch (const Error& error) {
            throw Error(ErrorKind::UnsupportedModel, "The VAE " + vaePath + " does not fit the model " + model.name + ": " + error.what());
        }
    }

    // NAME.safetensors for <lora:NAME:...>: the folders given, then the model's neighbourhood.
    std::string findLora(const std::string& name, const std::string& modelPath) const {
        const std::string file = name.size() > 12 && name.compare(name.size() - 12, 12, ".safetensors") == 0 ? name : name + ".safetensors";
        std::vector<fs::path> folders;
        for (const auto& folder : options.loraFolders) folders.push_back(fs::u8path(folder));
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
        throw Error(ErrorKind::InvalidRequest, "The style add-on <lora:" + name + "> was not found. Looked for " + file + " in:" + tried);
    }

    std::string resolveModel(const std::string& requested) const {
        if (requested != kBuiltinModel) {
            if (!fs::exists(fs::u8path(requested))) {
                throw Error(ErrorKind::ModelFile, "The model " + requested + " does not exist. Check the path, or use \"builtin\".");
            }
            return requested;
        }
        if (!options.builtinModelDir.empty() && fs::exists(fs::u8path(options.builtinModelDir) / "model_index.json")) {
            return options.builtinModelDir;
        }
        const std::string builtin = io::builtinModelDir();
        if (!builtin.empty()) return builtin;
        throw Error(ErrorKind::ModelFile,
                    "The built-in model is not installed in this version yet. Choose a Stable Diffusion 1.x, 2.x or XL "
                    "model of your own (a .safetensors file or a diffusers folder): in the studio with Model > "
                    "Choose a model file, on the command line with --model PATH.");
    }

    pipeline::LoadedModel& load(const std::string& path, const runtime::ComputeTarget& target, const std::string& vaePath) {
        const std::string key = path + "|" + target.device.str() + "|" + runtime::dtypeName(target.dtype) + "|" + vaePath;
        if (!model || key != modelKey) {
            model.reset();  // free the old networks before the new ones take memory
            modelChecker.reset();
            previewDecoder.reset();
            loras = {};
            prompts = {};
            model = pipeline::loadModel(path, target);
            if (!vaePath.empty()) replaceVae(*model, vaePath);
            if (const std::string taesd = models::TinyDecoder::findFor(path); !taesd.empty()) {
                previewDecoder = models::TinyDecoder::load(taesd, target.device, target.dtype);
            }
            if (const std::string checker = safety::CompVisSafetyChecker::findIn(path); !checker.empty()) {
                modelChecker = safety::CompVisSafetyChecker::load(checker, target.device);
            }
            modelKey = key;
        }
        return *model;
    }
};

Engine::Engine(EngineOptions options) : m_impl(std::make_unique<Impl>()) {
    m_impl->options = std::move(options);
    if (m_impl->options.cpuThreads > 0) at::set_num_threads(m_impl->options.cpuThreads);
}

Engine::~Engine() = default;

std::string Engine::deviceDescription(DevicePreference preference) const {
    const auto target = runtime::chooseTarget(preference, Precision::Auto);
    return runtime::describeDevice(target.device) + ", " + runtime::dtypeName(target.dtype);
}

GenerationResult Engine::generate(const GenerationRequest& request) {
    validateRequest(request);
    const auto started = Clock::now();
    if (request.safetyCheck) {
        // Only the prompt is checked: negative prompts name what to keep out, often in exactly these words.
        SafetyVerdict verdict = m_impl->promptPolicy().check(request.prompt);
        if (!verdict.allowed) {
            GenerationResult blocked;
            blocked.promptVerdict = std::move(verdict);
            blocked.seconds = secondsSince(started);
            return blocked;
        }
    }
    const auto target = runtime::chooseTarget(request.device, request.precision);
    const std::string path = m_impl->resolveModel(request.model);
    GenerationRequest effective = request;  // what is drawn, and what the parameters text records
    if (request.kidMode) {
        effective.negativePrompt = request.negativePrompt.empty()
                                       ? std::string(kidModeNegativePrompt())
                                       : request.negativePrompt + ", " + std::string(kidModeNegativePrompt());
    }
    runtime::InferenceGuard inference;
    try {
        if (request.safetyCheck) m_impl->startLoadingClassifier(target.device);
        pipeline::LoadedModel& model = m_impl->load(path, target, request.vaePath);
        // Qwen-Image has one sampler (flow-matching Euler): the parameters text says so, whatever was asked.
        if (model.qwen) effective.sampler = Sampler::Euler;

        // Style add-ons: merged into the weights for this request (and taken out again when no longer asked for).
        GenerationRequest drawing = effective;
        const auto loraTags = takeLoraTags(drawing.prompt);
        {
            models::LoraTargets targets;
            if (model.qwen) {
                targets["transformer"] = model.qwen->transformer.ptr().get();
            } else {
                targets = {{"unet", model.unet.ptr().get()}, {"te", model.textEncoder.ptr().get()}};
                if (model.textEncoder2) targets["te2"] = model.textEncoder2.ptr().get();
            }
            const bool sdxl = model.family == io::ModelFamily::SDXL;
            const std::string family = model.family == io::ModelFamily::Builtin     ? "built-in"
                                       : model.family == io::ModelFamily::QwenImage ? "Qwen-Image"
                                       : sdxl                                       ? "SDXL"
                                       : model.family == io::ModelFamily::SD2   ? "SD 2.x" : "SD 1.x";
            std::vector<std::pair<models::LoraFile, float>> wanted;
            for (const auto& ref : request.loras) wanted.emplace_back(models::readLora(ref.path, targets, sdxl, family), ref.weight);
            for (const auto& [name, weight] : loraTags) {
                wanted.emplace_back(models::readLora(m_impl->findLora(name, path), targets, sdxl, family), weight);
            }
            const auto before = m_impl->loras.merged();
            m_impl->loras.apply(targets, wanted);
            if (m_impl->loras.merged() != before) m_impl->prompts = {};  // the text encoder's weights changed
        }

        int width = request.width > 0 ? request.width : model.nativeSize;
        int height = request.height > 0 ? request.height : model.nativeSize;
        if (request.width == 0 && request.height == 0 && request.aspectRatio != 1.0f) {
            // The model's own number of pixels in the asked shape: what it was trained to fill.
            const double side = model.nativeSize, ratio = request.aspectRatio;
            const auto size = imaging::gridSize(static_cast<int>(std::lround(side * std::sqrt(ratio))),
                                                static_cast<int>(std::lround(side / std::sqrt(ratio))));
            width = size.width;
            height = size.height;
        }
        if (model.qwen) {  // Qwen-Image draws on 2x2 patches of its latent grid
            const int grid = static_cast<int>(2 * model.qwen->vae->config.scaleFactor());
            width = std::max(grid, width / grid * grid);
            height = std::max(grid, height / grid * grid);
        }
        pipeline::PictureInputs inputs;
        std::optional<imaging::RepaintPlan> repaint;
        const GenerationMode mode = request.mode();
        if (mode == GenerationMode::Inpaint || mode == GenerationMode::Outpaint) {
            repaint = imaging::planRepaint(request, model.nativeSize);
            width = repaint->drawSize.width;
            height = repaint->drawSize.height;
            const Image boxPicture = imaging::cropImage(repaint->canvas, repaint->box);
            const Image boxMask = imaging::cropImage(repaint->mask, repaint->box);
            inputs.image = pipeline::imageToTensor(imaging::resizeImage(boxPicture, width, height));
            inputs.mask = pipeline::maskToTensor(imaging::resizeImage(boxMask, width, height));
        } else if (request.initImage) {
            // Image-to-image draws at the picture's own size, rounded down to the latent grid of 8 pixels.
            width = request.initImage->width / 8 * 8;
            height = request.initImage->height / 8 * 8;
            if (width < 64 || height < 64) {
                throw Error(ErrorKind::InvalidRequest, "The starting picture is too small: it needs at least 64x64 pixels.");
            }
            inputs.image = pipeline::imageToTensor(*request.initImage);
            if (inputs.image.size(2) != height || inputs.image.size(3) != width) {
                inputs.image = torch::upsample_bilinear2d(inputs.image, {height, width}, /*align_corners=*/false);
            }
        }

        GenerationResult result;
        result.modelName = model.name;
        result.deviceName = runtime::describeDevice(target.device);
        result.precisionName = runtime::dtypeName(target.dtype);
        result.promptVerdict.allowed = true;
        result.promptVerdict.checked = request.safetyCheck;

        int stepsDone = 0;
        double stepSeconds = 0.0;
        // Small cards: the layers streamed in during a step are reported as they arrive.
        int currentPicture = 0, currentStep = 0, currentTotal = 0;
        const auto progressAt = [&](int picture, int step, int total) {
            Progress progress;
            progress.imageIndex = picture;
            progress.batchSize = request.batchSize;
            progress.step = step;
            progress.totalSteps = total;
            progress.elapsedSeconds = secondsSince(started);
            return progress;
        };
        struct StreamReport {
            models::QwenImageTransformer2DModelImpl* transformer = nullptr;
            ~StreamReport() {
                if (transformer) transformer->onBlockStreamed = nullptr;
            }
        } streamReport;
        if (model.qwen && model.qwen->transformer->streamingBlocks() && request.onProgress) {
            streamReport.transformer = model.qwen->transformer.get();
            streamReport.transformer->onBlockStreamed = [&](int arrived, int layers) {
                Progress progress = progressAt(currentPicture, currentStep, currentTotal);
                progress.layersArrived = arrived;
                progress.layersTotal = layers;
                request.onProgress(progress);
            };
        }
        auto lastPreview = Clock::now() - std::chrono::hours(1);
        for (int i = 0; i < request.batchSize; ++i) {
            if (request.cancel.isCancelled()) {
                result.cancelled = true;
                break;
            }
            const std::uint64_t seed = request.seed + static_cast<std::uint64_t>(i);
            auto stepStart = Clock::now();
            currentPicture = i;
            currentStep = 0;
            currentTotal = request.steps;
            const auto onStep = [&](int done, int total, const torch::Tensor& latents) {
                currentStep = done;
                currentTotal = total;
                stepSeconds += secondsSince(stepStart);
                stepStart = Clock::now();
                ++stepsDone;
                if (!request.onProgress) return !request.cancel.isCancelled();
                Progress progress = progressAt(i, done, total);
                // Image-to-image runs fewer steps than asked: count what is left of this run.
                const int left = (total - done) + (request.batchSize - 1 - i) * total;
                progress.secondsLeft = stepsDone > 0 ? stepSeconds / stepsDone * left : -1.0;
                if (request.previewsPerSecond > 0 && done < total &&
                    secondsSince(lastPreview) >= 1.0 / request.previewsPerSecond) {
                    progress.preview = model.qwen ? pipeline::qwenStepPreview(*model.qwen, latents)
                                                  : pipeline::stepPreview(m_impl->previewDecoder.get(), latents,
                                                                          model.family == io::ModelFamily::SDXL);
                    lastPreview = Clock::now();
                }
                const bool keepGoing = request.onProgress(progress);
                return keepGoing && !request.cancel.isCancelled();
            };
            pipeline::Picture picture =
                pipeline::drawPicture(model, m_impl->prompts, drawing, seed, width, height, onStep, inputs);
            if (picture.stopped) {
                result.cancelled = true;
                break;
            }
            GeneratedImage generated;
            generated.image = repaint ? imaging::finishRepaint(*repaint, picture.image, request.maskOptions.colorMatch)
                                      : std::move(picture.image);
            generated.seed = seed;
            generated.parameters =
                pipeline::parametersText(effective, seed, generated.image.width, generated.image.height, model.name);
            if (request.safetyCheck) {
                // Every final picture is judged before anyone sees it; a held-back one never leaves the engine.
                generated.verdict = safety::judgePicture(m_impl->pictureClassifier(target.device).classify(generated.image));
                if (generated.verdict.allowed && m_impl->modelChecker && m_impl->modelChecker->check(generated.image).hasNsfw) {
                    generated.verdict.allowed = false;
                    generated.verdict.category = SafetyCategory::Sexual;
                    generated.verdict.matchedTerm = "the model's own safety checker";
                    generated.verdict.childMessage = "Let's try another idea!";
                }
                if (!generated.verdict.allowed) generated.image = Image();
            } else {
                generated.verdict.allowed = true;
            }
            result.images.push_back(std::move(generated));
        }
        result.seconds = secondsSince(started);
        return result;
    } catch (const c10::Error& error) {
        const std::string message = error.what_without_backtrace();
        if (isOutOfMemory(message)) {
            throw Error(ErrorKind::OutOfMemory, "There was not enough memory on " + runtime::describeDevice(target.device) +
                                                    " for this picture. Try a smaller size or fewer pictures at once.");
        }
        throw Error(ErrorKind::Internal, "The drawing engine failed: " + message);
    } catch (const std::bad_alloc&) {
        throw Error(ErrorKind::OutOfMemory, "There was not enough memory for this picture. Try a smaller size or fewer pictures at once.");
    }
}

}  // namespace storybrush
