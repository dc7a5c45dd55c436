#!/usr/bin/env python3
"""Generate the SAM3 click-to-segment parity fixtures (tests/data/sam3/).

For each small configuration below this script
  1. builds a random-weight `Sam3VideoModel` (model_type sam3_video, the layout of
     the `facebook/sam3` hub checkpoint: trunk under `detector_model.`, the FPN the
     click path uses under `tracker_neck.`, prompt encoder and mask decoder under
     `tracker_model.`) from a fixed seed and saves it with `save_pretrained`;
  2. checks that its tensor names follow the hub table
     (../shared/reference/sam3-hub-tensors.tsv) up to layer indices;
  3. loads the reference the way the transformers docs load facebook/sam3 for the
     tracker: `Sam3TrackerModel.from_pretrained(dir)` + `Sam3TrackerProcessor`;
  4. runs it on small synthetic images with a fixed list of prompt sets and writes
     inputs (PNG images, prompts.json) and outputs (low-res mask logits, IoU
     scores, object score logits as safetensors; full-size binary masks as PNG).

It also writes tests/data/sam3/hub_config.json: the config.json that
`Sam3VideoConfig()` (the real model's defaults) produces, for the meta-device
shape test against the hub table.

Deterministic: fixed seeds, pinned versions (tools/requirements.txt).
Usage:  python tools/make_sam3_fixtures.py [--out tests/data/sam3]
"""
from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file

import transformers
from transformers import (
    Sam3ImageProcessor,
    Sam3TrackerModel,
    Sam3TrackerProcessor,
    Sam3VideoConfig,
    Sam3VideoModel,
)

REPO = Path(__file__).resolve().parent.parent
HUB_TABLE = REPO.parent / "shared" / "reference" / "sam3-hub-tensors.tsv"
EXPECTED_TRANSFORMERS = "5.23.0"

# Two configurations that differ in everything the trunk and heads read from
# config.json: depth, width, heads, window size (and window padding: 16 % 7 and
# 20 % 6 are non-zero), global layers, image size, pretrain size (position
# embedding tiled 2x / 2.5x), FPN scales (with 3 scales the no-memory embedding
# reaches the decoder; with 4 it lands on the dropped 0.5x level), decoder depth
# (which is also the two-way MLP depth), multimask count, IoU head depth.
CONFIGS = {
    "tiny224": dict(
        seed=1,
        image_size=224, patch_size=14, pretrain_image_size=112,
        vit_hidden=32, vit_heads=2, vit_layers=3, vit_mlp=64, window_size=7, global_attn=[1],
        vit_eps=1e-6, rope_theta=10000.0,
        fpn=32, scale_factors=[4.0, 2.0, 1.0, 0.5], tracker_scale_factors=[4.0, 2.0, 1.0, 0.5],
        dec_heads=2, dec_layers=2, dec_mlp=48, num_multimask=3, iou_depth=3, iou_hidden=24,
        mask_input_channels=16, prompt_eps=1e-6,
        images=[("blobs_200x150", 200, 150, 7), ("stripes_173x260", 173, 260, 8)],
    ),
    "tiny280": dict(
        seed=2,
        image_size=280, patch_size=14, pretrain_image_size=112,
        vit_hidden=48, vit_heads=4, vit_layers=4, vit_mlp=80, window_size=6, global_attn=[0, 3],
        vit_eps=1e-5, rope_theta=1000.0,
        fpn=32, scale_factors=[4.0, 2.0, 1.0, 0.5], tracker_scale_factors=[4.0, 2.0, 1.0],
        dec_heads=4, dec_layers=3, dec_mlp=40, num_multimask=2, iou_depth=2, iou_hidden=32,
        stability_thresh=0.9,  # some single-mask prompts keep token 0, others fall back
        mask_input_channels=8, prompt_eps=1e-5,
        images=[("blobs_310x190", 310, 190, 9)],
    ),
}


