#!/usr/bin/env python3
"""How close transformers' own Sam3TrackerModel gets to the fp32 parity
fixtures (tests/data/sam3/<config>) in another dtype or on another device:
the yardstick for samlabel's bf16/fp16 figures (samlabel-gpu-check parity,
test_sam3_parity). Same prompts and the same mask fed back on refinement as
the C++ comparison (tests/engine/sam3_reference_cases.cpp); prints one JSON
line per fixture with the minimum binary-mask IoU against the fp32 masks.

Usage: transformers_dtype_parity.py FIXTURE_DIR [...] [--dtype bf16|fp16|fp32] [--device cuda|cpu]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file
from transformers import Sam3TrackerModel, Sam3TrackerProcessor

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from make_sam3_fixtures import processor_prompt_kwargs  # noqa: E402  (the fixtures' own prompt encoding)


@torch.inference_mode()
def fixture_min_iou(folder: Path, dtype: torch.dtype, device: str) -> dict:
    model = Sam3TrackerModel.from_pretrained(folder, dtype=dtype).eval().to(device)
    processor = Sam3TrackerProcessor.from_pretrained(folder)
    reference = load_file(folder / "reference_outputs.safetensors")
    summary = json.loads((folder / "prompts.json").read_text())
    ious = []
    for entry in summary["images"]:
        image = Image.open(folder / entry["file"]).convert("RGB")
        key = Path(entry["file"]).stem
        for ps in entry["prompts"]:
            inputs = processor(images=image, return_tensors="pt", **processor_prompt_kwargs(ps))
            model_kwargs = {k: (v.to(device, dtype) if v.is_floating_point() else v.to(device))
                            for k, v in inputs.items() if k != "original_sizes"}
            if "previous" in ps:
                previous = reference[f"{key}/{ps['previous']}/low_res_logits"][ps["previous_candidate"]]
                model_kwargs["input_masks"] = previous[None, None].to(device, dtype)
            out = model(**model_kwargs, multimask_output=ps["multimask"])
            masks = processor.post_process_masks(out.pred_masks.float().cpu(), inputs["original_sizes"])[0][0]
            for i, file in enumerate(ps["mask_files"]):
                expected = np.array(Image.open(folder / file).convert("L")) > 127
                ours = masks[i].numpy()
                union = np.logical_or(ours, expected).sum()
                ious.append(1.0 if union == 0 else float(np.logical_and(ours, expected).sum() / union))
    return {"fixture": folder.name, "implementation": "transformers", "dtype": str(dtype).replace("torch.", ""),
            "device": device, "candidates": len(ious), "min_mask_iou": min(ious),
            "below_0_98": sum(i < 0.98 for i in ious)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("fixtures", nargs="+", type=Path)
    parser.add_argument("--dtype", choices=["bf16", "fp16", "fp32"], default="bf16")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[args.dtype]
    for folder in args.fixtures:
        print(json.dumps(fixture_min_iou(folder, dtype, args.device)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
