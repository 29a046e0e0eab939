// Must compile: everything the app, the UI's wiring and the everyday CLI may include (tests/layering).
#include <storybrush/checks.h>
#include <storybrush/engine.h>
#include <storybrush/image_io.h>
#include <storybrush/models.h>
#include <storybrush/parameters.h>
#include <storybrush/tokens.h>

int probePublicApi() { return static_cast<int>(storybrush::kPictureClassNames.size()); }
