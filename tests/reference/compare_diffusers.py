#!/usr/bin/env python3
"""Storybrush beside diffusers on the same random full-size weights, in one call, with ratios.

Run on the GPU machine (PyTorch with CUDA there; diffusers is not installed, so its source tree is carried as a
tarball and put on PYTHONPATH, never copied into this project):

    mkdir -p /tmp/dsrc && tar -xzf diffusers-src.tar.gz -C /tmp/dsrc
    PYTHONPATH=/tmp/dsrc/src python3 tests/reference/compare_diffusers.py --cli build-cuda/storybrush-cli --kind sd15

1. `storybrush-cli bench --random KIND --write FOLDER` times our whole pipeline and writes its weights as a
   diffusers folder.
2. diffusers loads that folder and is timed on the same shapes: the UNet step at batch 2 (CFG), eager and with
   channels_last, the VAE decode, and (when transformers is importable) the whole pipeline with DPM++ 2M.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def ours(cli, kind, folder, steps, runs, cfg):
    command = [cli, "bench", "--random", kind, "--steps", str(steps), "--runs", str(runs), "--cfg", str(cfg)]
    if not os.path.exists(os.path.join(folder, "model_index.json")):
        command += ["--write", folder]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def timed(fn, runs, warmup=3):
    import torch
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times)


def theirs(folder, kind, steps, runs, cfg, size):
    import torch
    import diffusers
    from diffusers import AutoencoderKL, UNet2DConditionModel

    figures = {"diffusers_version": diffusers.__version__}
    device = torch.device("cuda")
    unet = UNet2DConditionModel.from_pretrained(os.path.join(folder, "unet"), torch_dtype=torch.float16).to(device).eval()
    side = size // 8
    batch = 2 if cfg > 1 else 1
    sample = torch.randn(batch, unet.config.in_channels, side, side, device=device, dtype=torch.float16)
    context = torch.randn(batch, 77, unet.config.cross_attention_dim, device=device, dtype=torch.float16)
    timestep = torch.full((batch,), 500.0, device=device)
    extra = {}
    if unet.config.addition_embed_type == "text_time":
        pooled = unet.config.projection_class_embeddings_input_dim - 6 * unet.config.addition_time_embed_dim
        extra = {"added_cond_kwargs": {
            "text_embeds": torch.randn(batch, pooled, device=device, dtype=torch.float16),
            "time_ids": torch.tensor([[size, size, 0, 0, size, size]] * batch, device=device, dtype=torch.float16)}}
    with torch.inference_mode():
        step = lambda: unet(sample, timestep, encoder_hidden_states=context, **extra)
        figures["unet_step_ms"] = timed(step, max(10, runs * 4))
        unet.to(memory_format=torch.channels_last)
        figures["unet_step_ms_channels_last"] = timed(step, max(10, runs * 4))
        del unet
        vae = AutoencoderKL.from_pretrained(os.path.join(folder, "vae"), torch_dtype=torch.float16).to(device).eval()
        latents = torch.randn(1, 4, side, side, device=device, dtype=torch.float16)
        figures["vae_ms_fp16"] = timed(lambda: vae.decode(latents / vae.config.scaling_factor), runs)
        vae.to(torch.float32)
        figures["vae_ms_fp32"] = timed(lambda: vae.decode(latents.float() / vae.config.scaling_factor), runs)
        del vae
    figures["peak_alloc_gib"] = torch.cuda.max_memory_allocated() / 2**30
    try:
        import transformers  # noqa: F401  (the whole pipeline needs it for the text encoder and tokenizer)
        from diffusers import DiffusionPipeline, DPMSolverMultistepScheduler
        pipe = DiffusionPipeline.from_pretrained(folder, torch_dtype=torch.float16, safety_checker=None,
                                                 requires_safety_checker=False).to(device)
        pipe.scheduler = DPMSolverMultistepScheduler.from_config(pipe.scheduler.config)
        pipe.set_progress_bar_config(disable=True)
        run = lambda: pipe("a smiling baby dolphin playing with a ball", num_inference_steps=steps,
                           guidance_scale=cfg, height=size, width=size, output_type="np")
        figures["total_s"] = timed(run, runs, warmup=1) / 1000.0
    except ImportError as error:
        figures["total_s_note"] = f"whole pipeline not timed: {error}"
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cli", required=True, help="storybrush-cli (the CUDA build)")
    parser.add_argument("--kind", default="sd15", choices=["sd15", "sd15-inpaint", "sd2", "sdxl"])
    parser.add_argument("--folder", help="where the random weights go (default /tmp/storybrush-random-KIND)")
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--cfg", type=float, default=7.5)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = args.folder or f"/tmp/storybrush-random-{args.kind}"
    us = ours(args.cli, args.kind, folder, args.steps, args.runs, args.cfg)
    size = int(us["size"].split("x")[0])
    them = theirs(folder, args.kind, args.steps, args.runs, args.cfg, size)
    print(f"{args.kind} {us['size']}, {args.steps} steps, CFG {args.cfg}, FP16, {us['device']}, diffusers {them['diffusers_version']}")
    print(f"{'figure':<28}{'storybrush':>12}{'diffusers':>12}{'ratio':>8}")
    # diffusers' figure is its UNet called back to back at batch 2: beside it, our UNet call timed the same way
    # (unet_call_ms), not our sampler step (which adds the sampler's arithmetic and a sync each step).
    rows = [("UNet call (ms, batch 2)", us["unet_call_ms"], them["unet_step_ms"]),
            ("  diffusers channels_last", us["unet_call_ms"], them["unet_step_ms_channels_last"]),
            ("VAE decode (ms) vs fp16", us["vae_ms"], them["vae_ms_fp16"]),
            ("VAE decode (ms) vs fp32", us["vae_ms"], them["vae_ms_fp32"]),
            ("peak alloc (GiB)", us["peak_alloc_gib"], them["peak_alloc_gib"])]
    if "total_s" in them:
        rows.append(("whole picture (s)", us["total_s"], them["total_s"]))
    for name, a, b in rows:
        print(f"{name:<28}{a:>12.3f}{b:>12.3f}{b / a:>7.2f}x")
    if "total_s_note" in them:
        print(them["total_s_note"])
    print(json.dumps({"storybrush": us, "diffusers": them}))


if __name__ == "__main__":
    sys.exit(main())
