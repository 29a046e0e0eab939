#!/bin/sh
# The lever table (figures: docs/performance.md): the same bench with each speed lever flipped from its default,
# one row each, on one GPU in one call (so the rows compare). Run on the GPU machine after building storybrush-cli
# with CUDA:
#   sh tests/reference/lever_table.sh [KIND] [RUNS] [LEVERS...]
#   KIND: sd15 (default) | sdxl | sd15-inpaint; LEVERS: names as in STORYBRUSH_LEVERS (default: our own
#   kernels'; `all` for every lever). Each row makes its random model anew.
# Prints: lever, its state in that row, sampler step ms, the UNet call alone ms, VAE ms, whole picture s, peak
# allocator / device GiB.
set -u
cli=${CLI:-build-cuda/storybrush-cli}
kind=${1:-sd15}
runs=${2:-5}
[ $# -ge 2 ] && shift 2 || set --
size=512; [ "$kind" = sdxl ] && size=1024
steps=25; [ "$kind" = sdxl ] && steps=20
levers=${*:-fused_group_norm fused_geglu fused_group_norm_split pointwise_conv_gemm fused_channel_add cross_attention_keys fused_qkv}
[ "$levers" = all ] && levers="graphs cudnn_benchmark vae_bf16 channels_last vae_channels_last group_norm batched_cfg \
expandable_segments fused_group_norm fused_geglu fused_group_norm_split pointwise_conv_gemm fused_channel_add \
cross_attention_keys fused_qkv gpu_warm_up pinned_upload plan_while_loading populate_pages"
last=$(mktemp)
row() {  # $1: label, $2: STORYBRUSH_LEVERS
  STORYBRUSH_LEVERS="$2" "$cli" bench --random "$kind" --size "$size" --steps "$steps" --runs "$runs" 2>/dev/null |
    tail -n 1 > "$last"
  python3 -c '
import json, sys
label = sys.argv[1]
try:
    j = json.loads(sys.stdin.read())
except ValueError:
    print("%-34s failed" % label); sys.exit()
print("%-34s %8.2f %8.2f %8.2f %8.3f %7.3f %7.3f" % (label, j["unet_step_ms"], j["unet_call_ms"], j["vae_ms"], j["total_s"],
                                                     j["peak_alloc_gib"], j["peak_device_gib"]))
' "$1" < "$last"
}
echo "$kind ${size}x${size}, $steps steps, median of $runs runs"
printf '%-34s %8s %8s %8s %8s %7s %7s\n' "row" "step ms" "unet ms" "vae ms" "total s" "alloc" "device"
row "defaults" ""
defaults=$(python3 -c 'import json,sys; print(json.loads(sys.stdin.read())["levers"])' < "$last" 2>/dev/null)
for lever in $levers; do
  case " $defaults " in
    *" $lever+ "*) row "$lever off" "-$lever" ;;
    *) row "$lever on" "+$lever" ;;
  esac
done
row "defaults (again)" ""
rm -f "$last"
