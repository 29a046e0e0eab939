// Must NOT compile: a target that links storybrush_engine sees the public API only (tests/layering).
#include "io/safetensors.h"

int probeInternalHeader() { return 0; }
