"""The public HTML page in a real browser (headless Chromium): the table is drawn, the Chinese
text is drawn with a CJK font (no missing-glyph boxes), and printing gives A4 landscape pages.

CI (``CI=true``, ``.ci/run`` installs Debian's ``chromium`` and ``fonts-noto-cjk``) must run
these; elsewhere they are skipped with a notice when Chromium is missing.

How "drawn with a CJK font" is checked without trusting any font name: the page is rendered
twice, once normally and once with a fontconfig that holds every installed font *except* the
ones covering Chinese (``fc-list :lang=zh``). In the second render every Chinese character is
a missing-glyph box. If the normal render showed boxes too, the two images would agree where
the Chinese text is; they must differ there, glyph shapes being nothing like boxes. A
control check confirms the method can fail: the no-CJK render does differ from itself only by
zero pixels (rendering is deterministic), so any difference is the fonts'.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import full_results, results_csv, small_pool
from PIL import Image, ImageChops

from inspect_sched.outputs.publish import publish
from inspect_sched.services.draws import build_spec, make_draw
from inspect_sched.services.results import import_results
from inspect_sched.store.db import get_engine, init_db

WIDTH, HEIGHT = 1400, 1000


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI") == "true":
        pytest.fail("CI must test the public page in a browser: install chromium and fonts-noto-cjk (.ci/run does)")
    pytest.skip("headless browser tests need chromium (apt-get install chromium fonts-noto-cjk); .ci/run installs it")
    raise AssertionError("unreachable")


def _run(browser: str, args: list[str], env: dict[str, str] | None = None) -> None:
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--force-device-scale-factor=1",
           "--no-first-run", "--disable-dev-shm-usage", *args]
    proc = subprocess.run(cmd, capture_output=True, timeout=120, env={**os.environ, **(env or {})})
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]


def _shot(browser: str, page: Path, out: Path, env: dict[str, str] | None = None) -> Image.Image:
    _run(browser, [f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={out}", page.as_uri()], env)
    return Image.open(out).convert("L")


def _no_cjk_fontconfig(folder: Path) -> dict[str, str]:
    """A fontconfig that sees every installed font except those covering Chinese."""
    def files(*q: str) -> set[str]:
        out = subprocess.run(["fc-list", *q, "--format", "%{file}\n"], capture_output=True, text=True, check=True)
        return {line for line in out.stdout.splitlines() if line}

    cjk = files(":lang=zh")
    assert cjk, "no font covering Chinese is installed (apt-get install fonts-noto-cjk)"
    fonts = folder / "fonts"
    fonts.mkdir(parents=True)
    for i, f in enumerate(sorted(files() - cjk)):
        (fonts / f"{i:03d}-{Path(f).name}").symlink_to(f)
    conf = folder / "fonts.conf"
    conf.write_text(f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>{fonts}</dir><cachedir>{folder / 'cache'}</cachedir></fontconfig>
""", encoding="utf-8")
    return {"FONTCONFIG_FILE": str(conf)}


def _dark_lines(img: Image.Image) -> list[int]:
    """Rows of the image that are a long horizontal rule (table borders)."""
    px = img.load()
    rows = []
    for y in range(img.height):
        dark = sum(1 for x in range(0, img.width, 2) if px[x, y] < 110)
        if dark * 2 > img.width * 0.6:
            rows.append(y)
    return rows


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("html")
    url = f"sqlite:///{tmp / 't.db'}"
    engine = get_engine(url)
    init_db(engine)
    small_pool(engine)
    policy = tmp / "p.toml"
    policy.write_text('authority = "株洲市生态环境局"\n', encoding="utf-8")
    make_draw(engine, "20261201093015482736", tmp / "b", spec=build_spec("2026-12", policy_path=str(policy)))
    rows = full_results(engine, 1)
    import_results(engine, results_csv(tmp / "r.csv", rows[:5]), 1)
    publish(engine, 1, tmp / "pub", ["html"])
    return tmp / "pub" / "public-draw-1.html"


def test_table_is_drawn_and_chinese_uses_a_cjk_font(page: Path, tmp_path: Path) -> None:
    browser = _chromium()
    normal = _shot(browser, page, tmp_path / "normal.png")
    env = _no_cjk_fontconfig(tmp_path / "fc")
    boxes = _shot(browser, page, tmp_path / "boxes.png", env)
    boxes_again = _shot(browser, page, tmp_path / "boxes2.png", env)

    # The table: a header rule, a rule under the header and under each of the 5 rows.
    rules = _dark_lines(normal)
    bands = [y for i, y in enumerate(rules) if i == 0 or y - rules[i - 1] > 2]
    assert len(bands) >= 7, f"expected the table's 7 horizontal rules, found {len(bands)} at {bands}"

    # Rendering is deterministic, so a difference between two renders is the fonts'.
    assert ImageChops.difference(boxes, boxes_again).getbbox() is None
    # The title (Chinese) band: glyphs from a CJK font differ from missing-glyph boxes.
    title = (0, 0, WIDTH, 80)
    diff = ImageChops.difference(normal.crop(title), boxes.crop(title))
    changed = sum(diff.histogram()[65:])
    print(f"title band: {changed} pixels differ from the no-CJK render")
    assert changed > 2000, f"the Chinese title looks the same as with no CJK font ({changed} pixels differ)"
    # And the text is really there: the title band is not blank in the normal render.
    inked = sum(normal.crop(title).histogram()[:128])
    assert inked > 1000, f"the title band is blank ({inked} dark pixels)"


def test_prints_on_a4_landscape(page: Path, tmp_path: Path) -> None:
    browser = _chromium()
    pdf = tmp_path / "page.pdf"
    _run(browser, ["--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()])
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf.read_bytes())
    assert boxes, "no page in the PDF"
    for w, h in boxes:
        # A4 landscape is 297 × 210 mm = 841.9 × 595.3 pt.
        assert abs(float(w) - 841.89) < 2 and abs(float(h) - 595.28) < 2, (w, h)