def tiny_video_config(c: dict) -> Sam3VideoConfig:
    fpn = c["fpn"]
    backbone = dict(
        model_type="sam3_vit_model",
        hidden_size=c["vit_hidden"], intermediate_size=c["vit_mlp"], num_hidden_layers=c["vit_layers"],
        num_attention_heads=c["vit_heads"], image_size=c["image_size"], patch_size=c["patch_size"],
        pretrain_image_size=c["pretrain_image_size"], window_size=c["window_size"],
        global_attn_indexes=c["global_attn"], layer_norm_eps=c["vit_eps"],
        rope_parameters={"rope_type": "axial", "rope_theta": c["rope_theta"]},
    )
    g = c["image_size"] // c["patch_size"]
    feature_sizes = [[4 * g, 4 * g], [2 * g, 2 * g], [g, g]]
    detector_vision = dict(backbone_config=backbone, fpn_hidden_size=fpn, scale_factors=c["scale_factors"],
                           backbone_feature_sizes=feature_sizes)
    tracker_vision = dict(backbone_config=dict(backbone), fpn_hidden_size=fpn,
                          scale_factors=c["tracker_scale_factors"], backbone_feature_sizes=feature_sizes)
    small = dict(hidden_size=fpn, num_layers=1, num_attention_heads=2, intermediate_size=2 * fpn)
    detector = dict(
        vision_config=detector_vision,
        text_config=dict(vocab_size=64, hidden_size=16, intermediate_size=32, projection_dim=16,
                         num_hidden_layers=1, num_attention_heads=2, max_position_embeddings=32),
        geometry_encoder_config=dict(small, roi_size=2),
        detr_encoder_config=dict(small),
        detr_decoder_config=dict(small, num_queries=8),
        mask_decoder_config=dict(hidden_size=fpn, num_attention_heads=2),
    )
    tracker = dict(
        vision_config=tracker_vision,
        prompt_encoder_config=dict(hidden_size=fpn, image_size=c["image_size"], patch_size=c["patch_size"],
                                   mask_input_channels=c["mask_input_channels"], layer_norm_eps=c["prompt_eps"]),
        mask_decoder_config=dict(hidden_size=fpn, mlp_dim=c["dec_mlp"], num_hidden_layers=c["dec_layers"],
                                 num_attention_heads=c["dec_heads"], num_multimask_outputs=c["num_multimask"],
                                 iou_head_depth=c["iou_depth"], iou_head_hidden_dim=c["iou_hidden"],
                                 dynamic_multimask_stability_thresh=c.get("stability_thresh", 0.98)),
        image_size=c["image_size"],
        memory_attention_hidden_size=fpn, memory_attention_num_layers=1,
        memory_attention_feed_forward_hidden_size=2 * fpn,
        memory_encoder_hidden_size=fpn, memory_encoder_output_channels=8,
        mask_downsampler_embed_dim=fpn, memory_fuser_embed_dim=fpn, memory_fuser_intermediate_dim=2 * fpn,
        memory_fuser_num_layers=1, num_maskmem=2, mask_downsampler_total_stride=4,
    )
    config = Sam3VideoConfig(detector_config=detector, tracker_config=tracker)
    config.image_size = c["image_size"]
    # The image_size setter recomputes the tracker's feature sizes from the
    # patch size; keep the tracker scale factors we chose.
    config.tracker_config.vision_config.scale_factors = c["tracker_scale_factors"]
    return config


@torch.no_grad()
def randomize(model: torch.nn.Module, seed: int) -> None:
    """Every parameter and persistent buffer gets seeded random values with a
    scale that keeps activations O(1) through the tiny network (transformers'
    own init zeroes biases and the no-memory embedding, which would hide
    mistakes in how those are used)."""
    gen = torch.Generator().manual_seed(seed)
    for name, tensor in sorted(list(model.named_parameters()) + list(model.named_buffers())):
        if not tensor.is_floating_point() or name.endswith("position_ids") or "inv_freq" in name:
            continue  # derived from the config, not stored
        shape = tensor.shape
        owner = type_of(model, name)
        if "Norm" in owner:
            values = (1.0 + 0.2 * torch.randn(shape, generator=gen)) if name.endswith("weight") \
                else 0.1 * torch.randn(shape, generator=gen)
        elif name.endswith("bias"):
            values = 0.1 * torch.randn(shape, generator=gen)
        elif name.endswith("positional_embedding"):
            values = torch.randn(shape, generator=gen)  # random Fourier features, the config's scale 1
        elif owner == "Embedding" or name.endswith(("position_embeddings", "_embedding", "_encoding")):
            values = 0.5 * torch.randn(shape, generator=gen)  # tokens and embeddings are O(1)
        elif tensor.dim() >= 2:
            if "ConvTranspose" in owner:  # [in, out, k, k]: each output sums in * k*k / stride^2 inputs
                fan_in = shape[0] * math.prod(shape[2:]) // 4
            else:
                fan_in = math.prod(shape[1:])
            values = torch.randn(shape, generator=gen) / math.sqrt(max(fan_in, 1))
        else:
            values = 0.5 * torch.randn(shape, generator=gen)
        tensor.copy_(values.to(tensor.dtype))


