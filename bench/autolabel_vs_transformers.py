#!/usr/bin/env python3
"""Auto-label throughput: `samlabel-cli autolabel` vs a transformers loop doing the same.

Both sides take the same N images (deterministic 1280x960 photo-like PNGs) and the same
class prompts on the same full-size random-weight checkpoint (bench/detect_vs_transformers.py
--make-checkpoint), with the same number of threads and dtype, and report images/s over the
loop (model load excluded on both sides):
  - ours: `samlabel-cli autolabel FOLDER --class ... --out results.jsonl`: read + decode each
    image, one encode, one detect per prompt, masks to RLE, one results line flushed to disk
    per image (its own progress line's images/s);
  - transformers: Sam3Model + Sam3Processor, per image the vision features computed once
    (get_vision_features) and reused for every prompt, then
    post_process_instance_segmentation, as bench/detect_vs_transformers.py runs it.
The target (issue 11) is ours >= 1.3x transformers' images/s. Not a timed test: on a shared
2-core VM the figures drift; run it when the machine is quiet.

Usage:
  python bench/autolabel_vs_transformers.py --cli BUILD/app/samlabel-cli [--images 50] [--threads 2] [--dtype bf16]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

DEFAULT_CHECKPOINT = Path.home() / ".cache" / "samlabel" / "bench" / "sam3-random-detect"
TEXTS = ["car", "person", "dog"]


def make_images(folder: Path, count: int) -> list[Path]:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    h, w = 960, 1280
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    for i in range(count):
        path = folder / f"img{i:03d}.png"
        paths.append(path)
        if path.exists():
            continue
        rng = np.random.default_rng(100 + i)
        img = (xx / w)[..., None] * rng.uniform(40, 120, 3) + (yy / h)[..., None] * rng.uniform(20, 120, 3)
        for _ in range(12):
            cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(40, 200)
            img[(xx - cx) ** 2 + (yy - cy) ** 2 < r * r] = rng.uniform(0, 255, 3)
        img += rng.normal(0, 6, img.shape)
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path)
    return paths


def run_ours(cli: Path, checkpoint: Path, folder: Path, dtype: str, threads: int, threshold: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(cli), "autolabel", str(folder), "--weights", str(checkpoint), "--device", "cpu", "--dtype", dtype,
               "--threshold", str(threshold), "--out", str(Path(tmp) / "results.jsonl"), "--restart"]
        for text in TEXTS:
            cmd += ["--class", text]
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
        t0 = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        wall = time.perf_counter() - t0
        if done.returncode != 0:
            raise SystemExit(f"samlabel-cli failed ({done.returncode}):\n{done.stderr}")
        progress = [line for line in done.stderr.splitlines() if re.search(r"\d+/\d+ images, [\d.]+ images/s", line)]
        last = progress[-1]
        images, rate = re.search(r"(\d+)/\d+ images, ([\d.]+) images/s", last).groups()
        detections = int(re.search(r"(\d+) detections", last).group(1))
        load = re.search(r"loaded in (\d+) ms", done.stderr)
        with open(Path(tmp) / "results.jsonl") as f:
            lines = f.read().splitlines()
    load_s = int(load.group(1)) / 1000 if load else 0.0
    # The progress line rounds images/s to two decimals (0.01 on a slow CPU run):
    # the ratio uses the wall time less the load instead, which also counts the
    # process start and exit, so it never flatters ours.
    return dict(images=int(images), progress_images_per_s=float(rate), images_per_s=int(images) / (wall - load_s),
                detections=detections, wall_s=wall, load_s=load_s, result_lines=len(lines) - 1)


def run_transformers(checkpoint: Path, images: list[Path], dtype: str, threads: int, threshold: float) -> dict:
    import torch
    from PIL import Image
    from transformers import Sam3Model, Sam3Processor

    torch.set_num_threads(threads)
    torch_dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[dtype]
    t0 = time.perf_counter()
    model = Sam3Model.from_pretrained(checkpoint, dtype=torch_dtype).eval()
    processor = Sam3Processor.from_pretrained(checkpoint)
    load_s = time.perf_counter() - t0
    text_inputs = {text: processor(text=text, return_tensors="pt") for text in TEXTS}
    detections = 0
    with torch.inference_mode():
        t0 = time.perf_counter()
        for path in images:
            image = Image.open(path).convert("RGB")
            inputs = processor(images=image, return_tensors="pt")
            vision = model.get_vision_features(pixel_values=inputs["pixel_values"].to(torch_dtype))
            for text in TEXTS:
                t = text_inputs[text]
                out = model(vision_embeds=vision, input_ids=t["input_ids"], attention_mask=t["attention_mask"])
                r = processor.post_process_instance_segmentation(out, threshold=threshold, mask_threshold=0.5,
                                                                 target_sizes=[(image.height, image.width)])[0]
                masks = r["masks"].numpy()  # what a labeller keeps: the masks on the CPU
                detections += len(masks)
        loop_s = time.perf_counter() - t0
    return dict(images=len(images), images_per_s=len(images) / loop_s, detections=detections, loop_s=loop_s, load_s=load_s)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cli", type=Path, help="samlabel-cli")
    parser.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT)
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--dtype", choices=["fp32", "bf16", "fp16"], default="bf16")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--threshold", type=float, default=0.3)
    parser.add_argument("--only", choices=["ours", "transformers"])
    args = parser.parse_args()
    if not (args.checkpoint / "model.safetensors").exists():
        print(f"no checkpoint in {args.checkpoint}: run bench/detect_vs_transformers.py --make-checkpoint", file=sys.stderr)
        return 2
    folder = args.checkpoint.parent / f"autolabel-images-{args.images}"
    images = make_images(folder, args.images)
    results = {}
    if args.only != "transformers":
        if not args.cli:
            print("--cli is required", file=sys.stderr)
            return 2
        results["ours"] = run_ours(args.cli, args.checkpoint, folder, args.dtype, args.threads, args.threshold)
        print("ours        ", json.dumps(results["ours"]), flush=True)
    if args.only != "ours":
        results["transformers"] = run_transformers(args.checkpoint, images, args.dtype, args.threads, args.threshold)
        print("transformers", json.dumps(results["transformers"]), flush=True)
    if len(results) == 2:
        o, t = results["ours"], results["transformers"]
        ratio = o["images_per_s"] / t["images_per_s"]
        print(f"\nauto-label, cpu, {args.dtype}, {args.threads} threads, {args.images} images x {len(TEXTS)} prompts {TEXTS}")
        print(f"images/s: samlabel {o['images_per_s']:.4f}, transformers {t['images_per_s']:.4f}, ratio {ratio:.2f}x "
              f"(target >= 1.3x: {'met' if ratio >= 1.3 else 'MISSED'})")
        print(f"detections above {args.threshold}: samlabel {o['detections']}, transformers {t['detections']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
