#!/usr/bin/env python3
"""Generate the SAM3 concept-detection parity fixtures (tests/data/sam3_detect/).

For each small configuration below this script
  1. builds a random-weight `Sam3VideoModel` (the full `facebook/sam3` hub layout:
     `detector_model.*`, `tracker_neck.*`, `tracker_model.*`) from a fixed seed and
     writes it as the hub does (config.json + model.safetensors), plus a processor
     folder (processor_config.json and a CLIP-format tokenizer: a small byte-level
     BPE vocabulary learned here, real CLIP structure, tiny size);
  2. checks that the default initialisation keeps no detection at the 0.3 threshold
     (which is why the weights are re-drawn), and that the re-drawn weights keep at
     least one query and reject at least one in every case, with no score within
     1e-3 of the threshold (so the kept set is not decided by rounding);
  3. loads the reference exactly as a user loads facebook/sam3 for detection,
     `Sam3Model.from_pretrained(dir)` + `Sam3Processor.from_pretrained(dir)`, and runs
     the cases: text only; text + positive box; text + positive and negative boxes;
     boxes only (the processor's "visual" text); several prompts on one encoded image
     (vision features computed once); a batch of two images with different box counts
     (padded boxes);
  4. writes inputs (PNG images, cases.json) and outputs: raw logits, normalised boxes
     and presence logits of every query and the mask logits of the kept queries (fp32)
     as safetensors; the post-processed
     (`post_process_instance_segmentation`) scores, pixel boxes and kept query indices
     in cases.json and the binary masks at the original size as PNG; and, as the
     yardstick for reduced precision, how far transformers' OWN model in bf16 lands
     from its fp32 outputs on the same cases.

Deterministic: fixed seeds, pinned versions (tools/requirements.txt), one thread.
Usage:  python tools/make_sam3_detector_fixtures.py [--out tests/data/sam3_detect]
"""
from __future__ import annotations

import argparse
import collections
import json
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file

import transformers
from transformers import CLIPTokenizer, Sam3ImageProcessor, Sam3Model, Sam3Processor, Sam3VideoConfig, Sam3VideoModel

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_sam3_fixtures import check_hub_layout, randomize, synthetic_image  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
EXPECTED_TRANSFORMERS = "5.23.0"
THRESHOLD = 0.3
MASK_THRESHOLD = 0.5

# Two configurations that differ in everything the detection path reads from
# config.json: image size (grid 16 / 20), trunk depth and width, FPN width (= the
# detector's width), attention heads (head dim 16 / 12), text encoder depth, width
# and heads, geometry encoder depth and ROI size, DETR encoder and decoder depth,
# number of queries, MLP widths, layer-norm eps of the CLIP text model.
CONFIGS = {
    "det224": dict(
        seed=11,
        image_size=224, patch_size=14, pretrain_image_size=112,
        vit_hidden=32, vit_heads=2, vit_layers=2, vit_mlp=64, window_size=8, global_attn=[1],
        fpn=32, heads=2,
        text_hidden=32, text_layers=2, text_heads=2, text_mlp=64, text_eps=1e-5,
        geo_layers=1, roi_size=7, geo_mlp=64,
        enc_layers=2, enc_mlp=64, dec_layers=2, dec_mlp=48, queries=12,
        tokenizer_layout="tokenizer.json",
        images=[("blobs_200x150", 200, 150, 7), ("stripes_173x260", 173, 260, 8)],
    ),
    "det280": dict(
        seed=12,
        image_size=280, patch_size=14, pretrain_image_size=140,
        vit_hidden=48, vit_heads=4, vit_layers=3, vit_mlp=80, window_size=7, global_attn=[2],
        fpn=48, heads=4,
        text_hidden=48, text_layers=3, text_heads=4, text_mlp=96, text_eps=1e-5,
        geo_layers=2, roi_size=5, geo_mlp=40,
        enc_layers=3, enc_mlp=72, dec_layers=3, dec_mlp=56, queries=20,
        tokenizer_layout="vocab+merges",
        images=[("blobs_310x190", 310, 190, 9), ("rings_240x240", 240, 240, 10)],
    ),
}

