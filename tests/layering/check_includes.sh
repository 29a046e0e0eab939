#!/bin/sh
# The include rules of docs/architecture.md, checked on the sources: prints each breach and fails when there is one.
root="${1:-.}"
cd "$root" || exit 2
internal='#include "(engine/|io/|text/|models/|sampling/|pipeline/|runtime/|safety/|imaging/|train/)'
status=0
breach() {
    echo "layering: $1"
    echo "$2" | sed 's/^/  /'
    status=1
}
found=$(grep -rnE '#include "app/|#include <storybrush/|#include <torch/|#include <ATen/|#include <c10/|'"$internal" ui)
[ -n "$found" ] && breach "ui/ includes app/, the engine or libtorch (it owns its Qt value types; app/studio wires it)" "$found"
found=$(grep -rnE '#include <Q[A-Za-z]*(/|>)' engine)
[ -n "$found" ] && breach "engine/ includes Qt" "$found"
found=$(grep -rnE "$internal"'|#include <torch/' app --include='*.cpp' --include='*.h' | grep -v '^app/cli/developer/')
[ -n "$found" ] && breach "app/ (outside cli/developer/) includes engine internals or libtorch: use <storybrush/...>" "$found"
found=$(grep -rnE '#include "(io|text|models|sampling|pipeline|runtime|safety|imaging)/' engine/include)
[ -n "$found" ] && breach "the public headers include internal ones" "$found"
[ "$status" = 0 ] && echo "layering: ui -> (nothing), app -> ui + <storybrush/...>, engine -> no Qt: all kept"
exit "$status"
