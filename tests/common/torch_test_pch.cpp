// Compiles the precompiled header that libtorch tests reuse (see storybrush_add_test).
