#!/bin/sh
# Runs on the GPU machine (see README.md here): builds the trainer and the CLI with CUDA, then one stage.
#   [TESTS=1] gpu_train.sh build
#   gpu_train.sh vae MINUTES                 -> build-cuda/model/vae
#   gpu_train.sh diffusion MINUTES [detach]  -> build-cuda/model/{unet,text_encoder}, on every GPU (REPLICAS=N: the first N)
#   [GPUS=N] gpu_train.sh train MINUTES      -> detached: diffusion on all GPUs but the last, the VAE's decoder
#                                               fine-tuned on the last (build-cuda/{diffusion,decoder}.log)
#   gpu_train.sh wait [SECONDS]              -> until the detached trainers end (or SECONDS pass); their last lines,
#                                               then collect: a call that waited always brings the model back
#   gpu_train.sh collect                     -> $OUT: the model (large files split in 15 MiB parts), samples
set -eu
# The libraries that .devdeps/env.sh unpacked in the build call stay on a warm machine (BLAS/LAPACK in their
# alternatives folders, which the build's RPATH does not name).
dd=/opt/dd/usr/lib/x86_64-linux-gnu
export LD_LIBRARY_PATH="$dd:/opt/dd/lib/x86_64-linux-gnu:$dd/blas:$dd/lapack:${LD_LIBRARY_PATH:-}"
MODEL=build-cuda/model
T="--concepts engine/train/data/concepts.tsv --data .trainingdata --template engine/train/data/model --model $MODEL"
case "$1" in
  build)
    # TESTS=1 also builds the engine's CUDA-capable unit tests (tst_unet, tst_pipeline, tst_autoencoder_kl). The
    # training needs none of our own CUDA kernels: should nvcc fail on them, the build goes on without them and says so.
    targets="storybrush-train storybrush-cli"; tests=OFF
    [ -n "${TESTS:-}" ] && { targets="$targets tst_unet tst_pipeline tst_autoencoder_kl"; tests=ON; }
    cmake -S . -B build-cuda -G Ninja -DSTORYBRUSH_GUI=OFF -DSTORYBRUSH_CUDA=ON -DSTORYBRUSH_TRAINER=ON \
      -DSTORYBRUSH_TESTS=$tests -DICU_ROOT=/opt/dd/usr >/dev/null
    # shellcheck disable=SC2086
    if ! cmake --build build-cuda -j16 --target $targets > build-cuda/build.log 2>&1; then
      grep -m 5 -B 2 -A 8 "error" build-cuda/build.log
      echo "gpu_train.sh: the build failed; building again without our own CUDA kernels" >&2
      cmake -S . -B build-cuda -DSTORYBRUSH_CUDA_KERNELS=OFF >/dev/null
      cmake --build build-cuda -j16 --target $targets > build-cuda/build.log 2>&1 || { tail -n 30 build-cuda/build.log; exit 1; }
    fi
    tail -n 2 build-cuda/build.log ;;
  vae)
    ./build-cuda/storybrush-train vae $T --minutes "$2" --batch 64 --seed 1 ;;
  diffusion)
    # A fresh machine resumes from the shipped model (resources/models/builtin), or from .trainingdata/model
    # when a newer collect was carried in; RESTART=1 trains the text encoder and UNet from scratch.
    if [ ! -d "$MODEL/unet" ] && [ -z "${RESTART:-}" ]; then
      from=resources/models/builtin; [ -d .trainingdata/model/unet ] && from=.trainingdata/model
      mkdir -p "$MODEL" && cp -r "$from/." "$MODEL/" && chmod -R u+w "$MODEL"
    fi
    R=""; [ -n "${REPLICAS:-}" ] && R="--replicas $REPLICAS"
    if [ "${3:-}" = detach ]; then
      setsid nohup ./build-cuda/storybrush-train diffusion $T $R --minutes "$2" --batch "${BATCH:-256}" --lr 3e-4 \
        --seed "${SEED:-2}" > build-cuda/diffusion.log 2>&1 &
      echo $! > build-cuda/diffusion.pid
      sleep 20; tail -n 3 build-cuda/diffusion.log
    else
      ./build-cuda/storybrush-train diffusion $T $R --minutes "$2" --batch "${BATCH:-256}" --lr 3e-4 --seed "${SEED:-2}"
    fi ;;
  train)
    # GPUS=N (with CUDA_VISIBLE_DEVICES naming N cards) leaves the others free for other work.
    gpus=${GPUS:-$(nvidia-smi -L | wc -l)}
    if [ "$gpus" -lt 2 ]; then exec sh "$0" diffusion "$2" detach; fi
    REPLICAS=$((gpus - 1)) sh "$0" diffusion "$2" detach
    setsid nohup ./build-cuda/storybrush-train vae $T --minutes "$2" --batch 64 --seed "${SEED:-4}" --decoder-only --corner-weight "${CORNER_WEIGHT:-1}" \
      --device "cuda:$((gpus - 1))" > build-cuda/decoder.log 2>&1 &
    echo $! > build-cuda/decoder.pid
    sleep 5; tail -n 2 build-cuda/decoder.log ;;
  wait)
    # Until the detached trainers have ended, or SECONDS (default 540) have passed; then where they are. (A
    # `pgrep -f storybrush-train` loop would wait forever: it matches the shell that runs it.)
    end=$(( $(date +%s) + ${2:-540} ))
    for pidfile in build-cuda/diffusion.pid build-cuda/decoder.pid; do
      [ -f "$pidfile" ] || continue
      while kill -0 "$(cat "$pidfile")" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do sleep 5; done
    done
    for log in build-cuda/diffusion.log build-cuda/decoder.log; do
      if [ -f "$log" ]; then echo "-- $log"; tail -n 2 "$log"; fi
    done
    # Collect here, not in a later call: a machine that goes cold before that call loses a finished run. The
    # trainer saves every minute, so a copy taken mid-run is a usable model too.
    sh "$0" collect ;;
  collect)
    mkdir -p "$OUT"
    tar -C "$MODEL" --exclude="*.part" -cf - . | split -b 15m - "$OUT/model.tar.part-"
    cp build-cuda/*.log "$OUT/" 2>/dev/null || true ;;
esac
