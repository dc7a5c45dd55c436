"""pycocotools reads back a samlabel COCO export.

usage: check_coco_export.py INSTANCES_JSON EXPECTED_JSON MIN_IOU

For every instance expected (from the fixture's own geometry), the COCO
annotation with the same samlabel_instance_id must exist, and pycocotools'
annToMask must match the documented pixel-centre rule (truth_masks.py) and
samlabel's own raster of the instance with IoU >= MIN_IOU.

bbox ([x, y, width, height]; what detectors train on) and area (what
COCOeval buckets by) are checked against the fixture, computed here:
- a mask instance (RLE or traced polygons): exactly its pixel bounds and its
  pixel count;
- a polygon written as a polygon: exactly its vertices' extent (COCO's
  convention) and its shoelace area;
- a polygon with holes written as RLE: its extent within 1 px and the
  pixel-centre rule's pixel count within 1%;
and every RLE's bbox and area exactly as pycocotools computes them from it.
"""
import json
import sys

import numpy as np
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from truth_masks import iou, rle_decode, truth_mask

coco_path, expected_path, min_iou = sys.argv[1], sys.argv[2], float(sys.argv[3])
expected = json.load(open(expected_path, encoding="utf-8"))
coco = COCO(coco_path)
failures = []


def shoelace(flat):
    xs, ys = np.asarray(flat[0::2], np.float64), np.asarray(flat[1::2], np.float64)
    return 0.5 * abs(float(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1))))


def extent(rings):
    xs = [v for r in rings for v in r[0::2]]
    ys = [v for r in rings for v in r[1::2]]
    return [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]


def pixel_bounds(m):
    ys, xs = np.nonzero(m)
    return [int(xs.min()), int(ys.min()), int(xs.max() + 1 - xs.min()), int(ys.max() + 1 - ys.min())]


def check_box_and_area(ann, e, truth, what):
    bbox, area, seg = ann.get("bbox"), ann.get("area"), ann["segmentation"]
    if not (isinstance(bbox, list) and len(bbox) == 4 and bbox[2] > 0 and bbox[3] > 0):
        return [f"{what}: bbox {bbox} is not [x, y, width, height] with a positive size"]
    if not isinstance(area, (int, float)) or area <= 0:
        return [f"{what}: area {area}"]
    problems = []

    def expect_box(expected, atol, why):
        if not np.allclose(bbox, expected, rtol=0, atol=atol):
            problems.append(f"{what}: bbox {bbox} != {why} {[round(v, 3) for v in expected]}")

    def expect_area(expected, rtol, why):
        if abs(area - expected) > rtol * expected:
            problems.append(f"{what}: area {area} != {why} {expected:.1f}")

    if isinstance(seg, dict):  # the file's RLE, as pycocotools reads it
        expect_box([float(v) for v in mask_utils.toBbox(seg)], 1e-9, "pycocotools' box of its RLE")
        expect_area(float(mask_utils.area(seg)), 0, "pycocotools' area of its RLE")
    if "mask" in e:
        # A mask (however written): its own pixels, whatever a polygon tracing them spans.
        expect_box(pixel_bounds(truth), 0, "the mask's pixel bounds")
        expect_area(float(truth.sum()), 0, "the mask's pixel count")
    elif not isinstance(seg, dict):
        # A polygon written as a polygon: COCO's convention, its vertices' extent and its area.
        expect_box(extent(seg), 1e-6, "the extent of its polygons")
        expect_box(extent(e["rings_px"]), 1e-6, "the fixture polygon's extent")
        expect_area(sum(shoelace(r) for r in e["rings_px"]), 1e-6, "the fixture polygon's area")
    else:
        # A polygon with holes, rasterised: the pixel-centre rule's pixels.
        # (A hole lies inside its outer ring: all rings span the outer extent.)
        expect_box(extent(e["rings_px"]), 1.0, "(within 1 px) the fixture polygon's extent")
        expect_area(float(truth.sum()), 0.01, "(within 1%) the pixel-centre rule's pixel count")
    print(f"  bbox {[round(v, 3) for v in bbox]}, area {area}")
    return problems


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
        truth = truth_mask(e, img["height"], img["width"])
        rule = iou(m, truth)
        shown = iou(m, rle_decode(e["samlabel_raster"]))
        score = min(rule, shown)
        worst = min(worst, score)
        print(f"{img['exported_as']} instance {e['instance_id']} ({kind}): IoU {rule:.4f} with the pixel-centre rule, "
              f"{shown:.4f} with samlabel's raster")
        if score < min_iou:
            failures.append(f"instance {e['instance_id']} ({kind}): IoU {score:.4f} < {min_iou}")
        failures += check_box_and_area(ann, e, truth, f"instance {e['instance_id']} ({kind})")
if len(coco.dataset["annotations"]) != n_expected:
    failures.append(f"{len(coco.dataset['annotations'])} annotations, expected {n_expected}")
for f in failures:
    print("FAIL:", f)
print(f"checked {n_expected} instances, worst IoU {worst:.4f}")
sys.exit(1 if failures else 0)
