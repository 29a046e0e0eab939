// Conversions between the UI's Qt types and the engine's plain types.
#include "app/image_convert.h"

#include <storybrush/error.h>
#include <storybrush/safety.h>

#include <cstring>

namespace storybrush {

namespace {
Image fromFormat(const QImage& image, QImage::Format format, int channels) {
    if (image.isNull()) return {};
    const QImage converted = image.convertToFormat(format);
    Image out(converted.width(), converted.height(), channels);
    const std::size_t rowBytes = static_cast<std::size_t>(converted.width()) * channels;
    for (int y = 0; y < converted.height(); ++y) {
        std::memcpy(out.pixel(0, y), converted.constScanLine(y), rowBytes);
    }
    return out;
}
}  // namespace

Image toEngineImage(const QImage& image) { return fromFormat(image, QImage::Format_RGB888, 3); }

Image toEngineMask(const QImage& mask) { return fromFormat(mask, QImage::Format_Grayscale8, 1); }

QImage toQImage(const Image& image) {
    if (!image.isConsistent()) return {};
    QImage::Format format = QImage::Format_RGB888;
    if (image.channels == 1) format = QImage::Format_Grayscale8;
    if (image.channels == 4) format = QImage::Format_RGBA8888;
    QImage out(image.width, image.height, format);
    const std::size_t rowBytes = static_cast<std::size_t>(image.width) * image.channels;
    for (int y = 0; y < image.height; ++y) std::memcpy(out.scanLine(y), image.pixel(0, y), rowBytes);
    return out;
}

GenerationRequest toEngineRequest(const JobRequest& job, quint64 seed) {
    GenerationRequest request;
    request.model = job.model.toStdString();
    request.prompt = job.prompt.toStdString();
    request.negativePrompt = job.negativePrompt.toStdString();
    request.width = job.width;
    request.height = job.height;
    request.aspectRatio = static_cast<float>(job.aspectRatio);
    request.steps = job.steps;
    request.cfgScale = static_cast<float>(job.cfgScale);
    request.seed = seed;
    request.batchSize = job.batchSize;
    const auto sampler = samplerFromName(job.sampler.toStdString());
    if (!sampler) {
        throw Error(ErrorKind::InvalidRequest, "Unknown sampler \"" + job.sampler.toStdString() + "\".");
    }
    request.sampler = *sampler;
    if (!job.initImage.isNull()) {
        request.initImage = toEngineImage(job.initImage);
        request.strength = static_cast<float>(job.strength);
    }
    if (!job.mask.isNull()) request.mask = toEngineMask(job.mask);
    request.outpaint = {job.outpaintLeft, job.outpaintTop, job.outpaintRight, job.outpaintBottom};
    request.kidMode = job.kidMode;
    request.device = job.device == QStringLiteral("cpu")    ? DevicePreference::Cpu
                     : job.device == QStringLiteral("cuda") ? DevicePreference::Cuda
                                                            : DevicePreference::Auto;
    request.previewsPerSecond = job.previewsPerSecond;
    for (const auto& [file, weight] : job.loras)
        request.loras.push_back({file.toStdString(), static_cast<float>(weight)});
    return request;
}

JobProgress toJobProgress(const Progress& progress) {
    JobProgress out;
    out.imageIndex = progress.imageIndex;
    out.batchSize = progress.batchSize;
    out.step = progress.step;
    out.totalSteps = progress.totalSteps;
    out.secondsLeft = progress.secondsLeft;
    out.layersArrived = progress.layersArrived;
    out.layersTotal = progress.layersTotal;
    if (progress.preview) out.preview = toQImage(*progress.preview);
    return out;
}

JobResult toJobResult(const GenerationResult& result, quint64 firstSeed) {
    JobResult job;
    job.firstSeed = firstSeed;
    job.cancelled = result.cancelled;
    job.seconds = result.seconds;
    job.deviceName = QString::fromStdString(result.deviceName);
    job.promptBlocked = !result.promptVerdict.allowed;
    if (job.promptBlocked) {
        job.childMessage = QString::fromStdString(result.promptVerdict.childMessage);
        job.blockedCategory = QString::fromUtf8(safetyCategoryName(result.promptVerdict.category).data());
    }
    for (const auto& generated : result.images) {
        JobImage image;
        image.seed = generated.seed;
        image.blocked = !generated.verdict.allowed;
        image.parameters = QString::fromStdString(generated.parameters);
        if (!image.blocked) {
            image.image = toQImage(generated.image);
        } else if (job.childMessage.isEmpty()) {
            job.childMessage = QString::fromStdString(generated.verdict.childMessage);
        }
        job.images.append(image);
    }
    return job;
}

}  // namespace storybrush