# The words the fixture prompts use; the tiny BPE vocabulary is learned from them.
PROMPT_WORDS = ["red car", "car", "yellow blob", "blob", "striped thing", "a photo of a cat", "visual",
                "round shape", "dark stripe", "green ring", "the big one"]


# --- a tiny CLIP-format BPE vocabulary --------------------------------------------

def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map (CLIP uses the same)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def learn_tiny_bpe(words: list[str], merges_wanted: int) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """CLIP's vocabulary structure (256 byte symbols, the same with `</w>`, one
    token per merge, then <|startoftext|> and <|endoftext|>), with merges learned
    greedily from `words` so the fixture prompts become a few multi-byte tokens."""
    byte_map = bytes_to_unicode()
    corpus = collections.Counter()
    for phrase in words:
        for word in phrase.split():
            symbols = [byte_map[b] for b in word.encode("utf-8")]
            symbols[-1] += "</w>"
            corpus[tuple(symbols)] += 1
    merges: list[tuple[str, str]] = []
    for _ in range(merges_wanted):
        pairs = collections.Counter()
        for word, count in corpus.items():
            for pair in zip(word, word[1:]):
                pairs[pair] += count
        if not pairs:
            break
        best = max(sorted(pairs), key=lambda p: pairs[p])  # ties broken by sorted order: deterministic
        merges.append(best)
        merged = collections.Counter()
        for word, count in corpus.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += count
        corpus = merged
    vocab_list = list(byte_map.values())
    vocab_list += [v + "</w>" for v in vocab_list]
    vocab_list += ["".join(m) for m in merges]
    vocab_list += ["<|startoftext|>", "<|endoftext|>"]
    return {token: i for i, token in enumerate(vocab_list)}, merges