def type_of(model: torch.nn.Module, tensor_name: str) -> str:
    module_name = tensor_name.rsplit(".", 1)[0]
    try:
        return type(model.get_submodule(module_name)).__name__
    except AttributeError:
        return ""


def pattern(name: str) -> str:
    return re.sub(r"\.\d+\.", ".N.", re.sub(r"\.\d+\.", ".N.", name))


def check_hub_layout(folder: Path, c: dict) -> None:
    """Every tensor name must follow the hub table up to layer indices, and
    every hub name pattern must be present, except the ones the config changes
    on purpose (decoder MLP depth follows the decoder depth; a 2-deep IoU head
    has no hidden layer)."""
    from safetensors import safe_open

    hub = [line.split("\t")[0] for line in HUB_TABLE.read_text().splitlines()[1:]]
    hub_patterns = {pattern(n) for n in hub}
    with safe_open(folder / "model.safetensors", "pt") as f:
        ours = set(f.keys())
    our_patterns = {pattern(n) for n in ours}
    allowed_extra = {p for p in our_patterns if c["dec_layers"] > 2 and ".transformer.layers.N.mlp.layers.N." in p}
    allowed_missing = {p for p in hub_patterns if c["iou_depth"] < 3 and "iou_prediction_head.layers.N." in p}
    missing = sorted(hub_patterns - our_patterns - allowed_missing)
    extra = sorted(our_patterns - hub_patterns - allowed_extra)
    if missing or extra:
        raise SystemExit(f"{folder}: tensor names differ from the hub layout\n  missing: {missing[:20]}\n  extra: {extra[:20]}")


def check_reference_uses_checkpoint(model: torch.nn.Module, state: dict) -> None:
    """The reference must run on exactly the tensors we saved (hub name ->
    Sam3TrackerModel name via transformers' own renaming)."""
    renames = [("detector_model.vision_encoder.backbone.", "vision_encoder.backbone."),
               ("tracker_neck.", "vision_encoder.neck."), ("tracker_model.", "")]
    theirs = dict(model.state_dict())
    checked = 0
    for key, value in state.items():
        for src, dst in renames:
            if key.startswith(src):
                target = dst + key[len(src):]
                if target in theirs:
                    if not torch.equal(theirs[target], value):
                        raise SystemExit(f"reference tensor {target} differs from checkpoint {key}")
                    checked += 1
                break
    if checked < 50:
        raise SystemExit(f"only {checked} reference tensors matched the checkpoint")


