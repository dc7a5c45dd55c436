"""Ultralytics reads back a samlabel YOLO export.

usage: check_yolo_export.py DATASET_DIR EXPECTED_JSON segment|detect TMP_DIR

EXPECTED_JSON (written by tests/io/test_export_consumers.cpp from the fixture's
own geometry) lists per image its size and the instances that must be there.
Checks: check_det_dataset accepts data.yaml (names), every split data.yaml
names holds images (training builds loaders for train and val),
verify_image_label reads every label file without a warning (EXIF-corrected
shape, counts, classes, box/point values within 1e-6), and YOLODataset loads
the same label count.
"""
import json
import sys
from pathlib import Path

import numpy as np

import offline_ultralytics
from truth_masks import iou, truth_mask

dataset, expected_path, task, tmp = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], sys.argv[4]
offline_ultralytics.prepare(tmp)

import cv2  # noqa: E402
from ultralytics.data.dataset import YOLODataset  # noqa: E402
from ultralytics.data.utils import check_det_dataset, verify_image_label  # noqa: E402

expected = json.loads(expected_path.read_text(encoding="utf-8"))
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


data = check_det_dataset(str(dataset / "data.yaml"), autodownload=False)
names = [data["names"][i] for i in range(len(data["names"]))]
if names != expected["names"]:
    fail(f"names {names} != {expected['names']}")
nc = data["nc"]

# Every split data.yaml names must hold images: Ultralytics trains on train
# and validates on val, and a split without images stops it.
for split in ("train", "val", "test"):
    if not data.get(split):
        continue
    try:
        n_images = len(YOLODataset(img_path=data[split], data=data, task=task, imgsz=64, augment=False, cache=False).im_files)
    except FileNotFoundError as e:
        n_images = 0
        print(f"{split}: {e}")
    if n_images == 0:
        fail(f"data.yaml names {split} ({data[split]}) but it holds no images")
    else:
        print(f"{split}: {n_images} image(s)")


def rasterise(points_px, h, w):
    """Even-odd fill sampled at pixel centres (our convention), 1/16 px precision."""
    m = np.zeros((h, w), np.uint8)  # cv2.fillPoly, as Ultralytics' polygon2mask
    pts = np.round((points_px - 0.5) * 16).astype(np.int32)
    cv2.fillPoly(m, [pts], 1, lineType=cv2.LINE_8, shift=4)
    return m.astype(bool)


per_split = {}
total = 0
for img in expected["images"]:
    split, rel = img["split"], img["exported_as"]
    im_file = dataset / "images" / split / rel
    lb_file = (dataset / "labels" / split / rel).with_suffix(".txt")
    res = verify_image_label((str(im_file), str(lb_file), "", False, nc, 0, 0, False))
    _, lb, shape, segments, _, nm, nf, ne, ncorrupt, msg = res
    if ncorrupt or nm or msg:
        fail(f"{rel}: ultralytics says missing={nm} corrupt={ncorrupt} msg={msg!r}")
        continue
    W, H = img["width"], img["height"]
    if tuple(shape) != (H, W):
        fail(f"{rel}: ultralytics sees shape {shape}, labels were made for {(H, W)}")
    inst = img["instances"]
    per_split[split] = per_split.get(split, 0) + len(inst)
    total += len(inst)
    if len(lb) != len(inst):
        fail(f"{rel}: ultralytics read {len(lb)} labels, expected {len(inst)}")
        continue
    if not inst and not ne:
        fail(f"{rel}: expected an empty label file")
    for k, (row, e) in enumerate(zip(lb, inst)):
        where = f"{rel} #{k}"
        if int(row[0]) != e["class"]:
            fail(f"{where}: class {row[0]} != {e['class']}")
        x0, y0, x1, y1 = e["box_px"]
        if "rings_px" in e:
            rings = [np.array(r, np.float64).reshape(-1, 2) / [W, H] for r in e["rings_px"]]
            if task == "detect" or len(rings) == 1:
                want_box = np.array([(x0 + x1) / 2 / W, (y0 + y1) / 2 / H, (x1 - x0) / W, (y1 - y0) / H])
                if not np.allclose(row[1:], want_box, atol=1e-6):
                    fail(f"{where}: box {row[1:]} != {want_box}")
            if task == "segment":
                seg = segments[k].astype(np.float64)
                if len(rings) == 1:
                    if seg.shape != rings[0].shape or not np.allclose(seg, rings[0], atol=1e-6):
                        fail(f"{where}: points differ: {seg.tolist()} vs {rings[0].tolist()}")
                else:
                    n_expected = sum(len(r) for r in rings) + 2 * (len(rings) - 1)  # bridges
                    if len(seg) != n_expected:
                        fail(f"{where}: {len(seg)} points, expected {n_expected}")
                    for r in rings:
                        d = np.abs(seg[None, :, :] - r[:, None, :]).max(axis=2).min(axis=1)
                        if d.max() > 1e-6:
                            fail(f"{where}: ring vertex missing from the line (off by {d.max()})")
                    score = iou(truth_mask(e, H, W), rasterise(seg * [W, H], H, W))
                    print(f"{where}: bridged polygon IoU {score:.4f}")
                    if score < 0.97:
                        fail(f"{where}: bridged polygon rasterises to IoU {score:.4f} with the instance")
        else:  # a mask instance
            if task == "detect":
                want_box = np.array([(x0 + x1) / 2 / W, (y0 + y1) / 2 / H, (x1 - x0) / W, (y1 - y0) / H])
                if not np.allclose(row[1:], want_box, atol=1e-6):
                    fail(f"{where}: mask box {row[1:]} != {want_box}")
            else:
                score = iou(truth_mask(e, H, W), rasterise(segments[k].astype(np.float64) * [W, H], H, W))
                print(f"{where}: mask -> polygon IoU {score:.4f}")
                if score < 0.95:
                    fail(f"{where}: polygon from the mask rasterises to IoU {score:.4f}")

# Ultralytics' own dataset loader, as training builds it.
for split, count in per_split.items():
    ds = YOLODataset(img_path=data[split], data=data, task=task, imgsz=64, augment=False, cache=False)
    got = sum(len(l["cls"]) for l in ds.labels)
    if got != count:
        fail(f"YOLODataset({split}) loaded {got} instances, expected {count}")
    if task == "segment":
        segs = sum(len(l["segments"]) for l in ds.labels)
        if segs != count:
            fail(f"YOLODataset({split}) has {segs} segments, expected {count}")

print(f"checked {len(expected['images'])} images, {total} instances, task {task}")
sys.exit(1 if failures else 0)
