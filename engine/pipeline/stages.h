// The stages of one generation, each small and named, in the order Engine::generate runs them: check the prompt,
// resolve and load the model, apply LoRAs, plan the size and prepare the inputs, draw with a progress reporter,
// judge the pictures; torch errors become the engine's. `storybrush-cli bench` runs the same stages.
#pragma once

#include "imaging/repaint.h"
#include "models/lora.h"
#include "pipeline/family.h"

#include <storybrush/request.h>
#include <storybrush/result.h>
#include <storybrush/safety.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace storybrush::safety {
class PictureClassifier;
class CompVisSafetyChecker;
}  // namespace storybrush::safety

namespace storybrush::pipeline {

using Clock = std::chrono::steady_clock;
double secondsSince(Clock::time_point start);

// "builtin" or a path that exists -> the model's folder or file. Throws Error(ModelFile) saying what to do.
std::string resolveModelPath(const std::string& asked, const std::string& builtinFolder);

// What the parameters text records of the caller's request: kid mode's negative prompt added, and the family's
// own sampler where it has one (Qwen-Image draws with flow-matching Euler whatever was asked).
GenerationRequest recordedRequest(const GenerationRequest& asked, const LoadedModel& model);

// A1111's <lora:NAME:WEIGHT> (weight optional, 1): taken out of the prompt, returned as (name, weight).
std::vector<std::pair<std::string, float>> takeLoraTags(std::string& prompt);

// NAME.safetensors for <lora:NAME:...>: in `folders`, then a "loras"/"Lora"/"lora" folder beside the model or one
// or two levels up (as ComfyUI and A1111 keep them). Throws Error(InvalidRequest) listing where it looked.
std::string findLoraFile(const std::string& name, const std::string& modelPath,
                         const std::vector<std::string>& folders);

// Merges the request's LoRAs (flags and prompt tags) into the model, undoing those no longer asked for; clears the
// model's prompt cache when the text encoder's weights changed.
void applyLoras(LoadedModel& model, models::LoraMerger& merger, const std::vector<LoraRef>& flags,
                const std::vector<std::pair<std::string, float>>& tags, const std::vector<std::string>& loraFolders);

// The size a picture is drawn at and what it starts from.
struct PicturePlan {
    int width = 0;
    int height = 0;
    std::optional<imaging::RepaintPlan> repaint;  // inpaint and outpaint: the box drawn and the paste-back
    PictureInputs inputs;
};

// Text-to-image: the asked size, or the model's own pixels in the asked shape, made drawable. Image-to-image: the
// starting picture's size on the latent grid. Repainting: the box around the mask at the model's size.
PicturePlan planPicture(const GenerationRequest& asked, const LoadedModel& model);

// The drawn picture as the caller gets it: pasted back into the canvas when repainting.
Image finishPicture(const PicturePlan& plan, Image drawn, bool colorMatch);

// Step previews at most `perSecond` a second, none after the last step.
class PreviewThrottle {
public:
    explicit PreviewThrottle(double perSecond) : m_perSecond(perSecond) {}
    bool due(int stepsDone, int totalSteps) const;
    void taken() { m_last = Clock::now(); }

private:
    double m_perSecond;
    Clock::time_point m_last = Clock::now() - std::chrono::hours(1);
};

// Turns the model's steps into the caller's Progress: the picture and step, the time left for the whole batch,
// throttled previews, and (on a card too small for the model) the layers streamed in during a step.
class ProgressReporter {
public:
    ProgressReporter(const GenerationRequest& asked, LoadedModel& model, Clock::time_point started);
    ~ProgressReporter();
    ProgressReporter(const ProgressReporter&) = delete;
    ProgressReporter& operator=(const ProgressReporter&) = delete;

    // The step callback for picture `index` of the batch; false from it stops the drawing.
    StepCallback forPicture(int index);

private:
    Progress progressAt(int picture, int step, int total) const;

    const GenerationRequest& m_asked;
    LoadedModel& m_model;
    Clock::time_point m_started;
    PreviewThrottle m_previews;
    int m_stepsDone = 0;
    double m_stepSeconds = 0.0;
    Clock::time_point m_stepStart;
    int m_picture = 0, m_step = 0, m_total = 0;
};

// The kid-safe picture check: nsfwjs's classifier (loaded on another thread while the model loads) and the model
// folder's own CompVis checker when it has one. Fails closed: without its filter no picture passes.
class PictureJudge {
public:
    PictureJudge();
    ~PictureJudge();
    void startLoading(const torch::Device& device);
    void useModelChecker(const std::string& modelPath, const torch::Device& device);  // none when absent
    SafetyVerdict judge(const Image& picture, const torch::Device& device);

private:
    const safety::PictureClassifier& classifier(const torch::Device& device);

    std::shared_ptr<safety::PictureClassifier> m_classifier;
    std::future<std::shared_ptr<safety::PictureClassifier>> m_loading;
    std::shared_ptr<safety::CompVisSafetyChecker> m_modelChecker;
};

// Runs `work`, turning libtorch's errors into Error: out of memory (with what to try) or Internal.
GenerationResult translateTorchErrors(const torch::Device& device, const std::function<GenerationResult()>& work);

}  // namespace storybrush::pipeline
