#!/usr/bin/env python3
"""SAM3 click-to-segment benchmark: samlabel's native engine vs transformers.

One run prints, for the same full-size random-weight checkpoint, the same image
and the same number of threads:
  - ours (bench/samlabel-bench-sam3): load time, image encode time, per-click
    decode time p50/p95 over N clicks, peak RSS;
  - transformers' Sam3TrackerModel (+ Sam3TrackerProcessor): the same figures;
  - the ratios.

The checkpoint is generated once with transformers (`Sam3VideoModel(Sam3VideoConfig())`,
random weights, the facebook/sam3 hub layout: plain state dict in
model.safetensors + config.json + processor_config.json) into a cache folder
outside the repository (~3.4 GB).

Usage:
  python bench/sam3_vs_transformers.py --make-checkpoint            # once, slow
  python bench/sam3_vs_transformers.py --bench-binary BUILD/bench/samlabel-bench-sam3 \
      [--dtype bf16] [--threads 2] [--clicks 100] [--device cuda --dtype fp16]

On CUDA both sides encode twice and report the second (the first pays cuBLAS /
cuDNN start-up), and every timing waits for the GPU.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

DEFAULT_DIR = Path.home() / ".cache" / "samlabel" / "bench" / "sam3-random-full"


def make_checkpoint(folder: Path) -> None:
    import torch
    from safetensors.torch import save_file
    from transformers import Sam3ImageProcessor, Sam3TrackerProcessor, Sam3VideoConfig, Sam3VideoModel

    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    config = Sam3VideoConfig()
    model = Sam3VideoModel(config).eval()
    config.save_pretrained(folder)
    # transformers 5.23's save_pretrained renames the tracker to
    # tracker_model.tracker_model.*; the hub file is the plain state dict.
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    del model
    save_file(state, folder / "model.safetensors.tmp", metadata={"format": "pt"})
    os.replace(folder / "model.safetensors.tmp", folder / "model.safetensors")
    Sam3TrackerProcessor(image_processor=Sam3ImageProcessor()).save_pretrained(folder)
    print(f"wrote {folder} ({(folder / 'model.safetensors').stat().st_size / 1e9:.2f} GB)")


def bench_image(path: Path) -> Path:
    """A deterministic 1280x960 photo-like test image (PNG, plus a PPM copy for
    the native binary, which has no image decoder of its own)."""
    from PIL import Image

    if path.exists() and path.with_suffix(".ppm").exists():
        return path
    rng = np.random.default_rng(0)
    h, w = 960, 1280
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = (xx / w)[..., None] * [90, 60, 30] + (yy / h)[..., None] * [20, 80, 120]
    for _ in range(12):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(40, 200)
        img[(xx - cx) ** 2 + (yy - cy) ** 2 < r * r] = rng.uniform(0, 255, 3)
    img += rng.normal(0, 6, img.shape)
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path)
    Image.open(path).convert("RGB").save(path.with_suffix(".ppm"))
    return path


def click_points(n: int, width: int, height: int) -> list[tuple[float, float]]:
    rng = np.random.default_rng(1)
    return [(float(rng.uniform(0, width)), float(rng.uniform(0, height))) for _ in range(n)]


def run_transformers(folder: Path, image_path: Path, dtype: str, threads: int, clicks: int, device: str) -> dict:
    import torch
    from PIL import Image
    from transformers import Sam3TrackerModel, Sam3TrackerProcessor

    torch.set_num_threads(threads)
    torch_dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[dtype]
    cuda = device.startswith("cuda")

    def wait() -> None:
        if cuda:
            torch.cuda.synchronize()

    t0 = time.perf_counter()
    model = Sam3TrackerModel.from_pretrained(folder, dtype=torch_dtype).eval().to(device)
    processor = Sam3TrackerProcessor.from_pretrained(folder)
    wait()
    load_s = time.perf_counter() - t0
    image = Image.open(image_path).convert("RGB")
    with torch.inference_mode():
        first_encode_ms = None
        for _ in range(2 if cuda else 1):
            t0 = time.perf_counter()
            inputs = processor(images=image, return_tensors="pt")
            embeddings = model.get_image_embeddings(inputs["pixel_values"].to(device, torch_dtype))
            wait()
            encode_ms = (time.perf_counter() - t0) * 1e3
            first_encode_ms = first_encode_ms or encode_ms
        times = []
        for x, y in click_points(clicks, image.width, image.height):
            t0 = time.perf_counter()
            p = processor(images=None, original_sizes=inputs["original_sizes"], input_points=[[[[x, y]]]],
                          input_labels=[[[1]]], return_tensors="pt")
            out = model(image_embeddings=embeddings, input_points=p["input_points"].to(device, torch_dtype),
                        input_labels=p["input_labels"].to(device), multimask_output=True)
            masks = processor.post_process_masks(out.pred_masks.float(), inputs["original_sizes"])
            wait()
            times.append((time.perf_counter() - t0) * 1e3)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = dict(load_s=load_s, encode_ms=encode_ms, first_encode_ms=first_encode_ms,
                  click_p50_ms=float(np.percentile(times, 50)), click_p95_ms=float(np.percentile(times, 95)),
                  peak_rss_mb=peak_rss_mb)
    if cuda:
        result["peak_vram_allocated_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return result


def run_ours(binary: Path, folder: Path, image_path: Path, dtype: str, threads: int, clicks: int, device: str) -> dict:
    cmd = [str(binary), str(folder), str(image_path.with_suffix(".ppm")), "--dtype", dtype, "--threads", str(threads),
           "--clicks", str(clicks), "--device", device]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--make-checkpoint", action="store_true")
    parser.add_argument("--bench-binary", type=Path)
    parser.add_argument("--dtype", choices=["fp32", "bf16", "fp16"], default="bf16")
    parser.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--clicks", type=int, default=100)
    parser.add_argument("--only", choices=["ours", "transformers"])
    args = parser.parse_args()
    if args.make_checkpoint:
        make_checkpoint(args.checkpoint)
        return 0
    if not (args.checkpoint / "model.safetensors").exists():
        print(f"no checkpoint in {args.checkpoint}: run with --make-checkpoint first", file=sys.stderr)
        return 2
    image_path = bench_image(args.checkpoint.parent / "bench-1280x960.png")
    results = {}
    # Each side runs in its own process so peak RSS is its own.
    if args.only != "transformers":
        if not args.bench_binary:
            print("--bench-binary is required", file=sys.stderr)
            return 2
        results["ours"] = run_ours(args.bench_binary, args.checkpoint, image_path, args.dtype, args.threads,
                                   args.clicks, args.device)
        print("ours        ", json.dumps(results["ours"]), flush=True)
    if args.only != "ours":
        cmd = [sys.executable, __file__, "--checkpoint", str(args.checkpoint), "--dtype", args.dtype,
               "--threads", str(args.threads), "--clicks", str(args.clicks), "--only", "transformers",
               "--device", args.device]
        if os.environ.get("SAMLABEL_BENCH_CHILD"):
            results["transformers"] = run_transformers(args.checkpoint, image_path, args.dtype, args.threads,
                                                       args.clicks, args.device)
            print(json.dumps(results["transformers"]))
            return 0
        child = subprocess.run(cmd, check=True, capture_output=True, text=True,
                               env=dict(os.environ, SAMLABEL_BENCH_CHILD="1"))
        results["transformers"] = json.loads(child.stdout.strip().splitlines()[-1])
        print("transformers", json.dumps(results["transformers"]), flush=True)
    if "ours" in results and "transformers" in results:
        o, t = results["ours"], results["transformers"]
        print(f"\nSAM3 click-to-segment, {args.device}, {args.dtype}, {args.threads} threads, {args.clicks} clicks")
        print(f"{'':22}{'samlabel':>12}{'transformers':>14}{'ratio t/s':>11}")
        for key, unit in [("load_s", "s"), ("encode_ms", "ms"), ("click_p50_ms", "ms"), ("click_p95_ms", "ms"),
                          ("peak_rss_mb", "MB")]:
            print(f"{key + ' (' + unit + ')':22}{o[key]:12.1f}{t[key]:14.1f}{t[key] / o[key]:11.2f}")
        if "refine_click_p50_ms" in o:
            print(f"refinement clicks (ours; previous mask fed back, single mask): p50 {o['refine_click_p50_ms']:.1f} ms, "
                  f"p95 {o['refine_click_p95_ms']:.1f} ms")
        print(f"targets: encode <= transformers: {'met' if o['encode_ms'] <= t['encode_ms'] else 'MISSED'}; "
              f"click p95 < 15 ms: {'met' if o['click_p95_ms'] < 15 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
