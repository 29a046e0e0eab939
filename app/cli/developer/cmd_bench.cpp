// storybrush-cli bench: how fast and how big a generation is, as a table and one JSON line (docs/cli.md). It runs
// the engine's own stages (pipeline/stages.h), so its figures are those of what users run.
#include "app/cli/cli_common.h"
#include "app/cli/commands.h"

#include "pipeline/family.h"
#include "pipeline/random_model.h"
#include "pipeline/stages.h"
#include "runtime/device.h"
#include "runtime/kernel_profile.h"
#include "runtime/memory.h"
#include "runtime/speed.h"
#include "runtime/torch_compat.h"

#include <storybrush/engine.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace storybrush::cli {

namespace {

constexpr const char* kHelp =
    "Usage: storybrush-cli bench (--model PATH | --random sd15|sd15-inpaint|sd2|sdxl|qwenimage) [FLAGS]\n\n"
    "Times a whole generation (text encoder, UNet steps, VAE decode) after one warm-up run and prints a table,\n"
    "then one JSON line with the medians.\n\n"
    "  --model PATH          a model file or folder to time\n"
    "  --random KIND         full-size random weights made in memory (no file needed): sd15, sd15-inpaint, sd2,\n"
    "                        sdxl, qwenimage (Qwen-Image: the 20.4 B transformer, Qwen2.5-VL 7B, its VAE)\n"
    "  --weights fp8         Qwen-Image: keep the transformer's block weights in FP8 (E4M3, a scale per tensor)\n"
    "  --offload auto|none|text|blocks  Qwen-Image: keep the text encoder (text) or also the transformer's blocks\n"
    "                        (blocks, streamed over every step) in main memory; auto plans from the card's memory\n"
    "  --gpu-memory GIB      Qwen-Image: plan the offloading for, and hold the run to, a card of GIB (CUDA\n"
    "                        context included): what a smaller card would do, or fail to do\n"
    "  --inpaint             repaint a centred square of a made-up picture of --size (mask blur 8)\n"
    "  --outpaint N          extend a made-up picture of --size by N pixels on the right\n"
    "  --size N[xM]          picture size (default: the model's own)\n"
    "  --steps N             sampling steps (default 25)\n"
    "  --cfg X               guidance (default 7.5; above 1 runs the UNet on batch 2)\n"
    "  --sampler NAME        default dpmpp2m\n"
    "  --runs N              timed runs after the warm-up (default 3)\n"
    "  --batch N             pictures per run, drawn one after another as the studio does (default 1);\n"
    "                        total_s is the whole batch's, per_picture_s one picture's\n"
    "  --write PATH          with --random: also write the weights as a diffusers folder (FP16 safetensors)\n"
    "  --previews R          step previews per second, as the studio shows them (default 0: none)\n"
    "  --taesd auto|random|PATH  the preview decoder: found beside the model (auto, the default), a full-size\n"
    "                        TAESD with random weights, or a TAESD folder; without one previews are projected\n"
    "  --device auto|cpu|cuda, --dtype auto|fp16|bf16|fp32\n"
    "  --prompt TEXT         default: a smiling baby dolphin playing with a ball\n"
    "  --profile             after the timed runs, one more under libtorch's profiler: the GPU time of each\n"
    "                        kind of work (convolution, gemm, attention, group_norm, ...) and the longest kernels\n";

using Clock = std::chrono::steady_clock;

double median(std::vector<double> values) {
    if (values.empty()) return 0.0;
    std::sort(values.begin(), values.end());
    const std::size_t mid = values.size() / 2;
    return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2.0;
}

double msSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

void printKernelProfile(const runtime::KernelProfile& profile, int batch) {
    if (!profile.unavailable.empty()) {
        std::printf("profile    none: %s\n", profile.unavailable.c_str());
        return;
    }
    int launches = 0;
    std::map<std::string, double> byKind;
    for (const auto& kernel : profile.kernels) {
        launches += kernel.launches;
        byKind[runtime::kernelKind(kernel.name)] += kernel.totalMs;
    }
    std::printf("profile    %.2f ms of GPU work in %d kernels and copies, one run of %d picture(s)\n", profile.totalMs,
                launches, batch);
    std::vector<std::pair<std::string, double>> kinds(byKind.begin(), byKind.end());
    std::sort(kinds.begin(), kinds.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [kind, ms] : kinds)
        std::printf("  %-12s %9.3f ms  %5.1f %%\n", kind.c_str(), ms, 100.0 * ms / profile.totalMs);
    std::printf("  longest (ms, launches, kind, name):\n");
    for (std::size_t i = 0; i < profile.kernels.size() && i < 30; ++i) {
        const auto& kernel = profile.kernels[i];
        std::printf("  %9.3f %6d  %-11s %.140s\n", kernel.totalMs, kernel.launches,
                    runtime::kernelKind(kernel.name).c_str(), kernel.name.c_str());
    }
}

}  // namespace

