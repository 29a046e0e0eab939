// QImage <-> storybrush::Image, and JobRequest/Result <-> the engine's request/result: the only
// place where Qt's and the engine's types meet.
#pragma once

#include "ui/job.h"

#include <storybrush/request.h>
#include <storybrush/result.h>

namespace storybrush {

Image toEngineImage(const QImage& image);  // RGB, 3 channels (alpha dropped)
Image toEngineMask(const QImage& mask);    // grey, 1 channel: white repaints
QImage toQImage(const Image& image);       // deep copy; null for an empty image

// Fills the engine request from the job; throws Error(InvalidRequest) for an unknown sampler name.
// The caller adds the progress callback and cancel token.
GenerationRequest toEngineRequest(const JobRequest& job, quint64 seed);
JobResult toJobResult(const GenerationResult& result, quint64 firstSeed);
JobProgress toJobProgress(const Progress& progress);  // the preview raw: the kid-mode policy is applied where shown

}  // namespace storybrush