def synthetic_image(width: int, height: int, seed: int) -> Image.Image:
    """Smooth shapes on a gradient with a little noise: structure the model can
    respond to, and PNGs that stay small."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    img = np.zeros((height, width, 3), np.float32)
    img += (xx / width)[..., None] * rng.uniform(40, 120, 3) + (yy / height)[..., None] * rng.uniform(40, 120, 3)
    for _ in range(5):
        cx, cy = rng.uniform(0.15, 0.85) * width, rng.uniform(0.15, 0.85) * height
        rx, ry = rng.uniform(0.08, 0.25) * width, rng.uniform(0.08, 0.25) * height
        inside = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 < 1.0
        img[inside] = rng.uniform(0, 255, 3)
    img += rng.normal(0, 4, img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


def prompt_sets(width: int, height: int) -> list[dict]:
    """The prompt sets run on every image; coordinates in original pixels."""
    w, h = width, height
    p = lambda fx, fy: [round(fx * w, 2), round(fy * h, 2)]
    return [
        dict(name="one_positive", points=[p(0.41, 0.37)], labels=[1], multimask=True),
        dict(name="one_positive_single", points=[p(0.41, 0.37)], labels=[1], multimask=False),
        dict(name="positive_negative", points=[p(0.30, 0.62), p(0.71, 0.28)], labels=[1, 0], multimask=True),
        dict(name="positive_negative_single", points=[p(0.30, 0.62), p(0.71, 0.28)], labels=[1, 0],
             multimask=False),
        dict(name="box", box=[round(0.12 * w, 1), round(0.18 * h, 1), round(0.66 * w, 1), round(0.81 * h, 1)],
             multimask=True),
        dict(name="box_points", box=[round(0.20 * w, 1), round(0.10 * h, 1), round(0.90 * w, 1), round(0.70 * h, 1)],
             points=[p(0.55, 0.40), p(0.25, 0.65)], labels=[1, 0], multimask=True),
        # Refinement: the best candidate of "positive_negative" fed back as the
        # mask prompt together with one more click.
        dict(name="refine", points=[p(0.30, 0.62), p(0.71, 0.28), p(0.50, 0.50)], labels=[1, 0, 1],
             multimask=False, previous="positive_negative"),
    ]


def record_stability(model) -> list:
    """Wraps the decoder's single-mask selection so the fixtures record which
    branch (stable token 0, or best multimask fallback) the reference took."""
    decoder = model.mask_decoder
    log: list = []
    original = decoder._dynamic_multimask_via_stability

    def wrapped(all_mask_logits, all_iou_scores):
        stability = decoder._get_stability_scores(all_mask_logits[:, :, 0:1])
        log.append(float(stability.flatten()[0]))
        return original(all_mask_logits, all_iou_scores)

    decoder._dynamic_multimask_via_stability = wrapped
    return log


def processor_prompt_kwargs(ps: dict) -> dict:
    """A prompt set (as in prompts.json) as Sam3TrackerProcessor's input_* arguments."""
    kwargs = {}
    if "points" in ps:
        kwargs["input_points"] = [[ps["points"]]]
        kwargs["input_labels"] = [[ps["labels"]]]
    if "box" in ps:
        kwargs["input_boxes"] = [[ps["box"]]]
    return kwargs


@torch.no_grad()
def run_reference(model, processor, image: Image.Image, ps: dict, previous_logits):
    inputs = processor(images=image, return_tensors="pt", **processor_prompt_kwargs(ps))
    model_kwargs = {k: v for k, v in inputs.items() if k != "original_sizes"}
    if previous_logits is not None:
        model_kwargs["input_masks"] = previous_logits[None, None]
    out = model(**model_kwargs, multimask_output=ps["multimask"])
    masks = processor.post_process_masks(out.pred_masks, inputs["original_sizes"])[0]  # [P, N, H, W] bool
    return out, masks, inputs


def png_mask(mask: torch.Tensor, path: Path) -> None:
    Image.fromarray(mask.numpy().astype(np.uint8) * 255, "L").save(path, optimize=True)


