#!/bin/sh
# Launch to the first PNG (figures: docs/performance.md): process start to the first PNG written, model on disk
# (warm page cache, as after a first launch), run as a person runs it. Run on the GPU machine after building
# storybrush-cli with CUDA:
#   sh tests/reference/first_png.sh [RUNS]
# Prints the wall time of RUNS `generate` calls (SD 1.5 random weights, 512x512, 25 steps, CFG 7.5), with and
# without the kid-safe check, then one `bench` run's split of the first picture's wait into parts. A lever's share:
#   STORYBRUSH_LEVERS=-plan_while_loading sh tests/reference/first_png.sh 2
set -eu
cli=${CLI:-build-cuda/storybrush-cli}
runs=${1:-3}
model=${MODEL_DIR:-/tmp/sd15-random}
[ -d "$model" ] || "$cli" bench --random sd15 --write "$model" --runs 1 > /dev/null 2>&1
find "$model" -name "*.safetensors" -exec cat {} + > /dev/null   # the page cache holds the model, as on a second launch
out=$(mktemp -d)
wall() {  # $1: label, rest: extra flags
  label=$1; shift
  for i in $(seq "$runs"); do
    start=$(date +%s%N)
    "$cli" generate --model "$model" --prompt "a smiling baby dolphin playing with a ball" --steps 25 --cfg 7.5 \
      --seed "$i" --output "$out/p$i.png" "$@" > /dev/null 2> "$out/err" || { echo "$label: generate failed:"; tail -n 2 "$out/err"; }
    end=$(date +%s%N)
    if [ -s "$out/p$i.png" ]; then
      written=$(date -r "$out/p$i.png" +%s%N)  # the PNG's last write; the process then still tears CUDA down
      echo "$label run $i: $(( (written - start) / 1000000 )) ms to the PNG, $(( (end - start) / 1000000 )) ms to exit"
    else
      echo "$label run $i: no PNG after $(( (end - start) / 1000000 )) ms"
    fi
  done
}
wall "kid-safe check on "
wall "kid-safe check off" --no-safety-check
"$cli" bench --model "$model" --runs 1 2>/dev/null | tail -n 1 | python3 -c '
import json, sys
j = json.loads(sys.stdin.read())
for key in ("startup_s", "cold_start_s", "first_text_ms", "first_step_ms", "first_other_steps_ms", "first_vae_ms", "first_run_s", "total_s"):
    print("%-22s %s" % (key, j.get(key)))'
rm -rf "$out"
