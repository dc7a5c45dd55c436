"""Our rasterisation convention, implemented independently of samlabel:
a pixel (c, r) belongs to a polygon instance when its centre (c+0.5, r+0.5)
is inside an odd number of the instance's rings (outer rings and holes; the
fixture's parts do not overlap). Masks are decoded from their uncompressed,
column-major COCO run lengths."""
import numpy as np
from matplotlib.path import Path


def rle_decode(rle):
    h, w = rle["size"]
    flat = np.zeros(h * w, np.uint8)
    pos, val = 0, 0
    for c in rle["counts"]:
        flat[pos : pos + c] = val
        pos += c
        val ^= 1
    return flat.reshape((w, h)).T.astype(bool)  # column-major


def truth_mask(instance, height, width):
    if "mask" in instance:
        return rle_decode(instance["mask"])
    ys, xs = np.mgrid[0:height, 0:width]
    centres = np.stack([xs.ravel() + 0.5, ys.ravel() + 0.5], axis=1)
    parity = np.zeros(height * width, np.int32)
    for ring in instance["rings_px"]:
        parity += Path(np.array(ring, np.float64).reshape(-1, 2)).contains_points(centres)
    return (parity % 2 == 1).reshape(height, width)


def iou(a, b):
    return (a & b).sum() / max((a | b).sum(), 1)
