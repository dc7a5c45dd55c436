"""Make Ultralytics work offline and leave no trace outside a temp folder.

Call prepare(tmp) BEFORE importing ultralytics:
* YOLO_CONFIG_DIR: its settings.json and font cache go to the temp folder,
  not ~/.config/Ultralytics.
* YOLO_OFFLINE=1: no online checks (is_online() returns False).
* check_det_dataset() ends with check_font('Arial.ttf' / 'Arial.Unicode.ttf'),
  which downloads the font when matplotlib does not know it. We place
  matplotlib's bundled DejaVuSans under those names in the config folder,
  which check_font looks at first. (Only plots use it; plots are off.)
"""
import os
import shutil
from pathlib import Path


def prepare(tmp):
    cfg = Path(tmp) / "ultralytics-config"
    cfg.mkdir(parents=True, exist_ok=True)
    os.environ["YOLO_CONFIG_DIR"] = str(cfg)
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ.setdefault("MPLCONFIGDIR", str(Path(tmp) / "mpl"))
    import matplotlib

    font = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    for name in ("Arial.ttf", "Arial.Unicode.ttf"):
        if not (cfg / name).exists():
            shutil.copyfile(font, cfg / name)
    return cfg
