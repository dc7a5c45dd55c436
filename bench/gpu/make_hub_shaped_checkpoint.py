#!/usr/bin/env python3
"""Writes a full-size random-weight SAM3 checkpoint with the exact tensor table
of facebook/sam3 (names, shapes, dtypes from ../shared/reference/sam3-hub-tensors.tsv)
plus the hub config (tests/data/sam3/hub_config.json).

Why not transformers: on the GPU machine the installed transformers may be
another version than tools/requirements.txt pins, and building the whole
Sam3VideoModel on the CPU to get random weights takes minutes there; this
writes the same 3.4 GB file in seconds (values drawn on the GPU when there is one).
Values: layer-norm weights 1, biases 0, everything else N(0, 0.02), seeded.
They are only for timing and memory figures; parity is checked on the
transformers-written fixtures in tests/data/sam3.

Usage: make_hub_shaped_checkpoint.py TSV HUB_CONFIG OUT_DIR
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file


def value_for(name: str, shape: list[int], generator: torch.Generator, device: str) -> torch.Tensor:
    parts = name.split(".")
    leaf, module = parts[-1], (parts[-2] if len(parts) > 1 else "")
    is_norm = "norm" in module.lower()
    if leaf == "bias":
        return torch.zeros(shape)
    if is_norm and leaf == "weight":
        return torch.ones(shape)
    return (torch.randn(shape, generator=generator, device=device) * 0.02).cpu()


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    tsv, hub_config, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    out.mkdir(parents=True, exist_ok=True)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    generator = torch.Generator(device=device).manual_seed(0)
    tensors: dict[str, torch.Tensor] = {}
    for line in tsv.read_text().splitlines()[1:]:
        name, dtype, shape_text, _evidence = line.split("\t")
        if dtype != "F32":
            raise SystemExit(f"{tsv}: {name} has dtype {dtype}; only F32 is expected in the hub file")
        shape = [int(s) for s in shape_text.split(",")] if shape_text else []
        tensors[name] = value_for(name, shape, generator, device)
    save_file(tensors, out / "model.safetensors.tmp", metadata={"format": "pt"})
    os.replace(out / "model.safetensors.tmp", out / "model.safetensors")
    (out / "config.json").write_text(hub_config.read_text())
    # The processor's defaults are the hub's (1008 px, mean/std 0.5).
    try:
        from transformers import Sam3ImageProcessor, Sam3TrackerProcessor

        Sam3TrackerProcessor(image_processor=Sam3ImageProcessor()).save_pretrained(out)
    except Exception as e:  # transformers is only needed for the comparison run
        print(f"no processor_config.json written ({e})", file=sys.stderr)
    size = (out / "model.safetensors").stat().st_size
    print(json.dumps({"checkpoint": str(out), "tensors": len(tensors), "bytes": size}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
