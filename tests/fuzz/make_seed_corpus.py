#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (tests/fuzz/corpus/<target>/seed-*).

Deterministic; small files only. Seeds come from the test fixtures (configs,
tokenizer files) and from hand-made minimal valid inputs for the other
parsers. Regression inputs (crash-*, found by fuzzing) are committed beside the
seeds by hand and never rewritten here. Images need Pillow (the project venv):

    V=$HOME/.cache/samlabel/venv-$(sha256sum tools/requirements.txt | cut -c1-12)
    $V/bin/python tests/fuzz/make_seed_corpus.py
"""
import io
import json
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "fuzz" / "corpus"
DATA = ROOT / "tests" / "data"
SEP = b"\n=====FILE=====\n"


def put(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ("seed-" + name)).write_bytes(data if isinstance(data, bytes) else data.encode())


def files(*parts):
    return SEP.join(p if isinstance(p, bytes) else p.encode() for p in parts)


def safetensors(tensors, metadata=None):
    """tensors: name -> (dtype, shape, bytes)."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def main():
    # safetensors: dtypes, metadata, an empty tensor, a scalar.
    put("fuzz_safetensors", "f32", safetensors({"a.weight": ("F32", [2, 2], bytes(range(16))),
                                                "a.bias": ("F32", [2], b"\0" * 8)}, {"format": "pt"}))
    put("fuzz_safetensors", "mixed", safetensors({"x": ("BF16", [3], b"\1" * 6), "y": ("I64", [], b"\2" * 8),
                                                  "z": ("U8", [0, 4], b""), "w": ("BOOL", [1], b"\1"),
                                                  "v": ("F8_E4M3", [2], b"\3\4")}))
    put("fuzz_safetensors", "empty-header", safetensors({}))
    # Sharded checkpoint: index, two shards, config.
    shard1 = safetensors({"detector_model.a": ("F16", [2], b"\0" * 4)})
    shard2 = safetensors({"tracker_model.b": ("F32", [1], b"\0" * 4), "tracker_model.c": ("I8", [3], b"abc")})
    index = json.dumps({"metadata": {"total_size": 11}, "weight_map": {
        "detector_model.a": "model-00001-of-00002.safetensors",
        "tracker_model.b": "model-00002-of-00002.safetensors",
        "tracker_model.c": "model-00002-of-00002.safetensors"}}, indent=1)
    put("fuzz_checkpoint", "two-shards", files(index, shard1, shard2, '{"model_type": "sam3_video"}'))
    put("fuzz_checkpoint", "no-config", files(index, shard1, shard2, ""))
    # config.json + processor config from the fixtures.
    for name, folder in [("det224", DATA / "sam3_detect/det224"), ("det280", DATA / "sam3_detect/det280")]:
        put("fuzz_config", name, files((folder / "config.json").read_bytes(), (folder / "processor_config.json").read_bytes()))
    put("fuzz_config", "hub", (DATA / "sam3/hub_config.json").read_bytes())
    put("fuzz_config", "tiny224", (DATA / "sam3/tiny224/config.json").read_bytes())
    # Tokenizer files: tokenizer.json layout, vocab.json + merges.txt layout.
    d224, d280 = DATA / "sam3_detect/det224", DATA / "sam3_detect/det280"
    put("fuzz_tokenizer", "tokenizer-json", files((d224 / "tokenizer.json").read_bytes(), "", "",
                                                  (d224 / "tokenizer_config.json").read_bytes(), ""))
    put("fuzz_tokenizer", "vocab-merges", files("", (d280 / "vocab.json").read_bytes(), (d280 / "merges.txt").read_bytes(), "",
                                                json.dumps({"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>"})))
    for i, prompt in enumerate(["a car", "traffic light", "A Person, riding a bicycle!", "Ünïcödé café 東京 🚗",
                                "<|startoftext|>dog<|endoftext|>", "it's   2 dogs' 3rd toy"]):
        put("fuzz_tokenizer_prompt", f"prompt{i}", prompt)
    # Project file (docs/project-format.md), version 3 and an older one.
    project = {
        "format": "samlabel-project", "version": 3, "image_root": ".", "next_class_id": 3, "next_instance_id": 6,
        "classes": [{"id": 2, "name": "cat", "color": "#ff8800"},
                    {"id": 0, "name": "dog", "color": "#0000ff", "prompt": "small dog", "threshold": 0.4}],
        "images": [
            {"path": "garden/img2.jpg", "width": 4, "height": 3, "status": "in_progress", "instances": [
                {"id": 1, "class_id": 2, "source": "manual", "created_ms": 1700000000123, "modified_ms": 1700000000999,
                 "polygons": [{"outer": [0.5, 0.5, 3.5, 0.5, 3.5, 2.5], "holes": [[1.5, 1.0, 2.5, 1.0, 2.0, 1.5]]}]},
                {"id": 4, "class_id": 0, "source": "sam3", "score": 0.93, "created_ms": 1700000001000,
                 "modified_ms": 1700000001000, "mask": {"size": [3, 4], "counts": "12"}}]},
            {"path": "garden/img3.jpg", "width": 4, "height": 3, "status": "in_progress",
             "autolabel": {"recipe": "5f0c2a9e41d7b3c8", "at_ms": 1700000002000}, "instances": [
                {"id": 5, "class_id": 0, "source": "sam3-detect", "score": 0.81, "review": "pending",
                 "created_ms": 1700000002000, "modified_ms": 1700000002000,
                 "polygons": [{"outer": [0, 0, 2, 0, 2, 2], "holes": []}], "mask": {"size": [3, 4], "counts": "3131"}}]},
            {"path": "images/val/dog.jpg", "width": 640, "height": 427, "status": "done",
             "dataset": {"split": "val", "path": "dog.jpg"}, "instances": []}]}
    put("fuzz_project_file", "v3", json.dumps(project, indent=1))
    v1 = {"format": "samlabel-project", "version": 1, "next_class_id": 1, "next_instance_id": 1,
          "classes": [{"id": 0, "name": "a", "color": "#000000"}], "images": []}
    put("fuzz_project_file", "v1", json.dumps(v1))
    # YOLO labels: detect rows, segment rows, comments and blank lines.
    put("fuzz_yolo_labels", "detect", "0 0.5 0.5 0.25 0.25\n1 0.1 0.2 0.05 0.1\n")
    put("fuzz_yolo_labels", "segment", "2 0.1 0.1 0.9 0.1 0.9 0.9 0.1 0.9\n0 0.5 0.5 0.6 0.5 0.55 0.6\n\n")
    put("fuzz_yolo_labels", "crlf", "0 0.5 0.5 1 1\r\n1 1e-3 0.25 0.5 0.5\r\n")
    # data.yaml: inline list, block list, block map, quotes, comments.
    put("fuzz_data_yaml", "inline", "path: ../datasets/coco8\ntrain: images/train\nval: images/val\nnc: 2\nnames: [person, 'traffic light']\n")
    put("fuzz_data_yaml", "block-map", "# exported\npath: \"/data/set\"\ntrain: train/images\nval: valid/images\ntest: test/images\nnames:\n  0: cat\n  1: \"dog: big\"  # c\n  2: '#hash'\n")
    put("fuzz_data_yaml", "block-list", "train: a\nval: b\nnames:\n  - car\n  - bus\nnc: 2\n")
    # COCO instances: polygon, compressed RLE, uncompressed RLE, bare bbox.
    coco = {"images": [{"id": 1, "file_name": "a.jpg", "width": 4, "height": 3},
                       {"id": 2, "file_name": "sub/b.png", "width": 2, "height": 2}],
            "categories": [{"id": 3, "name": "cat"}, {"id": 1, "name": "dog", "supercategory": "animal"}],
            "annotations": [
                {"id": 1, "image_id": 1, "category_id": 3, "segmentation": [[0.5, 0.5, 3.5, 0.5, 3.5, 2.5]], "bbox": [0.5, 0.5, 3, 2], "iscrowd": 0, "area": 3},
                {"id": 2, "image_id": 1, "category_id": 1, "segmentation": {"size": [3, 4], "counts": "12"}, "iscrowd": 1},
                {"id": 3, "image_id": 2, "category_id": 1, "segmentation": {"size": [2, 2], "counts": [1, 2, 1]}, "iscrowd": 1},
                {"id": 4, "image_id": 2, "category_id": 3, "bbox": [0, 0, 1, 1]}]}
    put("fuzz_coco", "instances", json.dumps(coco, indent=1))
    # Images: small files of every format, JPEG with EXIF orientation, 16-bit and alpha PNG.
    from PIL import Image
    def img(fmt, mode="RGB", size=(5, 3), **kw):
        out = io.BytesIO()
        Image.new(mode, size, 128 if mode in ("L", "I;16") else (10, 200, 30) + ((255,) if mode == "RGBA" else ())).save(out, fmt, **kw)
        return out.getvalue()
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90
    put("fuzz_image_header", "exif6.jpg", img("JPEG", exif=exif.tobytes(), quality=50))
    put("fuzz_image_header", "plain.jpg", img("JPEG", quality=50))
    put("fuzz_image_header", "rgba.png", img("PNG", "RGBA"))
    put("fuzz_image_header", "gray16.png", img("PNG", "I;16"))
    put("fuzz_image_header", "gray.bmp", img("BMP", "L"))
    put("fuzz_image_header", "rgb.tif", img("TIFF", exif=exif.tobytes()))
    put("fuzz_image_header", "rgb.webp", img("WEBP", exif=exif.tobytes(), quality=50))
    # Control API: framing (first byte even) and bodies (odd).
    png = img("PNG", size=(2, 2))
    import base64
    b64 = base64.b64encode(png).decode()
    put("fuzz_control_api", "frame-two-requests", b"\0\3\5\7\11" + b"POST /api/v1/segment HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nAuthorization: Bearer abc\r\n\r\n{}"
        b"GET /health HTTP/1.1\r\n\r\n")
    put("fuzz_control_api", "frame-chunked", b"\0\1\1\1\1" + b"POST /api/v1/detect HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
    # The click channel: a token, a segment request (id 7), an answer (id 7, 200, JSON).
    def channel(payload):
        return struct.pack("<I", len(payload)) + payload
    put("fuzz_control_api", "channel-stream", b"\0\3\5\7\11" + channel(b"0123abcd") +
        channel(struct.pack("<Q", 7) + json.dumps({"image_id": "img-1", "points": [[1, 2, 1]], "masks": "runs"}).encode()) +
        channel(struct.pack("<QHB", 7, 200, 0) + b'{"candidates": []}'))
    put("fuzz_control_api", "frame-413", b"\0\40\40\40\40" + b"POST /health?x=1 HTTP/1.1\r\ncontent-length: 999999\r\n\r\nabc")
    put("fuzz_control_api", "segment", b"\1" + json.dumps({"image_id": "img-1", "points": [[10.5, 20, 1], [3, 4, 0]], "box": [0, 0, 5, 5], "multimask": True}).encode())
    put("fuzz_control_api", "segment-upload", b"\1" + json.dumps({"image_base64": b64, "points": [[1, 1, 1]]}).encode())
    put("fuzz_control_api", "detect", b"\1" + json.dumps({"image_id": "img-1", "text": "car", "boxes": [[1, 2, 3, 4]], "negative_boxes": [[0, 0, 1, 1]],
                                                          "threshold": 0.4, "mask_threshold": 0.5, "include_masks": False}).encode())
    put("fuzz_control_api", "segment-raw-masks", b"\1" + json.dumps({"image_id": "img-1", "points": [[1, 2, 1]], "masks": "raw", "polygons": False}).encode())
    put("fuzz_control_api", "load", b"\1" + json.dumps({"weights": "/models/sam3", "device": "cuda:0", "dtype": "bf16", "parts": "click+detect",
                                                        "keep_free_ram_mb": 2048, "max_vram_mb": 8000.5}).encode())
    put("fuzz_control_api", "load-relative-weights", b"\1" + json.dumps({"weights": "../etc", "device": "cpu"}).encode())
    # Control API answers, as a client reads them: first byte odd: a JSON body
    # (every answer's parser), even: a mask frame (SLM1 | JSON length | JSON | bits).
    def mask_png(rows):
        m = Image.new("L", (len(rows[0]), len(rows)))
        m.putdata([255 if c == "#" else 0 for row in rows for c in row])
        out = io.BytesIO()
        m.save(out, "PNG")
        return base64.b64encode(out.getvalue()).decode()
    def reply(name, obj):
        put("fuzz_control_api_replies", name, b"\1" + json.dumps(obj).encode())
    mask_a, mask_b = ["##..", "##..", "...."], ["....", ".##.", ".###"]
    reply("health", {"status": "ok", "model_loaded": True, "state": "loading", "device": "cuda:0", "dtype": "bfloat16",
                     "model_path": "/models/sam3", "parts": "click+detect", "vram_used_mb": 2210.4, "vram_used_known": True,
                     "vram_total_mb": 16384, "ram_rss_mb": 812.3,
                     "gpus": [{"index": 0, "name": "NVIDIA T4", "total_mb": 15360, "free_mb": 12900.5, "process_mb": 2210,
                               "process_known": False, "others_mb": 250, "source": "nvml"}],
                     "load_progress": {"bytes_done": 1.2e9, "bytes_total": 3.4e9}})
    reply("memory", {"ram_total_mb": 24000, "ram_available_mb": 18800, "ram_rss_mb": 812, "ram_peak_rss_mb": 1480,
                     "swap_used_mb": 0, "vram_known": True, "vram_device": "cuda:0 NVIDIA T4", "vram_total_mb": 15360,
                     "vram_free_mb": 12900, "vram_process_mb": 2210, "vram_others_mb": 250, "sampled_at_ms": 1764118000000})
    reply("load", {"status": "loaded", "device": "cuda:0", "dtype": "bfloat16", "model_path": "/models/sam3", "parts": "click",
                   "duration_ms": 5120.5, "rss_before_mb": 300, "peak_rss_mb": 2400, "rss_after_mb": 900, "weights_mb": 1700})
    reply("load-refused", {"error": "refused", "message": "Refused: needs 2.1 GB of RAM, 1.2 GB available"})
    reply("unload", {"status": "unloaded", "was_loaded": True, "freed_vram_mb": 1890.2, "freed_ram_mb": 40.1,
                     "vram_after_mb": 310.0, "vram_measured": True, "ram_rss_after_mb": 770.4, "duration_ms": 180.5,
                     "device": "cuda:0", "embeddings_dropped": 3, "automatic": False, "process_ended": False})
    reply("preflight", {"fits": False, "loadable": False, "blocker": "", "message": "Refused: needs 2.1 GB of RAM",
                        "needed_bytes": 2254857830, "available_bytes": 1288490188, "verdict_message": "Refused",
                        "suggestions": ["load in bf16", "close other programs"],
                        "estimate": {"parts": "click+detect", "dtype": "bf16", "device": "cuda:1", "image_size": 1008,
                                     "geometry_from_config": True, "parameters": 457400000, "weight_bytes": 914800000,
                                     "mapped_weight_bytes": 0, "activation_bytes": 300000000, "runtime_bytes": 400000000,
                                     "allocator_slack_bytes": 50000000, "margin_bytes": 100000000, "staging_bytes": 64000000,
                                     "ram_bytes": 2254857830, "vram_bytes": 0, "describe": "weights 0.9 GB"}})
    reply("preflight-failed", {"error": "failed", "message": "cannot read /models/x/model.safetensors", "fits": False})
    reply("encode", {"image_id": "upload-0123abcd", "width": 640, "height": 480, "cached": True, "duration_ms": 1.5})
    reply("segment-png", {"image_id": "img-1", "width": 4, "height": 3, "object_score_logit": 7.1, "decode_ms": 12.0,
                          "duration_ms": 25.3,
                          "candidates": [{"score": 0.93, "area_px": 4, "mask_png_base64": mask_png(mask_a),
                                          "polygons": [{"outer": [[0, 0], [1, 0], [1, 1], [0, 1]], "holes": []}]},
                                         {"score": 0.5, "area_px": 5, "mask_png_base64": mask_png(mask_b)}]})
    reply("detect", {"image_id": "img-1", "width": 4, "height": 3,
                     "prompt": {"text": "car", "token_count": 3, "token_ids": [49406, 1615, 49407]},
                     "presence_score": 0.93, "threshold": 0.3, "mask_threshold": 0.5, "duration_ms": 41.0, "text_ms": 0.2,
                     "detect_ms": 35.1, "masks_ms": 4.8, "text_cached": True,
                     "detections": [{"query": 4, "score": 0.87, "box": [0, 0, 1.5, 2], "area_px": 4, "mask_png_base64": mask_png(mask_a),
                                     "polygons": [{"outer": [[0, 0], [1, 0], [1, 1]], "holes": []}]},
                                    {"query": 7, "score": 0.4, "box": [1, 1, 3, 3], "area_px": 5}],
                     "query_scores": [0.01, 0.87, 0.4], "query_boxes": [[0, 0, 1, 1], [0, 0, 1.5, 2], [1, 1, 3, 3]]})
    reply("error-not-loaded", {"error": "not_loaded", "message": "no model is loaded: POST /api/v1/load first"})
    def frame(obj, masks):
        text = json.dumps(obj, separators=(",", ":")).encode()
        bits = b""
        for rows in masks:
            pixels = [1 if c == "#" else 0 for row in rows for c in row]
            pixels += [0] * (-len(pixels) % 8)
            bits += bytes(sum(p << k for k, p in enumerate(pixels[i:i + 8])) for i in range(0, len(pixels), 8))
        return b"SLM1" + struct.pack("<I", len(text)) + text + bits
    raw = {"image_id": "img-1", "width": 4, "height": 3, "object_score_logit": 7.1, "decode_ms": 12.0, "masks": "raw",
           "candidates": [{"score": 0.93}, {"score": 0.5}]}
    put("fuzz_control_api_replies", "segment-frame", b"\0" + frame(raw, [mask_a, mask_b]))
    put("fuzz_control_api_replies", "segment-frame-short", b"\0" + frame(raw, [mask_a]))
    # "runs": each mask a block: kind, uint32 length, then LEB128 run lengths (0s first) or bits.
    def blocks(obj, masks):
        text = json.dumps(obj, separators=(",", ":")).encode()
        out = b""
        for rows in masks:
            pixels = [1 if c == "#" else 0 for row in rows for c in row]
            runs, value, count = [], 0, 0
            for p in pixels:
                if p != value:
                    runs.append(count)
                    value, count = p, 0
                count += 1
            runs.append(count)
            body = bytes(runs)  # every run here is under 128: one byte each
            out += b"r" + struct.pack("<I", len(body)) + body
        return b"SLM1" + struct.pack("<I", len(text)) + text + out
    put("fuzz_control_api_replies", "segment-frame-runs", b"\0" + blocks(dict(raw, masks="runs"), [mask_a, mask_b]))
    # Auto-label results (JSON Lines): header + one image with a detection.
    header = {"format": "samlabel-autolabel-results", "version": 1, "recipe_id": "0000000000000000",
              "recipe": {"model": {"fingerprint": "abc", "dtype": "bf16"}, "classes": [{"class": "car", "prompt": "car", "threshold": 0.5}],
                         "mask_threshold": 0.5},
              "shard": {"index": 0, "count": 2}, "project": "p.json", "device": "cpu", "created_ms": 1}
    line = {"image": "a.jpg", "width": 4, "height": 3, "detections": [
        {"class": "car", "query": 3, "score": 0.75, "box": [0, 0, 2, 2], "mask": {"size": [3, 4], "counts": "12"}}]}
    put("fuzz_autolabel_results", "one-image", json.dumps(header) + "\n" + json.dumps(line) + "\n")
    put("fuzz_autolabel_results", "cut-off", json.dumps(header) + "\n" + json.dumps(line) + "\n" + json.dumps(line)[:30])


if __name__ == "__main__":
    main()
