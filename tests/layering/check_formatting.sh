#!/bin/sh
# Fails naming each source file that .clang-format would change (docs/style.md says how to run it).
root="$1"
clang_format="${2:-clang-format}"
cd "$root" || exit 2
command -v git >/dev/null && [ -d .git ] || { echo "formatting: not a git checkout, nothing to check"; exit 0; }
status=0
for file in $(git ls-files '*.cpp' '*.h' '*.cu' '*.cuh'); do
    if ! "$clang_format" --dry-run -Werror "$file" >/dev/null 2>&1; then
        echo "formatting: $file does not follow .clang-format (run: $clang_format -i $file)"
        status=1
    fi
done
[ "$status" = 0 ] && echo "formatting: every source follows .clang-format"
exit "$status"
