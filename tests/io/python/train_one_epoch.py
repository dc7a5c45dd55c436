"""Train ONE epoch of a YOLO segmentation model on a samlabel export, on CPU,
offline: the model is built from its yaml definition (random weights, no
download).

usage: train_one_epoch.py DATASET_DIR TMP_DIR

Switched off (each would download or is pointless here): amp (its check
downloads yolo11n.pt), plots (fonts), val (the tiny val split may be empty),
pretrained weights. workers 0, imgsz 64, batch 2 keep it short.
"""
import sys
from pathlib import Path

import offline_ultralytics

dataset, tmp = Path(sys.argv[1]), Path(sys.argv[2])
offline_ultralytics.prepare(tmp)

from ultralytics import YOLO  # noqa: E402

model = YOLO("yolo11n-seg.yaml")
results = model.train(
    data=str(dataset / "data.yaml"),
    epochs=1,
    imgsz=64,
    batch=2,
    workers=0,
    device="cpu",
    amp=False,
    plots=False,
    val=False,
    pretrained=False,
    project=str(tmp / "runs"),
    name="one-epoch",
    exist_ok=True,
    verbose=False,
)
weights = tmp / "runs" / "one-epoch" / "weights" / "last.pt"
if not weights.exists():
    print(f"FAIL: no checkpoint at {weights}")
    sys.exit(1)
print(f"trained one epoch, checkpoint {weights} ({weights.stat().st_size} bytes)")
