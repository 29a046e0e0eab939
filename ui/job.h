// Jobs as the UI sees them: Qt value types that ui/ owns, with no engine or libtorch types. The app's services
// (app/) convert them to and from storybrush::GenerationRequest/Result.
#pragma once

#include <QtCore/QList>
#include <QtCore/QMetaType>
#include <QtCore/QPair>
#include <QtCore/QString>
#include <QtGui/QImage>

namespace storybrush {

struct JobRequest {
    QString model = QStringLiteral("builtin");
    QString prompt;
    QString negativePrompt;
    int width = 0;  // 0: the model's own size
    int height = 0;
    double aspectRatio = 1.0;  // with width and height 0: the model's own pixels in this shape (1.5 wide, 0.667 tall)
    int steps = 25;
    double cfgScale = 7.5;
    quint64 seed = 0;
    bool randomSeed = true;  // the worker picks the seed and reports it in the result
    int batchSize = 1;
    QString sampler = QStringLiteral("dpmpp2m_karras");
    QImage initImage;  // null: text-to-image
    double strength = 0.75;
    QImage mask;  // null: no mask; white repaints
    int outpaintLeft = 0, outpaintTop = 0, outpaintRight = 0, outpaintBottom = 0;
    bool kidMode = true;
    QString device = QStringLiteral("auto");  // auto, cpu or cuda (the settings' choice)
    QList<QPair<QString, double>> loras;      // style add-ons: file, weight
    double previewsPerSecond = 4.0;           // 0: no step previews
};

// What a grown-up set as a model's own starting point (model manager); zero/empty fields leave the panel as it is.
struct ModelDefaults {
    int side = 0;         // picture size in pixels along the side of a square (0: the model's own)
    QString sampler;      // one of the sampler names of docs/cli.md
    double cfgScale = 0;  // guidance
    int steps = 0;
    bool ownSampler = false;  // the model draws with its own sampler (Qwen-Image: flow matching): the choice is moot
    bool isEmpty() const { return side <= 0 && sampler.isEmpty() && cfgScale <= 0 && steps <= 0; }
};

// One model as the app found it, for the model manager (ui/ never opens model files).
struct ModelEntry {
    QString path;  // a .safetensors file or a diffusers folder; "builtin" for the built-in model
    QString name;
    QString kind;  // "SD 1.x", "SD 2.x", "SDXL", "Built-in"
    qint64 bytes = 0;
    bool inpainting = false;
    int nativeSize = 0;  // pixels along a side
    QString problem;     // why it cannot be used (shown as it is); empty when it can
};

struct JobProgress {
    int imageIndex = 0;
    int batchSize = 1;
    int step = 0;
    int totalSteps = 0;
    double secondsLeft = -1.0;  // negative while unknown
    QImage preview;             // null when this step brought none; raw: apply the kid-mode policy before showing
    int layersArrived = 0;      // model layers streamed in for the running step (small cards); 0 of 0 otherwise
    int layersTotal = 0;
};

struct JobImage {
    QImage image;  // null when the safety check held the picture back
    quint64 seed = 0;
    bool blocked = false;
    QString parameters;  // A1111-style generation parameters
};

struct JobResult {
    QList<JobImage> images;
    quint64 firstSeed = 0;
    bool promptBlocked = false;
    QString childMessage;     // kind words for the screen when something was held back (English)
    QString blockedCategory;  // "sexual", "horror", ...: the UI words its own message in the user's language
    bool cancelled = false;
    double seconds = 0.0;
    QString deviceName;
};

}  // namespace storybrush

Q_DECLARE_METATYPE(storybrush::JobRequest)
Q_DECLARE_METATYPE(storybrush::JobProgress)
Q_DECLARE_METATYPE(storybrush::JobResult)
