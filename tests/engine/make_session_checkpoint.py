#!/usr/bin/env python3
"""A mid-size random-weight SAM3 checkpoint (hub layout, written by transformers'
save_file, config by save_pretrained) for the model-session tests: big enough that loading it moves
the process's RSS by tens of megabytes (so "a cancelled load leaves nothing
allocated" is measurable) and that one encode takes long enough to overlap an
unload, small enough to generate in seconds. Not committed: generated into the
build tree on first use (the config reuses tools/make_sam3_fixtures.py).

Usage: make_session_checkpoint.py OUT_DIR
"""
import sys
from pathlib import Path

import os
import shutil

import torch
from safetensors.torch import save_file

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
from make_sam3_fixtures import tiny_video_config  # noqa: E402
from transformers import Sam3VideoModel  # noqa: E402

MEDIUM = dict(
    image_size=448, patch_size=14, pretrain_image_size=224,
    # The trunk dominates: 6 layers of width 512 with a 2048 MLP, ~19 M parameters (~76 MB fp32).
    vit_hidden=512, vit_heads=8, vit_layers=6, vit_mlp=2048, window_size=8, global_attn=[2, 5],
    vit_eps=1e-6, rope_theta=10000.0,
    fpn=64, scale_factors=[4.0, 2.0, 1.0, 0.5], tracker_scale_factors=[4.0, 2.0, 1.0, 0.5],
    dec_heads=2, dec_layers=2, dec_mlp=128, num_multimask=3, iou_depth=3, iou_hidden=64,
    mask_input_channels=16, prompt_eps=1e-6,
)


def main() -> int:
    out = Path(sys.argv[1])
    if (out / "model.safetensors").exists() and (out / "config.json").exists():
        return 0
    torch.manual_seed(7)
    config = tiny_video_config(MEDIUM)
    model = Sam3VideoModel(config).eval()
    # Several tests may ask for it at once (ctest -j): each writes its own
    # temporary folder and the first to finish puts it in place.
    tmp = out.with_name(f"{out.name}.tmp{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    config.save_pretrained(tmp)
    # The hub file is the plain state dict (transformers 5.23's save_pretrained
    # would rename the tracker to tracker_model.tracker_model.*).
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(state, tmp / "model.safetensors", metadata={"format": "pt"})
    try:
        os.replace(tmp, out)
    except OSError:
        if not (out / "model.safetensors").exists():
            raise
        shutil.rmtree(tmp)  # another test's copy won; both are the same bytes
    return 0


if __name__ == "__main__":
    sys.exit(main())
