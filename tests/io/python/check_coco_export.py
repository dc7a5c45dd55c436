"""pycocotools reads back a samlabel COCO export.

usage: check_coco_export.py INSTANCES_JSON EXPECTED_JSON MIN_IOU

For every instance expected (from the fixture's own geometry), the COCO
annotation with the same samlabel_instance_id must exist, and pycocotools'
annToMask must match the documented pixel-centre rule (truth_masks.py) and
samlabel's own raster of the instance with IoU >= MIN_IOU.
"""
import json
import sys

import numpy as np
from pycocotools.coco import COCO

from truth_masks import iou, rle_decode, truth_mask

coco_path, expected_path, min_iou = sys.argv[1], sys.argv[2], float(sys.argv[3])
expected = json.load(open(expected_path, encoding="utf-8"))
coco = COCO(coco_path)
failures = []


by_instance = {a["samlabel_instance_id"]: a for a in coco.dataset["annotations"]}
images = {im["file_name"]: im for im in coco.dataset["images"]}
names = [c["name"] for c in sorted(coco.dataset["categories"], key=lambda c: c["id"])]
if names != expected["names"]:
    failures.append(f"categories {names} != {expected['names']}")
n_expected = 0
worst = 1.0
for img in expected["images"]:
    im = images.get(img["exported_as"])
    if im is None:
        failures.append(f"{img['exported_as']}: not in images")
        continue
    if (im["width"], im["height"]) != (img["width"], img["height"]):
        failures.append(f"{img['exported_as']}: size {im['width']}x{im['height']}")
    for e in img["instances"]:
        n_expected += 1
        ann = by_instance.get(e["instance_id"])
        if ann is None:
            failures.append(f"instance {e['instance_id']} missing")
            continue
        if ann["image_id"] != im["id"] or ann["category_id"] != e["class"] + 1 or ann["iscrowd"] != 0:
            failures.append(f"instance {e['instance_id']}: wrong image/category/iscrowd")
        m = coco.annToMask(ann).astype(bool)
        kind = "rle" if isinstance(ann["segmentation"], dict) else "polygon"
        # Every instance, polygons with holes written as RLE included, must match
        # the documented pixel-centre rule, computed here without samlabel, and
        # samlabel's own raster of it (annotation::instance_mask, what the canvas shows).
        rule = iou(m, truth_mask(e, img["height"], img["width"]))
        shown = iou(m, rle_decode(e["samlabel_raster"]))
        score = min(rule, shown)
        worst = min(worst, score)
        print(f"{img['exported_as']} instance {e['instance_id']} ({kind}): IoU {rule:.4f} with the pixel-centre rule, "
              f"{shown:.4f} with samlabel's raster")
        if score < min_iou:
            failures.append(f"instance {e['instance_id']} ({kind}): IoU {score:.4f} < {min_iou}")
if len(coco.dataset["annotations"]) != n_expected:
    failures.append(f"{len(coco.dataset['annotations'])} annotations, expected {n_expected}")
for f in failures:
    print("FAIL:", f)
print(f"checked {n_expected} instances, worst IoU {worst:.4f}")
sys.exit(1 if failures else 0)
