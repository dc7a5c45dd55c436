#!/usr/bin/env python3
"""Model load: samlabel's streaming ModelSession vs transformers' from_pretrained.

One run prints, on the same full-size random-weight SAM3 checkpoint (the
facebook/sam3 hub layout written by bench/sam3_vs_transformers.py
--make-checkpoint into ~/.cache/samlabel/bench/sam3-random-full), for each
dtype (fp32, bf16) on CPU:
  - ours (bench/samlabel-bench-load, the click-to-segment parts): load time,
    peak RSS above the process's baseline, RSS after load, RSS after Unload;
  - transformers Sam3TrackerModel.from_pretrained (the same parts) and
    Sam3VideoModel.from_pretrained (the whole checkpoint, what the issue's
    users ran): load time, peak RSS above the baseline after imports;
  - the ratios (ours / theirs: below 1 is better for us);
  - the preflight's activation estimate for one encode vs the measured RSS peak
    of that encode (target: within 20%).

Each measurement runs in a fresh process (peak RSS is per process) with the
same thread count (OMP_NUM_THREADS). The page cache is warmed first, so every
loader reads the file from memory and the comparison is the loader's own work.

Usage:
  python bench/load_vs_transformers.py --bench-binary BUILD/bench/samlabel-bench-load \
      [--checkpoint DIR] [--dtypes fp32,bf16] [--threads 2] [--encode 1008x1008] [--no-encode]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

DEFAULT_DIR = Path.home() / ".cache" / "samlabel" / "bench" / "sam3-random-full"
MB = 1024 * 1024

# Runs in a fresh interpreter: imports first (their memory is the baseline),
# then from_pretrained, then the process's peak RSS (VmHWM) above the baseline.
TRANSFORMERS_CHILD = textwrap.dedent(
    """
    import json, sys, time
    import torch
    import transformers
    from transformers import Sam3TrackerModel, Sam3VideoModel

    def rss(field):
        for line in open("/proc/self/status"):
            if line.startswith(field):
                return int(line.split()[1]) * 1024
        return 0

    folder, cls_name, dtype = sys.argv[1], sys.argv[2], sys.argv[3]
    cls = {"Sam3TrackerModel": Sam3TrackerModel, "Sam3VideoModel": Sam3VideoModel}[cls_name]
    torch_dtype = {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype]
    transformers.logging.set_verbosity_error()
    try:
        open("/proc/self/clear_refs", "w").write("5")  # peak := current
    except OSError:
        pass
    baseline = rss("VmRSS:")
    t0 = time.perf_counter()
    model = cls.from_pretrained(folder, dtype=torch_dtype).eval()
    load_s = time.perf_counter() - t0
    params = sum(p.numel() * p.element_size() for p in model.parameters())
    print(json.dumps(dict(load_s=load_s, rss_before_bytes=baseline, peak_rss_load_bytes=rss("VmHWM:"),
                          rss_after_load_bytes=rss("VmRSS:"), parameter_bytes=params)))
    """
)


def warm_page_cache(folder: Path) -> None:
    with open(folder / "model.safetensors", "rb") as f:
        while f.read(64 * MB):
            pass


def run_json(cmd: list[str], env: dict) -> dict:
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    lines = [l for l in out.stdout.strip().splitlines() if l.startswith("{")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return json.loads(lines[-1])


def mb(x: float) -> str:
    return f"{x / MB:8.0f} MB"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench-binary", type=Path, required=True)
    parser.add_argument("--checkpoint", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--dtypes", default="fp32,bf16")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--encode", default="1008x1008", help="encode one synthetic image of this size (ours)")
    parser.add_argument("--no-encode", action="store_true")
    parser.add_argument("--skip-video-model", action="store_true", help="skip Sam3VideoModel (the whole checkpoint)")
    args = parser.parse_args()

    folder = args.checkpoint
    if not (folder / "model.safetensors").exists():
        raise SystemExit(f"{folder}: no checkpoint; run `python bench/sam3_vs_transformers.py --make-checkpoint` first")
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    print(f"checkpoint {folder} ({(folder / 'model.safetensors').stat().st_size / 1e9:.2f} GB), "
          f"CPU, {args.threads} threads, page cache warm")
    warm_page_cache(folder)

    rows = []
    for dtype in args.dtypes.split(","):
        ours_cmd = [str(args.bench_binary), str(folder), "--device", "cpu", "--dtype", dtype]
        if not args.no_encode:
            ours_cmd += ["--encode", args.encode]
        ours = run_json(ours_cmd, env)
        if ours.get("status") != "loaded":
            raise SystemExit(f"ours ({dtype}): {ours}")
        theirs = {}
        classes = ["Sam3TrackerModel"] + ([] if args.skip_video_model else ["Sam3VideoModel"])
        for cls in classes:
            theirs[cls] = run_json([sys.executable, "-c", TRANSFORMERS_CHILD, str(folder), cls, dtype], env)
        rows.append((dtype, ours, theirs))

    print()
    print(f"{'dtype':5} {'loader':28} {'load s':>8} {'peak RSS - base':>16} {'RSS after load':>16} {'weights':>11}")
    for dtype, ours, theirs in rows:
        ours_peak = ours["peak_rss_load_bytes"] - ours["rss_before_bytes"]
        print(f"{dtype:5} {'samlabel (click parts)':28} {ours['load_s']:8.2f} {mb(ours_peak):>16} "
              f"{mb(ours['rss_after_load_bytes']):>16} {mb(ours['parameter_bytes']):>11}")
        for cls, t in theirs.items():
            peak = t["peak_rss_load_bytes"] - t["rss_before_bytes"]
            print(f"{dtype:5} {'transformers ' + cls:28} {t['load_s']:8.2f} {mb(peak):>16} "
                  f"{mb(t['rss_after_load_bytes']):>16} {mb(t['parameter_bytes']):>11}")
        for cls, t in theirs.items():
            peak = t["peak_rss_load_bytes"] - t["rss_before_bytes"]
            print(f"      ratio ours/{cls}: load time {ours['load_s'] / t['load_s']:.2f}x, "
                  f"peak RSS above baseline {ours_peak / max(peak, 1):.2f}x")
        print(f"      ours: unload freed {mb(ours['unload_freed_ram_bytes']).strip()}, "
              f"RSS after unload {mb(ours['rss_after_unload_bytes']).strip()} "
              f"(before load {mb(ours['rss_before_bytes']).strip()})")
        if "encode_ms" in ours:
            est = ours["estimate_activation_bytes"]
            for suffix, what in (("", "first encode (cold)"), ("_warm", "second encode (warm)")):
                measured = ours["encode_peak_above_bytes" + suffix]
                print(f"      {what} {args.encode}: {ours['encode_ms' + suffix] / 1000:.2f} s; preflight activation "
                      f"estimate {mb(est).strip()} vs measured RSS peak above the pre-encode RSS {mb(measured).strip()} "
                      f"(estimate/measured {est / max(measured, 1):.2f}; target 0.80-1.20)")
            print(f"      (one embedding kept in the cache: {mb(ours['embedding_bytes']).strip()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
