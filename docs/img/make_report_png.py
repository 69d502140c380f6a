"""Regenerate docs/img/report.png: the top of the China report and its first two plots.

Run from the repository root, with chromium installed:

    nukesim run scenarios/china_national_team.yaml --out out/china --report
    python docs/img/make_report_png.py

It uses the end-to-end test's browser driver (tests/browser.py) and Pillow (matplotlib's own).
"""

import json
import sys
import tempfile
from pathlib import Path

from PIL import Image

sys.path.insert(0, "tests")
from browser import find_chromium, render  # noqa: E402

WIDTH = 760
BOXES = ("JSON.stringify(['kpi', 'mobilisation', 'members'].map(id => {"
         "const r = document.getElementById(id).getBoundingClientRect();"
         "return [r.top + scrollY, r.bottom + scrollY]; }))")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        shot = Path(tmp) / "full.png"
        problems, boxes = render(find_chromium(), Path("out/china/report.html"), Path(tmp) / "profile",
                                 shot, BOXES)
        assert not problems, problems
        (kpi, _), (mobilisation, _), (_, members) = json.loads(boxes)
        page = Image.open(shot).convert("RGB")
    top = page.crop((0, 0, page.width, int(kpi) - 8))  # header and objectives
    plots = page.crop((0, int(mobilisation) - 8, page.width, int(members)))
    picture = Image.new("RGB", (page.width, top.height + plots.height), "white")
    picture.paste(top, (0, 0))
    picture.paste(plots, (0, top.height))
    picture = picture.resize((WIDTH, round(picture.height * WIDTH / page.width)), Image.LANCZOS)
    picture.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(
        "docs/img/report.png", optimize=True)


if __name__ == "__main__":
    main()
