#!/bin/sh
# Re-signs the safety lists after a person has reviewed a change: writes MANIFEST.sha256 (sha256sum format).
cd "$(dirname "$0")" && { echo "# SHA-256 of every safety list; Storybrush refuses to draw if a list differs. Regenerate with update-manifest.sh after review."; find en zh-Hans zh-Hant pinyin -name '*.txt' | LC_ALL=C sort | xargs sha256sum; } > MANIFEST.sha256