def write_tokenizer(out: Path, layout: str) -> CLIPTokenizer:
    vocab, merges = learn_tiny_bpe(PROMPT_WORDS, 40)
    scratch = out / "_tokenizer_src"
    scratch.mkdir()
    (scratch / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    (scratch / "merges.txt").write_text("#version: 0.2\n" + "\n".join(" ".join(m) for m in merges) + "\n")
    tokenizer = CLIPTokenizer(vocab=str(scratch / "vocab.json"), merges=str(scratch / "merges.txt"))
    if layout == "vocab+merges":
        shutil.copy(scratch / "vocab.json", out / "vocab.json")
        shutil.copy(scratch / "merges.txt", out / "merges.txt")
    shutil.rmtree(scratch)
    return tokenizer


# --- model --------------------------------------------------------------------------

def tiny_video_config(c: dict, vocab_size: int) -> Sam3VideoConfig:
    fpn, heads = c["fpn"], c["heads"]
    backbone = dict(
        model_type="sam3_vit_model",
        hidden_size=c["vit_hidden"], intermediate_size=c["vit_mlp"], num_hidden_layers=c["vit_layers"],
        num_attention_heads=c["vit_heads"], image_size=c["image_size"], patch_size=c["patch_size"],
        pretrain_image_size=c["pretrain_image_size"], window_size=c["window_size"],
        global_attn_indexes=c["global_attn"], layer_norm_eps=1e-6,
        rope_parameters={"rope_type": "axial", "rope_theta": 10000.0},
    )
    g = c["image_size"] // c["patch_size"]
    feature_sizes = [[4 * g, 4 * g], [2 * g, 2 * g], [g, g]]
    vision = dict(backbone_config=backbone, fpn_hidden_size=fpn, scale_factors=[4.0, 2.0, 1.0, 0.5],
                  backbone_feature_sizes=feature_sizes)
    detector = dict(
        vision_config=vision,
        # hidden_act and max_position_embeddings given explicitly: the CLIP defaults
        # (quick_gelu, 77) would silently differ from SAM3's text encoder.
        text_config=dict(vocab_size=vocab_size, hidden_size=c["text_hidden"], intermediate_size=c["text_mlp"],
                         projection_dim=16, num_hidden_layers=c["text_layers"],
                         num_attention_heads=c["text_heads"], max_position_embeddings=32, hidden_act="gelu",
                         layer_norm_eps=c["text_eps"], bos_token_id=vocab_size - 2, eos_token_id=vocab_size - 1,
                         pad_token_id=vocab_size - 1),
        geometry_encoder_config=dict(hidden_size=fpn, num_layers=c["geo_layers"], num_attention_heads=heads,
                                     intermediate_size=c["geo_mlp"], roi_size=c["roi_size"]),
        detr_encoder_config=dict(hidden_size=fpn, num_layers=c["enc_layers"], num_attention_heads=heads,
                                 intermediate_size=c["enc_mlp"]),
        detr_decoder_config=dict(hidden_size=fpn, num_layers=c["dec_layers"], num_attention_heads=heads,
                                 intermediate_size=c["dec_mlp"], num_queries=c["queries"]),
        mask_decoder_config=dict(hidden_size=fpn, num_attention_heads=heads),
    )
    small = dict(hidden_size=fpn)
    tracker = dict(
        vision_config=dict(vision, backbone_config=dict(backbone)),
        prompt_encoder_config=dict(hidden_size=fpn, image_size=c["image_size"], patch_size=c["patch_size"]),
        mask_decoder_config=dict(small, mlp_dim=2 * fpn, num_attention_heads=heads, iou_head_hidden_dim=fpn),
        image_size=c["image_size"],
        memory_attention_hidden_size=fpn, memory_attention_num_layers=1,
        memory_attention_feed_forward_hidden_size=2 * fpn,
        memory_encoder_hidden_size=fpn, memory_encoder_output_channels=8,
        mask_downsampler_embed_dim=fpn, memory_fuser_embed_dim=fpn, memory_fuser_intermediate_dim=2 * fpn,
        memory_fuser_num_layers=1, num_maskmem=2, mask_downsampler_total_stride=4,
    )
    config = Sam3VideoConfig(detector_config=detector, tracker_config=tracker)
    config.image_size = c["image_size"]
    return config


@torch.no_grad()
def make_detections_possible(model: torch.nn.Module) -> None:
    """With unit-scale random weights the decoder's queries come out nearly alike
    (their attention and MLP updates, common to all queries, swamp the query
    embeddings), so a prompt scores every query about the same: all kept or none.
    Make the queries distinct (larger query embeddings, smaller decoder updates),
    spread the dot-product logits over a few units (no common bias) and raise the
    presence logit a little, so every case keeps some queries and rejects others."""
    det = model.detector_model
    det.detr_decoder.query_embed.weight.mul_(4.0)
    for layer in det.detr_decoder.layers:
        for attention in (layer.self_attn, layer.text_cross_attn, layer.vision_cross_attn):
            attention.o_proj.weight.mul_(0.1)
        layer.mlp.fc2.weight.mul_(0.1)
    det.dot_product_scoring.query_proj.weight.mul_(6.0)
    det.dot_product_scoring.query_proj.bias.zero_()
    det.detr_decoder.presence_head.layer3.bias.add_(1.0)


def processor_inputs(processor, images, case: dict) -> dict:
    kwargs = {}
    if case.get("text") is not None:
        kwargs["text"] = case["text"]
    if case.get("boxes") is not None:
        kwargs["input_boxes"] = case["boxes"]
        kwargs["input_boxes_labels"] = case["box_labels"]
    return processor(images=images, return_tensors="pt", **kwargs)


def cases_for(images: list[tuple[str, int, int]]) -> list[dict]:
    """Prompts in original pixels (xyxy boxes, labels 1 positive / 0 negative)."""
    (a, aw, ah), (b, bw, bh) = images[0], images[1]
    box = lambda w, h, x0, y0, x1, y1: [round(x0 * w, 1), round(y0 * h, 1), round(x1 * w, 1), round(y1 * h, 1)]
    return [
        dict(name="text", images=[a], text="red car"),
        dict(name="text_box", images=[a], text="yellow blob", boxes=[[box(aw, ah, 0.15, 0.2, 0.55, 0.7)]],
             box_labels=[[1]]),
        dict(name="text_pos_neg_boxes", images=[b], text="striped thing",
             boxes=[[box(bw, bh, 0.1, 0.1, 0.5, 0.45), box(bw, bh, 0.55, 0.5, 0.95, 0.9)]], box_labels=[[1, 0]]),
        dict(name="boxes_only", images=[a],
             boxes=[[box(aw, ah, 0.3, 0.35, 0.8, 0.9), box(aw, ah, 0.05, 0.05, 0.3, 0.3)]], box_labels=[[1, 1]]),
        # Several prompts on one encoded image: the reference computes the vision
        # features once and reuses them (vision_embeds).
        dict(name="multi_prompt", images=[b], texts=["car", "a photo of a cat", "dark stripe"]),
        # A batch of two images of different sizes, one box on the first and two on
        # the second: the first image's second box slot is padding (label -10).
        dict(name="batch", images=[a, b], text=["round shape", "green ring"],
             boxes=[[box(aw, ah, 0.2, 0.2, 0.6, 0.6)], [box(bw, bh, 0.1, 0.5, 0.4, 0.9), box(bw, bh, 0.6, 0.1, 0.9, 0.4)]],
             box_labels=[[1], [1, 0]]),
    ]


@torch.no_grad()
def run_case(model, processor, pil: dict, case: dict, dtype=torch.float32) -> list[dict]:
    """Runs one case; returns one entry per (image, prompt) with raw and post-processed outputs."""
    images = [pil[n] for n in case["images"]]
    runs = []
    if "texts" in case:  # several prompts, vision features computed once
        inputs = processor(images=images, return_tensors="pt")
        vision = model.get_vision_features(pixel_values=inputs["pixel_values"].to(dtype))
        for text in case["texts"]:
            t = processor(text=text, return_tensors="pt")
            out = model(vision_embeds=vision, input_ids=t["input_ids"], attention_mask=t["attention_mask"])
            runs.append((out, inputs["original_sizes"], t["input_ids"], t["attention_mask"], [text]))
    else:
        inputs = processor_inputs(processor, images, case)
        kwargs = {k: v for k, v in inputs.items() if k != "original_sizes"}
        kwargs["pixel_values"] = kwargs["pixel_values"].to(dtype)
        if "input_boxes" in kwargs:
            kwargs["input_boxes"] = kwargs["input_boxes"].to(dtype)
        out = model(**kwargs)
        texts = case["text"] if isinstance(case.get("text"), list) else [case.get("text") or "visual"] * len(images)
        runs.append((out, inputs["original_sizes"], inputs["input_ids"], inputs["attention_mask"], texts))
    results = []
    for out, sizes, ids, mask, texts in runs:
        post = processor.post_process_instance_segmentation(
            _float(out), threshold=THRESHOLD, mask_threshold=MASK_THRESHOLD, target_sizes=sizes.tolist())
        scores_all = (out.pred_logits.float().sigmoid() * out.presence_logits.float().sigmoid())
        for i in range(len(post)):
            keep = (scores_all[i] > THRESHOLD).nonzero().flatten().tolist()
            results.append(dict(
                logits=out.pred_logits[i].float(), boxes=out.pred_boxes[i].float(),
                presence=out.presence_logits[i].float(), masks=out.pred_masks[i].float(),
                scores_all=scores_all[i], kept=keep, post=post[i], input_ids=ids[min(i, len(ids) - 1)],
                attention_mask=mask[min(i, len(mask) - 1)], text=texts[i] if i < len(texts) else texts[0]))
    return results


def _float(out):
    """post_process_instance_segmentation on fp32 copies (a bf16 run's outputs)."""
    class O:
        pass
    o = O()
    o.pred_logits, o.pred_boxes = out.pred_logits.float(), out.pred_boxes.float()
    o.pred_masks, o.presence_logits = out.pred_masks.float(), out.presence_logits.float()
    return o


def mask_iou(a: torch.Tensor, b: torch.Tensor) -> float:
    union = (a.bool() | b.bool()).sum().item()
    return 1.0 if union == 0 else (a.bool() & b.bool()).sum().item() / union


def png_mask(mask: torch.Tensor, path: Path) -> None:
    Image.fromarray(mask.numpy().astype(np.uint8) * 255, "L").save(path, optimize=True)


def rings_image(width: int, height: int, seed: int) -> Image.Image:
    """Concentric rings and a few discs: a second, differently structured image."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    r = np.hypot(xx - width * 0.45, yy - height * 0.55)
    img = np.stack([127 + 100 * np.sin(r / 9.0), 127 + 90 * np.cos(r / 13.0), 80 + 60 * np.sin(xx / 17.0)], -1)
    for _ in range(4):
        cx, cy, rad = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height, rng.uniform(0.06, 0.15) * width
        img[np.hypot(xx - cx, yy - cy) < rad] = rng.uniform(0, 255, 3)
    img += rng.normal(0, 4, img.shape)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), "RGB")


def make_config_fixtures(name: str, c: dict, out_root: Path) -> dict:
    out = out_root / name
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    tokenizer = write_tokenizer(out, c["tokenizer_layout"])
    config = tiny_video_config(c, vocab_size=len(tokenizer))

    torch.manual_seed(c["seed"])
    video = Sam3VideoModel(config).eval()
    default_init_state = {k: v.clone() for k, v in video.state_dict().items()}
    randomize(video, c["seed"])
    make_detections_possible(video)
    config.save_pretrained(out)
    state = {k: v.detach().contiguous() for k, v in video.state_dict().items()}
    save_file(state, out / "model.safetensors", metadata={"format": "pt"})
    check_hub_layout(out, dict(dec_layers=2, iou_depth=3))

    image_processor = Sam3ImageProcessor(size={"height": c["image_size"], "width": c["image_size"]})
    processor = Sam3Processor(image_processor=image_processor, tokenizer=tokenizer)
    processor.save_pretrained(out)
    if c["tokenizer_layout"] == "vocab+merges":  # the hub also ships these; this fixture keeps only them
        for f in ("tokenizer.json", "tokenizer_config.json"):
            (out / f).unlink(missing_ok=True)
    tokenizer_files = sorted(p.name for p in out.iterdir() if p.name.startswith(("tokenizer", "vocab", "merges")))

    model, info = Sam3Model.from_pretrained(out, attn_implementation="eager", output_loading_info=True)
    model.eval()
    if info["missing_keys"] or info.get("mismatched_keys"):
        raise SystemExit(f"{out}: the reference did not load every tensor: {info}")
    processor = Sam3Processor.from_pretrained(out)

    pil = {}
    entries = []
    for image_name, width, height, seed in c["images"]:
        image = (rings_image if image_name.startswith("rings") else synthetic_image)(width, height, seed)
        image.save(out / f"{image_name}.png", optimize=True)
        pil[image_name] = Image.open(out / f"{image_name}.png").convert("RGB")
        entries.append((image_name, width, height))

    # The default initialisation (std 0.02, zero biases) keeps nothing: the reason for re-drawing.
    default_model = Sam3Model(Sam3Model.config_class(**config.detector_config.to_dict())).eval()
    default_model.load_state_dict({k[len("detector_model."):]: v for k, v in default_init_state.items()
                                   if k.startswith("detector_model.")}, strict=False)
    kept_by_default = sum(len(r["kept"]) for case in cases_for(entries)
                          for r in run_case(default_model, processor, pil, case))
    if kept_by_default:
        print(f"note: {name}: the default initialisation kept {kept_by_default} queries", file=sys.stderr)

    # Transformers as users run it in bf16 (its default attention, SDPA).
    bf16 = Sam3Model.from_pretrained(out, dtype=torch.bfloat16).eval()
    tensors: dict[str, torch.Tensor] = {}
    summary = {"config": name, "threshold": THRESHOLD, "mask_threshold": MASK_THRESHOLD,
               "kept_by_default_init": kept_by_default, "tokenizer_files": tokenizer_files,
               "images": [dict(file=f"{n}.png", width=w, height=h) for n, w, h in entries], "cases": []}
    problems = []
    for case in cases_for(entries):
        fp32 = run_case(model, processor, pil, case)
        low = run_case(bf16, processor, pil, case, dtype=torch.bfloat16)
        runs = []
        for k, (r, q) in enumerate(zip(fp32, low)):
            key = f"{case['name']}/{k}"
            image_name = case["images"][k] if len(case["images"]) > 1 else case["images"][0]
            width, height = pil[image_name].size
            tensors[f"{key}/logits"] = r["logits"].contiguous()
            tensors[f"{key}/boxes"] = r["boxes"].contiguous()
            tensors[f"{key}/presence"] = r["presence"].reshape(1).contiguous()
            # Mask logits of the kept queries only (the ones the app turns into masks),
            # in the order of `kept`: all of them would double the fixture's size.
            tensors[f"{key}/kept_mask_logits"] = r["masks"][r["kept"]].contiguous()
            scores = r["scores_all"]
            near = ((scores - THRESHOLD).abs() < 1e-3).nonzero().flatten().tolist()
            if not r["kept"] or len(r["kept"]) == scores.numel() or near:
                problems.append(f"{name} {key}: kept {len(r['kept'])}/{scores.numel()}, near threshold {near}; "
                                f"presence {float(r['presence']):.2f}, logits {[round(float(v), 2) for v in r['logits']]}")
            mask_files = []
            for j, qi in enumerate(r["kept"]):
                file = f"{case['name']}.{k}.query{qi}.png"
                png_mask(r["post"]["masks"][j], out / file)
                mask_files.append(file)
            # The bf16 yardstick: transformers' own bf16 model against its fp32 outputs.
            both = sorted(set(r["kept"]) & set(q["kept"]))
            ious = [mask_iou(r["post"]["masks"][r["kept"].index(i)], q["post"]["masks"][q["kept"].index(i)]) for i in both]
            scale = lambda t: max(float(t.abs().max()), 1e-12)
            runs.append(dict(
                image=image_name, width=width, height=height, text=r["text"],
                input_ids=r["input_ids"].tolist(), attention_mask=r["attention_mask"].tolist(),
                kept=r["kept"], scores=[float(s) for s in r["post"]["scores"]],
                boxes_px=[[float(v) for v in b] for b in r["post"]["boxes"]], mask_files=mask_files,
                mask_foreground=[float(m.float().mean()) for m in r["post"]["masks"]],
                min_margin_to_threshold=float((scores - THRESHOLD).abs().min()),
                reference_bf16=dict(
                    kept=q["kept"],
                    logits_max_error_rel=float((q["logits"] - r["logits"]).abs().max()) / scale(r["logits"]),
                    boxes_max_error=float((q["boxes"] - r["boxes"]).abs().max()),
                    presence_error=float((q["presence"] - r["presence"]).abs().max()),
                    scores_max_error=float((q["scores_all"] - r["scores_all"]).abs().max()),
                    mask_logits_max_error_rel=float((q["masks"] - r["masks"]).abs().max()) / scale(r["masks"]),
                    min_mask_iou=min(ious) if ious else 1.0,
                    kept_symmetric_difference=len(set(r["kept"]) ^ set(q["kept"]))),
            ))
        entry = {k: v for k, v in case.items()}
        entry["runs"] = runs
        summary["cases"].append(entry)
    if problems:
        raise SystemExit("the weights do not give a clear kept/rejected split:\n  " + "\n  ".join(problems))
    save_file(tensors, out / "reference_outputs.safetensors")
    summary["transformers_version"] = transformers.__version__
    summary["torch_version"] = torch.__version__
    summary["seed"] = c["seed"]
    (out / "cases.json").write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n")
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "tests" / "data" / "sam3_detect")
    parser.add_argument("--only", choices=sorted(CONFIGS), help="regenerate one configuration")
    args = parser.parse_args()
    if transformers.__version__ != EXPECTED_TRANSFORMERS:
        print(f"warning: transformers {transformers.__version__}, fixtures were pinned to {EXPECTED_TRANSFORMERS}",
              file=sys.stderr)
    torch.set_num_threads(1)  # bit-stable reference numbers
    args.out.mkdir(parents=True, exist_ok=True)
    for name, c in CONFIGS.items():
        if args.only and name != args.only:
            continue
        summary = make_config_fixtures(name, c, args.out)
        for case in summary["cases"]:
            for k, run in enumerate(case["runs"]):
                y = run["reference_bf16"]
                print(f"{name} {case['name']}/{k} '{run['text']}': kept {run['kept']} of "
                      f"{len(run['input_ids']) and 'Q'} (margin {run['min_margin_to_threshold']:.4f}); "
                      f"fg {['%.2f' % f for f in run['mask_foreground']]}; transformers bf16: kept {y['kept']}, "
                      f"min IoU {y['min_mask_iou']:.3f}, score err {y['scores_max_error']:.4f}")
        print(f"{name}: default init kept {summary['kept_by_default_init']} queries over all cases")
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"fixture dir {args.out}: {size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
