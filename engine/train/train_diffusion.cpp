// Stage 2: text encoder and UNet together (see stages.h).
#include "train/composer.h"
#include "train/concepts.h"
#include "train/stages.h"

#include "models/autoencoder_kl.h"
#include "models/clip_text_model.h"
#include "models/unet.h"
#include "runtime/torch_compat.h"
#include "sampling/noise_schedule.h"
#include "text/clip_tokenizer.h"

#include <storybrush/error.h>

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

namespace storybrush::train {
namespace {

namespace fs = std::filesystem;

std::int64_t parameterCount(torch::nn::Module& module) {
    std::int64_t n = 0;
    for (const auto& p : module.parameters()) n += p.numel();
    return n;
}

// One copy of the networks on one device. With several GPUs each replica draws its own batch, and their
// gradients are averaged on the first before one optimiser step (plain data parallelism: the model is small,
// so one copy of every gradient over NVLink a step costs little beside the step).
struct Replica {
    torch::Device device{torch::kCPU};
    StickerSet stickers;
    models::AutoencoderKL vae{nullptr};
    models::ClipTextModel textEncoder{nullptr};
    models::UNet2DConditionModel unet{nullptr};
    torch::Tensor alphasCumprod;
    std::vector<torch::Tensor> params;     // the UNet's, then the text encoder's: the same order on every replica
    std::unique_ptr<FlatParameters> flat;  // `params` as views into one buffer, gradients likewise
    std::mt19937 rng;
    torch::Tensor
        lossTotal;  // summed on the device and read when logging: reading it each step would make the host wait
    std::exception_ptr failure;
};

struct StepSettings {
    int batch = 128;
    int size = 256;
    double dropCaption = 0.1;
    int trainSteps = 1000;
    double scaling = 1.0;
};

// Composes a batch on the replica's device, then the forward and backward pass; gradients stay on the replica.
void forwardBackward(Replica& r, const StepSettings& settings, const text::ClipTokenizer& tokenizer,
                     const std::vector<Concept>& concepts) {
    const c10::DeviceGuard onDevice(r.device);
    r.flat->zeroGradients();
    const int batch = settings.batch;
    const auto composed = composeBatch(r.stickers, batch, settings.size, r.rng);
    std::vector<std::int64_t> ids;
    ids.reserve(static_cast<std::size_t>(batch) * text::ClipTokenizer::kContextLength);
    for (const auto& scene : composed.scenes) {
        const bool drop = std::uniform_real_distribution<double>(0, 1)(r.rng) < settings.dropCaption;
        const auto language = std::uniform_int_distribution<int>(0, 1)(r.rng) ? CaptionLanguage::English
                                                                              : CaptionLanguage::Chinese;
        const std::string text = drop ? std::string() : caption(scene, concepts, language, r.rng);
        for (int id : tokenizer.encodePadded(text)) ids.push_back(id);
    }
    const auto tokens = sendToDevice(torch::tensor(ids, torch::kInt64).view({batch, -1}), r.device);

    torch::Tensor latents;
    {
        torch::NoGradGuard noGrad;
        runtime::CudaAutocastGuard autocast(torch::kBFloat16);
        const auto dist = r.vae->encode(composed.images);
        latents = ((dist.mean + dist.std * torch::randn_like(dist.std)) * settings.scaling).to(torch::kFloat32);
    }
    const auto t =
        torch::randint(0, settings.trainSteps, {batch}, torch::TensorOptions().device(r.device).dtype(torch::kInt64));
    const auto acp = r.alphasCumprod.index_select(0, t).view({-1, 1, 1, 1});
    const auto noise = torch::randn_like(latents);
    const auto noisy = acp.sqrt() * latents + (1 - acp).sqrt() * noise;
    torch::Tensor prediction;
    {
        runtime::CudaAutocastGuard autocast(torch::kBFloat16);
        const auto context = r.textEncoder->promptEmbeddings(tokens);
        prediction = r.unet->forward(noisy, t.to(torch::kFloat32), context).to(torch::kFloat32);
    }
    // min-SNR-5 weighting for epsilon prediction (Hang et al. 2023): easy, low-noise steps stop dominating.
    const auto snr = acp.view({-1}) / (1 - acp.view({-1}));
    const auto weight = torch::clamp_max(snr, 5.0) / snr;
    const auto loss = ((prediction - noise).pow(2).mean({1, 2, 3}) * weight).mean();
    loss.backward();
    r.lossTotal.add_(loss.detach());
}

// Runs every replica's forward and backward pass at once: the first on the calling thread, each other one on a
// thread of its own that lives as long as the run (a thread per step would set up its CUDA handles anew each time).
class ReplicaWorkers {
public:
    ReplicaWorkers(std::vector<Replica>& replicas, const StepSettings& settings, const text::ClipTokenizer& tokenizer,
                   const std::vector<Concept>& concepts)
        : m_replicas(replicas), m_work([&replicas, &settings, &tokenizer, &concepts](std::size_t i) {
              try {
                  forwardBackward(replicas[i], settings, tokenizer, concepts);
              } catch (...) {
                  replicas[i].failure = std::current_exception();
              }
          }) {
        for (std::size_t i = 1; i < replicas.size(); ++i) m_threads.emplace_back([this, i] { serve(i); });
    }
    ~ReplicaWorkers() {
        {
            const std::lock_guard<std::mutex> lock(m_mutex);
            m_stop = true;
        }
        m_start.notify_all();
        for (auto& thread : m_threads) thread.join();
    }
    ReplicaWorkers(const ReplicaWorkers&) = delete;
    ReplicaWorkers& operator=(const ReplicaWorkers&) = delete;