def make_config_fixtures(name: str, c: dict, out_root: Path) -> dict:
    out = out_root / name
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    config = tiny_video_config(c)
    torch.manual_seed(c["seed"])
    video = Sam3VideoModel(config).eval()
    randomize(video, c["seed"])
    # transformers 5.23's save_pretrained writes the tracker as
    # `tracker_model.tracker_model.*` (its sam3_tracker key renaming applied in
    # reverse on top of the module path), which is not the hub layout and which
    # from_pretrained then cannot read back. The hub file is the plain state
    # dict: write exactly that, with the metadata save_pretrained uses.
    config.save_pretrained(out)
    state = {k: v.detach().contiguous() for k, v in video.state_dict().items()}
    save_file(state, out / "model.safetensors", metadata={"format": "pt"})
    check_hub_layout(out, c)

    image_processor = Sam3ImageProcessor(size={"height": c["image_size"], "width": c["image_size"]},
                                         mask_size={"height": 4 * c["image_size"] // c["patch_size"]} | {
                                             "width": 4 * c["image_size"] // c["patch_size"]})
    Sam3TrackerProcessor(image_processor=image_processor).save_pretrained(out)

    # The reference, loaded exactly as a user loads facebook/sam3 for clicks.
    model, info = Sam3TrackerModel.from_pretrained(out, attn_implementation="eager", output_loading_info=True)
    model.eval()
    if info["missing_keys"] or info.get("mismatched_keys"):
        raise SystemExit(f"{out}: the reference did not load every tensor: {info}")
    check_reference_uses_checkpoint(model, state)
    processor = Sam3TrackerProcessor.from_pretrained(out)
    stability_log = record_stability(model)

    summary = {"images": []}
    tensors: dict[str, torch.Tensor] = {}
    for image_name, width, height, seed in c["images"]:
        image = synthetic_image(width, height, seed)
        image.save(out / f"{image_name}.png", optimize=True)
        # Resized uint8 image exactly as the processor sees it before
        # normalisation, so the resize can be checked on its own.
        resized = processor.image_processor(image, do_rescale=False, do_normalize=False, return_tensors="pt")
        resized_u8 = resized["pixel_values"][0].round().clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()
        Image.fromarray(resized_u8, "RGB").save(out / f"{image_name}.resized.png", optimize=True)

        results = {}
        image_entry = {"file": f"{image_name}.png", "resized_file": f"{image_name}.resized.png",
                       "width": width, "height": height, "prompts": []}
        for ps in prompt_sets(width, height):
            previous = None
            if "previous" in ps:
                prev_out = results[ps["previous"]]
                best = int(prev_out.iou_scores[0, 0].argmax())
                previous = prev_out.pred_masks[0, 0, best]
                ps = dict(ps, previous_candidate=best)  # the test feeds that candidate's stored logits back
            stability_log.clear()
            out_ref, masks, _ = run_reference(model, processor, image, ps, previous)
            if stability_log:
                ps = dict(ps, single_mask_stability=stability_log[0],
                          single_mask_is_stable=stability_log[0] >= model.config.mask_decoder_config.dynamic_multimask_stability_thresh)
            results[ps["name"]] = out_ref
            key = f"{image_name}/{ps['name']}"
            tensors[f"{key}/low_res_logits"] = out_ref.pred_masks[0, 0].clone()  # [N, h, w]
            tensors[f"{key}/iou_scores"] = out_ref.iou_scores[0, 0].clone()  # [N]
            tensors[f"{key}/object_score_logits"] = out_ref.object_score_logits[0, 0].clone()  # [1]
            mask_files = []
            fractions = []
            for i in range(masks.shape[1]):
                file = f"{image_name}.{ps['name']}.mask{i}.png"
                png_mask(masks[0, i], out / file)
                mask_files.append(file)
                fractions.append(float(masks[0, i].float().mean()))
            entry = {k: v for k, v in ps.items()}
            entry["mask_files"] = mask_files
            entry["mask_foreground_fractions"] = fractions
            image_entry["prompts"].append(entry)
        summary["images"].append(image_entry)
    save_file(tensors, out / "reference_outputs.safetensors")
    summary["transformers_version"] = transformers.__version__
    summary["torch_version"] = torch.__version__
    summary["seed"] = c["seed"]
    summary["low_res_size"] = 4 * c["image_size"] // c["patch_size"]
    (out / "prompts.json").write_text(json.dumps(summary, indent=1) + "\n")
    # Tokenizer files are not part of this path; keep the fixture small.
    for extra in out.glob("*"):
        if extra.name.startswith(("tokenizer", "special_tokens", "vocab", "merges")):
            extra.unlink()
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "tests" / "data" / "sam3")
    args = parser.parse_args()
    if transformers.__version__ != EXPECTED_TRANSFORMERS:
        print(f"warning: transformers {transformers.__version__}, fixtures were pinned to {EXPECTED_TRANSFORMERS}",
              file=sys.stderr)
    torch.set_num_threads(1)  # bit-stable reference numbers
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "hub_config.json").write_text(Sam3VideoConfig().to_json_string())
    ok = True
    for name, c in CONFIGS.items():
        summary = make_config_fixtures(name, c, args.out)
        for image in summary["images"]:
            for ps in image["prompts"]:
                fr = ps["mask_foreground_fractions"]
                degenerate = [f for f in fr if f <= 0.002 or f >= 0.998]
                print(f"{name} {image['file']} {ps['name']}: foreground {['%.3f' % f for f in fr]}"
                      + ("  DEGENERATE" if degenerate else ""))
                ok &= not degenerate
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"fixture dir {args.out}: {size / 1e6:.2f} MB")
    if not ok:
        print("some reference masks are empty or full: change the seeds", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
