// storybrush-cli generate: draw pictures from a prompt (and optionally a starting picture) into PNG files
// that carry their settings in A1111's "parameters" chunk.
#include "app/cli/cli_common.h"
#include "app/cli/commands.h"

#include <storybrush/engine.h>
#include <storybrush/image_io.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>

namespace storybrush::cli {

namespace {

constexpr const char* kHelp =
    "Usage: storybrush-cli generate --model PATH|builtin --prompt TEXT --output PATH.png [FLAGS]\n\n"
    "Draws pictures from a prompt and writes them as PNG files with their settings inside (A1111 style).\n\n"
    "  --model PATH|builtin   a Stable Diffusion 1.x/2.x/XL .safetensors file or diffusers folder (default builtin)\n"
    "  --prompt TEXT          what to draw; (word:1.2) weights and prompts over 75 tokens work as in A1111\n"
    "  --negative TEXT        what to leave out\n"
    "  --width N, --height N  size in pixels, multiples of 8 (default: the model's own size)\n"
    "  --steps N              sampling steps (default 25)\n"
    "  --cfg X                how closely to follow the prompt (default 7.5)\n"
    "  --seed N               the picture's seed (default: random, printed); picture i of a batch uses N+i\n"
    "  --batch N              how many pictures (default 1)\n"
    "  --sampler NAME         euler|euler_a|ddim|dpmpp2m|dpmpp2m_karras|lcm|pndm (default dpmpp2m_karras)\n"
    "  --init IMG             start from this picture (PNG, JPEG or WebP): image-to-image\n"
    "  --strength X           how much of the starting picture is repainted, 0..1 (default 0.75;\n"
    "                         1 with --mask or --outpaint)\n"
    "  --mask MASK            repaint only where the mask is white (grey repaints partly); a PNG with\n"
    "                         transparency uses its painted (opaque) strokes. Same size as --init\n"
    "  --mask-blur N          feather the mask edge over N pixels (default 4)\n"
    "  --mask-grow N          grow the mask by N pixels (negative shrinks; default 0)\n"
    "  --only-masked          draw only a box around the mask, at the model's own size, and paste it back\n"
    "  --padding N            context around the mask for --only-masked (default 32)\n"
    "  --color-match          match the repainted colours to the pixels around them\n"
    "  --outpaint L,T,R,B     extend the canvas by these many pixels left, top, right, bottom\n"
    "  --outpaint-fill telea|edge  how the new area is pre-filled (default telea)\n"
    "  --outpaint-blend N     pixels of the old picture blended into the new area (default 16)\n"
    "  --lora FILE[:WEIGHT]   merge a style add-on (LoRA, kohya or diffusers names) with this weight (default 1);\n"
    "                         repeat for several. <lora:NAME:WEIGHT> in the prompt works too (A1111 style)\n"
    "  --vae FILE             use this VAE instead of the model's own (a .safetensors VAE file)\n"
    "  --clip-skip N          1 = last text-encoder layer (default), 2 = penultimate (as A1111 counts)\n"
    "  --device auto|cpu|cuda where to compute (default auto: the GPU when there is one)\n"
    "  --dtype auto|fp16|bf16|fp32  precision (default auto: fp16 on the GPU, fp32 on the CPU)\n"
    "  --kid-mode             the kid-mode defaults, as the studio's kid mode uses them\n"
    "  --no-safety-check      adults and tests only: skip the kid-safe checks\n"
    "  --output PATH.png, -o  where to write; with --batch N > 1: PATH-0.png, PATH-1.png, ...\n\n"
    "Exit codes: 0 done, 1 failed, 2 bad usage, 3 blocked by the kid-safe policy.\n";

Precision parsePrecision(const std::string& text) {
    if (text == "auto") return Precision::Auto;
    if (text == "fp16") return Precision::F16;
    if (text == "bf16") return Precision::BF16;
    if (text == "fp32") return Precision::F32;
    throw UsageError{"--dtype expects auto, fp16, bf16 or fp32, got '" + text + "'"};
}

OutpaintMargins parseOutpaint(const std::string& text) {
    OutpaintMargins margins;
    int* sides[] = {&margins.left, &margins.top, &margins.right, &margins.bottom};
    std::size_t start = 0;
    for (int i = 0; i < 4; ++i) {
        const auto comma = text.find(',', start);
        if ((i < 3) == (comma == std::string::npos)) {
            throw UsageError{"--outpaint expects four numbers LEFT,TOP,RIGHT,BOTTOM (pixels), got '" + text + "'"};
        }
        *sides[i] = parseInt(
            "--outpaint", text.substr(start, comma == std::string::npos ? std::string::npos : comma - start), 0, 4096);
        start = comma + 1;
    }
    if (!margins.any()) throw UsageError{"--outpaint: at least one side must grow (e.g. 0,0,256,0)"};
    return margins;
}

std::string outputPath(const std::string& base, int index, int batch) {
    if (batch == 1) return base;
    const auto dot = base.rfind('.');
    const auto slash = base.rfind('/');
    const bool hasExtension = dot != std::string::npos && (slash == std::string::npos || dot > slash);
    const std::string stem = hasExtension ? base.substr(0, dot) : base;
    return stem + "-" + std::to_string(index) + (hasExtension ? base.substr(dot) : std::string(".png"));
}

}  // namespace

int runGenerate(int argc, char** argv) {
    Args args(argc, argv, 2);
    GenerationRequest request;
    std::string output;
    std::string initPath, maskPath;
    bool seedGiven = false;
    bool haveStrength = false;
    while (!args.done()) {
        if (args.peek() == "--help" || args.peek() == "-h") {
            std::cout << kHelp;
            return kDone;
        }
        if (auto v = args.value("--model")) request.model = *v;
        else if (auto p = args.value("--prompt")) request.prompt = *p;
        else if (auto n = args.value("--negative")) request.negativePrompt = *n;
        else if (auto w = args.value("--width")) request.width = parseInt("--width", *w, 64, 4096);
        else if (auto h = args.value("--height")) request.height = parseInt("--height", *h, 64, 4096);
        else if (auto s = args.value("--steps")) request.steps = parseInt("--steps", *s, 1, 500);
        else if (auto c = args.value("--cfg")) request.cfgScale = static_cast<float>(parseDouble("--cfg", *c, 0, 50));
        else if (auto seed = args.value("--seed")) {
            if (seed->empty() || seed->size() > 19 || seed->find_first_not_of("0123456789") != std::string::npos) {
                throw UsageError{"--seed expects a whole number from 0 to 9999999999999999999, got '" + *seed + "'"};
            }
            request.seed = std::stoull(*seed);
            seedGiven = true;
        } else if (auto b = args.value("--batch")) request.batchSize = parseInt("--batch", *b, 1, 64);
        else if (auto name = args.value("--sampler")) {
            const auto sampler = samplerFromName(*name);
            if (!sampler)
                throw UsageError{"--sampler: unknown sampler '" + *name +
                                 "' (euler, euler_a, ddim, dpmpp2m, dpmpp2m_karras, lcm, pndm)"};
            request.sampler = *sampler;
        } else if (auto init = args.value("--init")) initPath = *init;
        else if (auto strength = args.value("--strength")) {
            request.strength = static_cast<float>(parseDouble("--strength", *strength, 0.01, 1.0));
            haveStrength = true;
        } else if (auto skip = args.value("--clip-skip")) request.clipSkip = parseInt("--clip-skip", *skip, 1, 12);
        else if (auto device = args.value("--device")) request.device = parseDevice(*device);
        else if (auto dtype = args.value("--dtype")) request.precision = parsePrecision(*dtype);
        else if (auto out = args.value("--output")) output = *out;
        else if (auto o = args.value("-o")) output = *o;
        else if (args.flag("--kid-mode")) request.kidMode = true;
        else if (args.flag("--no-safety-check")) request.safetyCheck = false;
        else if (auto mask = args.value("--mask")) maskPath = *mask;
        else if (auto blur = args.value("--mask-blur"))
            request.maskOptions.blurPixels = parseInt("--mask-blur", *blur, 0, 256);
        else if (auto grow = args.value("--mask-grow"))
            request.maskOptions.growPixels = parseInt("--mask-grow", *grow, -256, 256);
        else if (args.flag("--only-masked")) request.maskOptions.onlyMasked = true;
        else if (auto padding = args.value("--padding"))
            request.maskOptions.paddingPixels = parseInt("--padding", *padding, 0, 4096);
        else if (args.flag("--color-match")) request.maskOptions.colorMatch = true;
        else if (auto outpaint = args.value("--outpaint")) {
            const OutpaintMargins margins = parseOutpaint(*outpaint);
            request.outpaint.left = margins.left, request.outpaint.top = margins.top;
            request.outpaint.right = margins.right, request.outpaint.bottom = margins.bottom;
        } else if (auto fill = args.value("--outpaint-fill")) {
            if (*fill == "telea") request.outpaint.fill = OutpaintFill::Telea;
            else if (*fill == "edge") request.outpaint.fill = OutpaintFill::EdgeExtend;
            else throw UsageError{"--outpaint-fill expects telea or edge, got '" + *fill + "'"};
        } else if (auto band = args.value("--outpaint-blend"))
            request.outpaint.blendPixels = parseInt("--outpaint-blend", *band, 0, 256);
        else if (auto lora = args.value("--lora")) {
            // FILE or FILE:WEIGHT (the weight after the last colon, when it is a number).
            LoraRef ref{*lora, 1.0f};
            if (const auto colon = lora->rfind(':'); colon != std::string::npos && colon + 1 < lora->size()) {
                try {
                    std::size_t used = 0;
                    const float weight = std::stof(lora->substr(colon + 1), &used);
                    if (used == lora->size() - colon - 1) ref = {lora->substr(0, colon), weight};
                } catch (const std::exception&) {
                }
            }
            if (ref.weight < -4.0f || ref.weight > 4.0f)
                throw UsageError{"--lora weight must be between -4 and 4 (usually 0.5 to 1)"};
            request.loras.push_back(ref);
        } else if (auto vae = args.value("--vae")) {
            request.vaePath = *vae;
        } else {
            throw UsageError{"unknown flag '" + args.peek() + "'"};
        }
    }
    if (request.prompt.empty()) throw UsageError{"--prompt is required: say what to draw"};
    if (output.empty()) throw UsageError{"--output is required: where should the picture go?"};
    if (haveStrength && initPath.empty()) throw UsageError{"--strength needs --init (a starting picture)"};
    if ((!maskPath.empty() || request.outpaint.any()) && initPath.empty()) {
        throw UsageError{"--mask and --outpaint need --init (the picture to repaint or extend)"};
    }
    if (request.maskOptions.onlyMasked && maskPath.empty() && !request.outpaint.any()) {
        throw UsageError{"--only-masked needs --mask (or --outpaint)"};
    }
    // Repainting starts from noise unless asked otherwise, as diffusers' inpainting does.
    if (!haveStrength && (!maskPath.empty() || request.outpaint.any())) request.strength = 1.0f;
    {
        // Check where the pictures go before drawing them, so no work is lost to a typo in the path.
        const auto folder = std::filesystem::u8path(output).parent_path();
        const auto dir = folder.empty() ? std::filesystem::path(".") : folder;
        if (!std::filesystem::is_directory(dir) || access(dir.c_str(), W_OK) != 0) {
            throw Error(ErrorKind::Io,
                        "Cannot write pictures into " + dir.u8string() +
                            ": the folder does not exist or is not writable. Create it or choose another --output.");
        }
    }
    if (!initPath.empty()) request.initImage = readPicture(initPath);
    if (!maskPath.empty()) request.mask = maskFromPicture(readPicture(maskPath));
    if (!seedGiven) request.seed = std::random_device{}() % 4294967296ULL;
    std::cerr << "seed: " << request.seed << "\n";

    const bool interactive = isatty(STDERR_FILENO) != 0;
    request.previewsPerSecond = 0;
    request.onProgress = [interactive](const Progress& progress) {
        if (progress.layersTotal > 0) {  // a small card: the model's layers stream in during the step
            if (interactive)
                std::fprintf(stderr, "\rpicture %d/%d  step %d/%d  model layers %d/%d   ", progress.imageIndex + 1,
                             progress.batchSize, progress.step + 1, progress.totalSteps, progress.layersArrived,
                             progress.layersTotal);
            return true;
        }
        const bool last = progress.step == progress.totalSteps;
        if (interactive || last || progress.step == 1) {
            std::fprintf(stderr, "%spicture %d/%d  step %d/%d%s", interactive ? "\r" : "", progress.imageIndex + 1,
                         progress.batchSize, progress.step, progress.totalSteps, interactive && !last ? "" : "\n");
            if (progress.secondsLeft >= 0 && interactive && !last)
                std::fprintf(stderr, "  (%.1f s left)  ", progress.secondsLeft);
        }
        return true;
    };

    Engine engine;
    const GenerationResult result = engine.generate(request);
    if (!result.promptVerdict.allowed) {
        std::cerr << result.promptVerdict.childMessage << "\n";
        return kBlocked;
    }
    int blocked = 0;
    for (std::size_t i = 0; i < result.images.size(); ++i) {
        const auto& picture = result.images[i];
        if (!picture.verdict.allowed) {
            ++blocked;
            continue;
        }
        const std::string path = outputPath(output, static_cast<int>(i), request.batchSize);
        writePngFile(path, picture.image, {{"parameters", picture.parameters}});
        std::cout << path << "\n";
    }
    std::cerr << "drew " << result.images.size() - static_cast<std::size_t>(blocked) << " picture(s) in "
              << result.seconds << " s on " << result.deviceName << " (" << result.precisionName << "), model "
              << result.modelName << "\n";
    if (blocked > 0) {
        std::cerr << blocked << " picture(s) were held back by the kid-safe check.\n";
        return kBlocked;
    }
    if (result.cancelled) return kFailed;
    return kDone;
}

}  // namespace storybrush::cli