    // Returns when every replica holds its gradients; the first failure is rethrown here.
    void step() {
        {
            const std::lock_guard<std::mutex> lock(m_mutex);
            m_pending = static_cast<int>(m_threads.size());
            ++m_generation;
        }
        m_start.notify_all();
        m_work(0);
        {
            std::unique_lock<std::mutex> lock(m_mutex);
            m_done.wait(lock, [this] { return m_pending == 0; });
        }
        for (auto& r : m_replicas) {
            if (r.failure) std::rethrow_exception(std::exchange(r.failure, nullptr));
        }
    }

private:
    void serve(std::size_t i) {
        int seen = 0;
        for (;;) {
            {
                std::unique_lock<std::mutex> lock(m_mutex);
                m_start.wait(lock, [&] { return m_stop || m_generation != seen; });
                if (m_stop) return;
                seen = m_generation;
            }
            m_work(i);
            {
                const std::lock_guard<std::mutex> lock(m_mutex);
                if (--m_pending == 0) m_done.notify_one();
            }
        }
    }

    std::vector<Replica>& m_replicas;
    std::function<void(std::size_t)> m_work;
    std::vector<std::thread> m_threads;
    std::mutex m_mutex;
    std::condition_variable m_start, m_done;
    int m_generation = 0;
    int m_pending = 0;
    bool m_stop = false;
};

// The replicas' gradients, averaged into the first replica's.
void averageGradients(std::vector<Replica>& replicas) {
    if (replicas.size() == 1) return;
    torch::NoGradGuard noGrad;
    auto& sum = replicas[0].flat->gradients;
    for (std::size_t i = 1; i < replicas.size(); ++i) sum.add_(replicas[i].flat->gradients.to(sum.device()));
    sum.div_(static_cast<double>(replicas.size()));
}

// After the optimiser step on the first replica, the others take its weights.
void shareWeights(std::vector<Replica>& replicas) {
    torch::NoGradGuard noGrad;
    for (std::size_t i = 1; i < replicas.size(); ++i) replicas[i].flat->values.copy_(replicas[0].flat->values);
}

}  // namespace

int trainDiffusion(const Arguments& args) {
    const std::string modelDir = args.required("model");
    prepareModelFolder(args.required("template"), modelDir);
    const auto concepts = loadConcepts(args.required("concepts"));
    const bool cuda = args.text("device", torch::cuda::is_available() ? "cuda" : "cpu") == "cuda";
    // Data-parallel copies: one per GPU by default. On the CPU they all share it (for checking the averaging).
    const int available = cuda ? static_cast<int>(torch::cuda::device_count()) : 1;
    const int gpus =
        std::max(1, cuda ? std::min(args.integer("replicas", available), available) : args.integer("replicas", 1));
    StepSettings settings;
    settings.batch = args.integer("batch", 128);  // per GPU
    settings.size = args.integer("size", 256);
    settings.dropCaption = args.number("caption-dropout", 0.1);
    const Budget budget(args.number("minutes", 10.0));
    const double baseLr = args.number("lr", 2e-4);
    const auto seed = static_cast<std::uint32_t>(args.integer("seed", 1));
    const fs::path root(modelDir);

    const auto vaeConfig = models::AutoencoderKLConfig::fromFile((root / "vae" / "config.json").string());
    const auto textConfig = models::ClipTextConfig::fromFile((root / "text_encoder" / "config.json").string());
    const auto unetConfig = models::UNetConfig::fromFile((root / "unet" / "config.json").string());
    const auto vaePath = (root / "vae" / "diffusion_pytorch_model.safetensors").string();
    const auto tePath = (root / "text_encoder" / "model.safetensors").string();
    const auto unetPath = (root / "unet" / "diffusion_pytorch_model.safetensors").string();
    const text::ClipTokenizer tokenizer((root / "tokenizer").string());
    nlohmann::json schedulerJson;
    std::ifstream(root / "scheduler" / "scheduler_config.json") >> schedulerJson;
    const auto schedule = sampling::SchedulerConfig::fromJson(sampling::SchedulerKind::Pndm, schedulerJson);
    settings.trainSteps = schedule.numTrainTimesteps;
    settings.scaling = vaeConfig.scalingFactor;

    std::vector<Replica> replicas(static_cast<std::size_t>(gpus));
    bool resumed = false;
    for (int i = 0; i < gpus; ++i) {
        Replica& r = replicas[static_cast<std::size_t>(i)];
        r.device = cuda ? torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(i)) : torch::Device(torch::kCPU);
        const auto options = torch::TensorOptions().device(r.device).dtype(torch::kFloat32);
        r.stickers = loadStickers(args.required("data"), concepts, r.device);
        r.vae = models::AutoencoderKL(vaeConfig, options);
        if (!loadWeights(*r.vae, vaePath))
            throw Error(ErrorKind::ModelFile, "Train the VAE first: no weights in " + (root / "vae").string());
        r.vae->eval();
        for (auto& p : r.vae->parameters()) p.set_requires_grad(false);
        r.textEncoder = models::ClipTextModel(textConfig, options);
        r.unet = models::UNet2DConditionModel(unetConfig, options);
        resumed = loadWeights(*r.textEncoder, tePath) && loadWeights(*r.unet, unetPath);
        if (!resumed) {
            initialiseWeights(*r.textEncoder, seed);
            initialiseWeights(*r.unet, seed + 1);
        }
        makeTrainable(*r.textEncoder);
        makeTrainable(*r.unet);
        r.params = r.unet->parameters();
        for (const auto& p : r.textEncoder->parameters()) r.params.push_back(p);
        r.flat = std::make_unique<FlatParameters>(r.params);
        r.lossTotal = torch::zeros({}, options);
        r.alphasCumprod = sampling::alphasCumprod(schedule).to(r.device);
        r.rng.seed(seed + 7919u * static_cast<std::uint32_t>(i));
        // Each GPU its own noise: the devices' generators would otherwise all start from one seed.
        if (cuda) {
            at::Generator generator =
                at::globalContext().defaultGenerator(r.device);  // a handle: seeds the device's own
            generator.set_current_seed(seed + 104729u * static_cast<std::uint64_t>(i));
        }
    }
    shareWeights(replicas);  // identical starting weights, also when freshly initialised
    Replica& lead = replicas[0];
    std::cout << (resumed ? "resumed from " + modelDir + ", " : std::string()) << "unet parameters "
              << parameterCount(*lead.unet) << ", text encoder " << parameterCount(*lead.textEncoder) << ", " << gpus
              << " device(s), batch " << settings.batch << " each" << std::endl;

