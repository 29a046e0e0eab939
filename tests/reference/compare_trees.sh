#!/bin/bash
# On the GPU machine: builds an earlier tree (.code/before.tar.gz, made here with
#   git archive REV -- . ':!resources/models' ':!engine/train/samples' ':!packaging/screenshots' \
#       ':!resources/safety/classifier' | gzip > .code/before.tar.gz)
# and the working tree side by side with CUDA, then runs the same bench and GPU parity tests on both, so a change
# that must not change speed or pictures is measured in one call. Carry [".devdeps", ".code"] and move
# resources/models out of the tree for the call (64 MiB travel). docs/performance.md has the last figures.
set -u
. .devdeps/env.sh
mkdir -p /tmp/before && tar -xzf .code/before.tar.gz -C /tmp/before
build() {  # $1 source, $2 build dir
  cmake -S "$1" -B "$2" -G Ninja -DSTORYBRUSH_GUI=OFF -DSTORYBRUSH_CUDA=ON -DSTORYBRUSH_TESTS=ON -DICU_ROOT=/opt/dd/usr \
    > "$2.cfg.log" 2>&1 && cmake --build "$2" -j8 --target storybrush-cli tst_pipeline > "$2.build.log" 2>&1
  echo "build $1 rc=$?"
}
build /tmp/before /tmp/build-before &
build "$PWD" /tmp/build-after &
wait
tail -5 /tmp/build-before.build.log /tmp/build-after.build.log
for t in before after; do
  echo "=== $t"
  cli=/tmp/build-$t/storybrush-cli
  $cli bench --random sd15 --device cuda --steps 25 --runs 5 2>&1 | tail -1
  $cli bench --random sd15 --device cuda --steps 25 --runs 5 --inpaint 2>&1 | tail -1
  $cli bench --random sdxl --device cuda --steps 25 --runs 3 --previews 4 --taesd random 2>&1 | tail -1
  /tmp/build-$t/tests/engine/tst_pipeline cudaFp32MatchesAndFp16StaysClose cudaGraphReplayEqualsDirectCalls cudaVaeEncoderWaitsInMainMemoryUntilNeeded samplersMatchTheReference imageToImageMatchesTheReference 2>&1 | grep -E 'PASS|FAIL|SKIP|error|Totals|QINFO' | head -30
done