int runBench(int argc, char** argv) {
    Args args(argc, argv, 2);
    std::string modelPath, randomKind, sizeText;
    GenerationRequest request;
    request.prompt = "a smiling baby dolphin playing with a ball";
    request.sampler = Sampler::DpmPP2M;
    request.seed = 1;
    int runs = 3;
    int batch = 1;
    std::string writePath;
    double previewRate = 0.0;
    bool inpaint = false;
    pipeline::LoadOptions loadOptions;
    bool cfgGiven = false;
    int outpaint = 0;
    bool profile = false;
    while (!args.done()) {
        if (args.peek() == "--help" || args.peek() == "-h") {
            std::cout << kHelp;
            return kDone;
        }
        if (auto v = args.value("--model")) modelPath = *v;
        else if (auto r = args.value("--random")) randomKind = *r;
        else if (auto s = args.value("--size")) sizeText = *s;
        else if (auto st = args.value("--steps")) request.steps = parseInt("--steps", *st, 1, 500);
        else if (auto c = args.value("--cfg")) {
            request.cfgScale = static_cast<float>(parseDouble("--cfg", *c, 0, 50));
            cfgGiven = true;
        } else if (auto n = args.value("--runs")) runs = parseInt("--runs", *n, 1, 100);
        else if (auto b = args.value("--batch")) batch = parseInt("--batch", *b, 1, 64);
        else if (auto p = args.value("--prompt")) request.prompt = *p;
        else if (auto pr = args.value("--previews")) previewRate = parseDouble("--previews", *pr, 0, 1000);
        else if (auto ta = args.value("--taesd")) loadOptions.previewDecoder = *ta;
        else if (args.flag("--inpaint")) inpaint = true;
        else if (args.flag("--profile")) profile = true;
        else if (auto of = args.value("--offload")) {
            if (*of == "none") loadOptions.offload = pipeline::Offload::None;
            else if (*of == "text") loadOptions.offload = pipeline::Offload::TextEncoder;
            else if (*of == "blocks") loadOptions.offload = pipeline::Offload::Blocks;
            else if (*of != "auto") throw UsageError{"--offload expects auto, none, text or blocks"};
        } else if (auto gm = args.value("--gpu-memory")) {
            loadOptions.gpuBudgetGiB = parseDouble("--gpu-memory", *gm, 1, 4096);
        } else if (auto we = args.value("--weights")) {
            if (*we != "fp8" && *we != "auto") throw UsageError{"--weights expects fp8 or auto"};
            loadOptions.fp8Weights = *we == "fp8";
        } else if (auto o = args.value("--outpaint")) outpaint = parseInt("--outpaint", *o, 8, 4096);
        else if (auto sm = args.value("--sampler")) {
            const auto sampler = samplerFromName(*sm);
            if (!sampler) throw UsageError{"--sampler: unknown sampler '" + *sm + "'"};
            request.sampler = *sampler;
        } else if (auto d = args.value("--device")) {
            request.device = parseDevice(*d);
        } else if (auto t = args.value("--dtype")) {
            if (*t == "fp16") request.precision = Precision::F16;
            else if (*t == "bf16") request.precision = Precision::BF16;
            else if (*t == "fp32") request.precision = Precision::F32;
            else if (*t != "auto") throw UsageError{"--dtype expects auto, fp16, bf16 or fp32"};
        } else if (auto w = args.value("--write")) {
            writePath = *w;
        } else {
            throw UsageError{"unknown flag '" + args.peek() + "'"};
        }
    }
    if (modelPath.empty() == randomKind.empty()) throw UsageError{"give exactly one of --model PATH or --random KIND"};
    if (!writePath.empty() && randomKind.empty()) throw UsageError{"--write needs --random KIND"};
    if (inpaint && outpaint > 0) throw UsageError{"choose one of --inpaint and --outpaint"};

    const auto target = runtime::chooseTarget(request.device, request.precision);
    if (loadOptions.gpuBudgetGiB > 0) runtime::capDeviceMemory(target.device, loadOptions.gpuBudgetGiB);
    runtime::InferenceGuard inference;
    // Process start (shared libraries, CUDA context) to the model's load: with cold_start_s and the first run's
    // figures it makes up the wait from launch to the first picture.
    const double startupS = secondsSinceProcessStart();
    const auto coldStart = Clock::now();
    auto model = randomKind.empty() ? pipeline::loadModel(modelPath, target, loadOptions)
                                    : pipeline::makeRandomModel(randomKind, target, 0, loadOptions);
    if (!cfgGiven) request.cfgScale = model->family->defaults().guidance;
    runtime::synchronize(target.device);
    const double coldStartS = msSince(coldStart) / 1000.0;
    if (!writePath.empty()) {
        pipeline::writeModelFolder(randomKind, *model, writePath);
        std::printf("wrote      %s (a diffusers folder)\n", writePath.c_str());
    }

    if (!sizeText.empty()) {
        const auto x = sizeText.find('x');
        request.width = parseInt("--size", sizeText.substr(0, x), 64, 4096);
        request.height = x == std::string::npos ? request.width : parseInt("--size", sizeText.substr(x + 1), 64, 4096);
        if (request.width % 8 || request.height % 8) throw UsageError{"--size must be a multiple of 8"};
    }

    std::vector<double> textMs, stepMs, vaeMs, totalMs, previewMs;
    int previewsPerRun = 0;
    double firstRunS = 0.0;
    double firstTextMs = 0.0, firstStepMs = 0.0, firstOtherStepsMs = 0.0, firstVaeMs = 0.0;
    double peakAlloc = 0.0, peakDevice = 0.0;
    bool finite = true;
    // Repainting: a made-up picture (gradient) of the asked size, planned exactly as the engine plans a user's request.
    std::string mode = "txt2img";
    if (inpaint || outpaint > 0) {
        mode = inpaint ? "inpaint" : "outpaint";
        const int width = request.width > 0 ? request.width : model->nativeSize;
        const int height = request.height > 0 ? request.height : model->nativeSize;
        Image picture(width, height, 3);
        for (int y = 0; y < height; ++y) {
            for (int x = 0; x < width; ++x) {
                std::uint8_t* p = picture.pixel(x, y);
                p[0] = std::uint8_t(255 * x / width), p[1] = std::uint8_t(255 * y / height), p[2] = 128;
            }
        }
        request.initImage = picture;
        request.strength = 1.0f;
        if (inpaint) {
            Image mask(width, height, 1);
            for (int y = height / 4; y < 3 * height / 4; ++y) {
                for (int x = width / 4; x < 3 * width / 4; ++x) *mask.pixel(x, y) = 255;
            }
            request.mask = mask;
            request.maskOptions.blurPixels = 8;
        } else {
            request.outpaint.right = outpaint;
        }
    }
    const pipeline::PicturePlan plan = pipeline::planPicture(request, *model);
    const int width = plan.width, height = plan.height;
    // Run 0 warms up (cuDNN algorithm choice, allocator); runs 1..runs are timed; a profiled run is not.
    const auto benchRun = [&](int run) {
        runtime::synchronize(target.device);
        runtime::resetPeakMemory(target.device);
        const auto start = Clock::now();
        model->clearPromptCache();  // the text encoder is part of every timed run
        auto t0 = Clock::now();
        model->encodePrompts(request);
        runtime::synchronize(target.device);
        const double text = msSince(t0);
        std::vector<double> steps;
        auto stepStart = Clock::now();
        pipeline::PreviewThrottle throttle(previewRate);
        int previews = 0;
        const auto onStep = [&](int done, int total, const torch::Tensor& latents) {
            runtime::synchronize(target.device);
            steps.push_back(msSince(stepStart));
            // As the engine does it: at most `previewRate` a second, none after the last step. Its time is part of
            // the total (and not of the step times).
            if (throttle.due(done, total)) {
                const auto previewStart = Clock::now();
                const Image shown = model->stepPreview(latents);
                if (run > 0 && run <= runs) previewMs.push_back(msSince(previewStart));
                previews += shown.width > 0;
                throttle.taken();
            }
            stepStart = Clock::now();
            return true;
        };
        std::vector<double> decodes;
        // A batch is drawn as the studio draws it: one picture after another (seeds seed, seed+1, ...), the
        // prompt encoded once.
        for (int picture = 0; picture < batch; ++picture) {
            stepStart = Clock::now();
            // drawPicture runs the sampler and then the decoder: time the decoder as what follows the last step.
            auto drawn =
                model->draw(request, request.seed + std::uint64_t(picture), width, height, onStep, plan.inputs);
            drawn.image = pipeline::finishPicture(plan, std::move(drawn.image), false);
            runtime::synchronize(target.device);
            decodes.push_back(msSince(stepStart));
            finite = finite && torch::isfinite(drawn.latents).all().item<bool>();
        }
        const double afterSteps = median(decodes);
        const double total = msSince(start);
        if (run == 0) {
            firstRunS = total / 1000.0;  // graph capture, kernel loading, allocator growth: what the first picture pays
            firstTextMs = text;
            firstStepMs = steps.empty() ? 0.0 : steps.front();
            for (std::size_t i = 1; i < steps.size(); ++i) firstOtherStepsMs += steps[i];
            firstVaeMs = afterSteps;
            return;
        }
        if (run > runs) return;
        previewsPerRun = previews;
        textMs.push_back(text);
        stepMs.push_back(median(steps));
        vaeMs.push_back(afterSteps);
        totalMs.push_back(total);
        peakAlloc = std::max(peakAlloc, runtime::peakAllocatedGiB(target.device));
        peakDevice = std::max(peakDevice, runtime::deviceUsedGiB(target.device));
    };
    for (int run = 0; run <= runs; ++run) benchRun(run);
    std::optional<runtime::KernelProfile> kernels;
    if (profile) kernels = runtime::profileKernels([&] { benchRun(runs + 1); });

    const double unetStep = median(stepMs);
    // The step above includes the sampler's arithmetic and a wait for each step to finish (the bench's clock); the
    // UNet's own share is timed apart, as diffusers and torch.compile figures are.
    const double unetCall = model->timeDenoiserCalls(request, width, height, std::max(request.steps, 10));
    nlohmann::json line = {{"model", model->name},
                           {"device", runtime::describeDevice(target.device)},
                           {"dtype", runtime::dtypeName(target.dtype)},
                           {"size", std::to_string(width) + "x" + std::to_string(height)},
                           {"steps", request.steps},
                           {"batch", batch},
                           {"cfg", request.cfgScale},
                           {"sampler", model->family->samplerLabel(request.sampler)},
                           {"text_ms", median(textMs)},
                           {"unet_step_ms", unetStep},
                           {"unet_call_ms", unetCall},
                           {"vae_ms", median(vaeMs)},
                           {"total_s", median(totalMs) / 1000.0},
                           {"per_picture_s", median(totalMs) / 1000.0 / batch},
                           {"it_per_s", unetStep > 0 ? 1000.0 / unetStep : 0.0},
                           {"peak_alloc_gib", peakAlloc},
                           {"peak_device_gib", peakDevice},
                           {"startup_s", startupS},
                           {"cold_start_s", coldStartS},
                           {"first_run_s", firstRunS},
                           {"first_text_ms", firstTextMs},
                           {"first_step_ms", firstStepMs},
                           {"first_other_steps_ms", firstOtherStepsMs},
                           {"first_vae_ms", firstVaeMs},
                           {"runs", runs},
                           {"finite", finite},
                           {"mode", mode},
                           {"previews_per_run", previewsPerRun},
                           {"preview_ms", median(previewMs)},
                           {"levers", runtime::describeSpeedLevers()},
                           {"preview_decoder", previewRate <= 0 ? "none" : model->previewDecoderName()},
                           {"weights", loadOptions.fp8Weights ? "fp8" : runtime::dtypeName(target.dtype)},
                           {"offload", pipeline::offloadName(model->offload())}};
    if (plan.repaint)
        std::printf("mode       %s, canvas %dx%d\n", mode.c_str(), plan.repaint->canvas.width,
                    plan.repaint->canvas.height);
    std::printf("model      %s\ndevice     %s (%s)\nsize       %dx%d, %d steps, cfg %.1f, %s\n", model->name.c_str(),
                runtime::describeDevice(target.device).c_str(), runtime::dtypeName(target.dtype).c_str(), width, height,
                request.steps, static_cast<double>(request.cfgScale), line["sampler"].get<std::string>().c_str());
    std::printf("text       %8.2f ms\nunet step  %8.2f ms  (%.2f it/s)\nvae decode %8.2f ms\ntotal      %8.3f s\n",
                median(textMs), unetStep, unetStep > 0 ? 1000.0 / unetStep : 0.0, median(vaeMs),
                median(totalMs) / 1000.0);
    if (unetCall > 0)
        std::printf("unet alone %8.2f ms a call (batch %d, calls back to back)\n", unetCall,
                    request.cfgScale > 1.0f ? 2 : 1);
    if (previewRate > 0)
        std::printf("previews   %d a run, %.2f ms each (%s)\n", previewsPerRun, median(previewMs),
                    model->previewDecoderName().c_str());
    std::printf("peak alloc %8.3f GiB, device %.3f GiB, cold start %.2f s, finite: %s\n", peakAlloc, peakDevice,
                coldStartS, finite ? "yes" : "NO");
    std::printf(
        "first run  %8.3f s  (text %.1f ms, step 1 %.1f ms, other steps %.1f ms, decode %.1f ms); process start\n"
        "           to model load %.2f s\n",
        firstRunS, firstTextMs, firstStepMs, firstOtherStepsMs, firstVaeMs, startupS);
    if (kernels) printKernelProfile(*kernels, batch);
    std::cout << line.dump() << std::endl;
    return finite ? kDone : kFailed;
}

}  // namespace storybrush::cli
