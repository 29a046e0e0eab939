#!/usr/bin/env python3
"""Where an SD UNet step spends its GPU time, kernel by kernel (issue 9: which fusion to write next).

Run on the GPU machine with diffusers' source tree on PYTHONPATH (see compare_diffusers.py); random weights of the
full-size architecture, FP16, channels_last, batch 2 (CFG), as our engine runs it:

    PYTHONPATH=/tmp/dsrc/src python3 tests/reference/profile_unet.py --kind sd15 --out trace.json

diffusers' eager step launches the same PyTorch kernels our engine replays from a CUDA graph (convolutions,
GEMMs, attention, GroupNorm, elementwise), so the kernel times, not the launch gaps, are what this shows. It prints
the kernels by total time and the time per kind of work.
"""
import argparse
import collections
import json


KINDS = [  # first match wins; kernel names as CUDA reports them
    ("attention", ("flash", "fmha", "attention", "sdpa", "cudnn_generated_fort_native_sdpa")),
    ("convolution", ("conv", "implicit_gemm", "xmma_fprop", "sm90_xmma_fprop", "cutlass3x_sm90_sptensorop", "nhwc")),
    ("group_norm", ("group_norm", "groupnorm", "GroupNorm", "RowwiseMoments", "ComputeFusedParams", "GroupNorm")),
    ("layer_norm", ("layer_norm", "LayerNorm")),
    ("gemm", ("gemm", "cutlass", "sm90_xmma", "cublas", "nvjet")),
    ("layout copy", ("copy", "Copy", "permute", "transpose", "nchwToNhwc", "nhwcToNchw")),
    ("elementwise", ("elementwise", "vectorized", "unrolled", "silu", "gelu", "add", "mul")),
]


def kind_of(name):
    for kind, needles in KINDS:
        if any(n in name for n in needles):
            return kind
    return "other"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kind", choices=["sd15", "sdxl"], default="sd15")
    parser.add_argument("--size", type=int, default=0)
    parser.add_argument("--steps", type=int, default=5, help="profiled steps (after warm-up)")
    parser.add_argument("--out", default="", help="also write a Chrome trace here")
    args = parser.parse_args()

    import torch
    from diffusers import UNet2DConditionModel
    from torch.profiler import ProfilerActivity, profile

    torch.backends.cudnn.benchmark = True
    if args.kind == "sd15":
        config = dict(cross_attention_dim=768, attention_head_dim=8, sample_size=64)
        size = args.size or 512
    else:
        config = dict(block_out_channels=(320, 640, 1280), down_block_types=("DownBlock2D", "CrossAttnDownBlock2D",
                      "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
                      cross_attention_dim=2048, attention_head_dim=(5, 10, 20), transformer_layers_per_block=(1, 2, 10),
                      use_linear_projection=True, addition_embed_type="text_time", addition_time_embed_dim=256,
                      projection_class_embeddings_input_dim=2816, sample_size=128)
        size = args.size or 1024
    device = torch.device("cuda")
    unet = UNet2DConditionModel(**config).to(device, torch.float16).eval().to(memory_format=torch.channels_last)
    side = size // 8
    sample = torch.randn(2, 4, side, side, device=device, dtype=torch.float16).to(memory_format=torch.channels_last)
    context = torch.randn(2, 77, config["cross_attention_dim"], device=device, dtype=torch.float16)
    timestep = torch.full((2,), 500.0, device=device)
    extra = {}
    if args.kind == "sdxl":
        extra["added_cond_kwargs"] = {"text_embeds": torch.randn(2, 1280, device=device, dtype=torch.float16),
                                      "time_ids": torch.randn(2, 6, device=device, dtype=torch.float16)}

    def step():
        with torch.no_grad():
            unet(sample, timestep, encoder_hidden_states=context, **extra)

    for _ in range(5):
        step()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as trace:
        for _ in range(args.steps):
            step()
        torch.cuda.synchronize()
    if args.out:
        trace.export_chrome_trace(args.out)

    kernels = collections.defaultdict(lambda: [0.0, 0])
    for event in trace.events():
        if event.device_type == torch.autograd.DeviceType.CUDA:
            entry = kernels[event.name]
            entry[0] += event.device_time_total if hasattr(event, "device_time_total") else event.cuda_time_total
            entry[1] += 1
    total = sum(t for t, _ in kernels.values())
    if total == 0:
        print("no CUDA kernel was recorded (the profiler could not read the GPU here)")
        return
    per_step = total / args.steps / 1000.0
    by_kind = collections.defaultdict(float)
    for name, (t, _) in kernels.items():
        by_kind[kind_of(name)] += t
    print(f"{args.kind} {size}x{size}, batch 2, FP16 channels_last: {per_step:.2f} ms of kernels a step, "
          f"{sum(c for _, c in kernels.values()) / args.steps:.0f} launches a step")
    for kind, t in sorted(by_kind.items(), key=lambda kv: -kv[1]):
        print(f"  {kind:12s} {t / args.steps / 1000.0:7.3f} ms  {100.0 * t / total:5.1f} %")
    print("top kernels (ms a step, launches a step):")
    for name, (t, count) in sorted(kernels.items(), key=lambda kv: -kv[1][0])[:30]:
        print(f"  {t / args.steps / 1000.0:7.3f}  {count // args.steps:4d}  [{kind_of(name)}] {name[:150]}")
    print(json.dumps({"kind": args.kind, "kernel_ms_per_step": round(per_step, 3),
                      "by_kind_ms": {k: round(v / args.steps / 1000.0, 3) for k, v in by_kind.items()}}))


if __name__ == "__main__":
    main()