    FlatAdamW optimizer(*lead.flat, 0.9, 0.99, 0.01);
    FlatEma ema(*lead.flat);

    auto save = [&] {
        ema.swap(*lead.flat);
        saveWeights(*lead.unet, unetPath, torch::kFloat16);
        saveWeights(*lead.textEncoder, tePath, torch::kFloat16);
        ema.swap(*lead.flat);
    };

    int step = 0;
    double lastSave = 0.0;
    const int logEvery = std::max(1, args.integer("log-every", 100));
    // Where a step's time goes: the replicas' passes (in parallel), and averaging + optimiser + sharing + EMA. Without
    // --timing these are the host's times (the GPU runs behind); with it each step waits for the GPUs, exact but
    // slower.
    const bool exactTiming = args.has("timing");
    double passesSeconds = 0.0, updateSeconds = 0.0;
    ReplicaWorkers workers(replicas, settings, tokenizer, concepts);
    const auto started = std::chrono::steady_clock::now();
    while (!budget.over()) {
        const auto phaseStart = std::chrono::steady_clock::now();
        workers.step();
        const auto passesDone = std::chrono::steady_clock::now();
        averageGradients(replicas);
        optimizer.step(learningRate(baseLr, step, 500, budget.fraction()), 1.0);
        shareWeights(replicas);
        ema.update(*lead.flat, std::min(0.9995, (1.0 + step) / (10.0 + step)));
        if (cuda && exactTiming) {
            for (const auto& r : replicas) torch::cuda::synchronize(r.device.index());
        }
        passesSeconds += std::chrono::duration<double>(passesDone - phaseStart).count();
        updateSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - passesDone).count();
        ++step;
        if (step % logEvery == 0) {
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            double lossSum = 0.0;
            for (auto& r : replicas) lossSum += r.lossTotal.item<double>() / static_cast<double>(replicas.size());
            for (auto& r : replicas) r.lossTotal.zero_();
            std::cout << "diffusion step " << step << " loss " << lossSum / logEvery << " it/s " << step / seconds
                      << " pictures/s " << step * settings.batch * gpus / seconds << " (ms a step: passes "
                      << 1000 * passesSeconds / logEvery << ", update " << 1000 * updateSeconds / logEvery << ") min "
                      << budget.elapsedMinutes() << std::endl;
            passesSeconds = updateSeconds = 0.0;
        }
        if (budget.elapsedMinutes() - lastSave > args.number("save-every", 1.0)) {
            save();
            lastSave = budget.elapsedMinutes();
            std::cout << "saved at step " << step << std::endl;
        }
    }
    save();
    std::cout << "diffusion done: " << step << " steps, saved " << modelDir << std::endl;
    return 0;
}

}  // namespace storybrush::train
