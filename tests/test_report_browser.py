"""report.html in a real headless browser (Debian's chromium): loads, every figure decodes,
nothing references another file, tables sort on a click, the first screen holds the findings,
and no table is wider than its window at 1280 and 1920 pixels; screenshots are saved for review.

Skipped only when /usr/bin/chromium is missing outside CI; under CI (``CI`` set) a missing
browser is a failure (``.ci/run`` installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _launch_run import launch_output

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
# Measures the page once it has loaded and records the results on the root element.
LAYOUT_PROBE = """<script>
window.addEventListener("load", function () {
  var root = document.documentElement, wide = [];
  document.querySelectorAll(".table-wrap").forEach(function (wrap) {
    if (wrap.scrollWidth > wrap.clientWidth + 1) { wide.push(wrap.querySelector("table").id); }
  });
  root.setAttribute("data-overflowing", wide.join(" "));
  root.setAttribute("data-page-width", String(root.scrollWidth));
  ["#table-largest-effects", "#table-groups", "#findings p"].forEach(function (selector, i) {
    var node = document.querySelector(selector);
    var bottom = node ? String(Math.ceil(node.getBoundingClientRect().bottom)) : "none";
    root.setAttribute("data-bottom-" + i, bottom);
  });
});
</script></body>"""


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing under CI (.ci/run installs it with apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    return CHROMIUM


def browse(chromium: Path, page: Path, *extra: str) -> subprocess.CompletedProcess:
    """Run chromium on ``page`` with the fixed flags, a fresh profile and ``extra`` options."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile.") as profile:
        return subprocess.run(
            [str(chromium), *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
            capture_output=True,
            text=True,
            timeout=180,
            check=True,
        )


def root_attributes(dom: str) -> dict[str, str]:
    return dict(re.findall(r'([\w-]+)="([^"]*)"', re.search(r"<html[^>]*>", dom).group(0)))


@pytest.fixture(scope="module")
def report(launch_cache) -> Path:
    return launch_output(str(launch_cache)) / "report.html"


def test_every_figure_loads_and_nothing_is_referenced(chromium, report) -> None:
    dom = browse(chromium, report, "--virtual-time-budget=10000", "--dump-dom").stdout
    attributes = root_attributes(dom)
    expected = int(re.search(r'<meta name="eventstudy-figures" content="(\d+)">', dom).group(1))
    # 13 CAR paths, CAAR, value per deal, deal flows, heat map, equity curve, abnormal volume
    assert expected == 19
    assert attributes["data-images"] == str(expected)
    assert attributes["data-images-ok"] == str(expected)  # every <img> has naturalWidth > 0
    assert attributes["data-images-broken"] == ""
    # No reference to another file or host: images are data URIs, CSS and JS are inline.
    for attribute in re.findall(r'(?:src|href)="([^"]*)"', dom):
        assert attribute.startswith(("data:image/png;base64,", "#")), attribute[:60]
    for section in (
        "findings",
        "limitations",
        "tests",
        "data",
        "by-party",
        "value-per-deal",
        "deal-flows",
        "car-paths",
        "caar",
    ):
        assert f'<section id="{section}">' in dom
    # A print-resolution figure is shown at 100 pixels per inch of the figure.
    assert re.search(r'data-file="figures/value_per_deal.png" width="720"', dom)


def test_a_click_sorts_a_table(chromium, report, tmp_path) -> None:
    car = pd.read_parquet(report.parent / "car.parquet")
    day0 = car[(car.window == "[0,0]") & (car.role != "peer")]
    lowest, highest = day0.loc[day0.car.idxmin()], day0.loc[day0.car.idxmax()]
    probe = """<script>
window.addEventListener("load", function () {
  var th = document.querySelector("#table-by-party thead th:nth-child(3)");
  var first = function () {
    return document.querySelector("#table-by-party tbody tr td:nth-child(2)").textContent;
  };
  th.click();
  document.documentElement.setAttribute("data-ascending", first());
  th.click();
  document.documentElement.setAttribute("data-descending", first());
});
</script></body>"""
    page = tmp_path / "report.html"
    page.write_text(report.read_text(encoding="utf-8").replace("</body>", probe), encoding="utf-8")
    attributes = root_attributes(browse(chromium, page, "--virtual-time-budget=10000", "--dump-dom").stdout)
    assert attributes["data-ascending"] == f"{lowest.ticker} ({lowest.role})"  # AR(0) column, lowest first
    assert attributes["data-descending"] == f"{highest.ticker} ({highest.role})"
    assert highest.ticker == "ORCL" and f"{highest.car:+.2%}" == "+35.38%"


@pytest.mark.parametrize("width", [1280, 1920])
def test_tables_fit_the_window_and_the_first_screen_holds_the_findings(
    chromium, report, tmp_path, width
) -> None:
    page = tmp_path / "report.html"
    page.write_text(report.read_text(encoding="utf-8").replace("</body>", LAYOUT_PROBE), encoding="utf-8")
    dom = browse(
        chromium, page, f"--window-size={width},800", "--virtual-time-budget=10000", "--dump-dom"
    ).stdout
    attributes = root_attributes(dom)
    assert attributes["data-overflowing"] == ""  # no table scrolls sideways: long text wraps
    assert int(attributes["data-page-width"]) <= width
    # The headline sentences, the largest effects and every group's result are on the first screen.
    assert (
        0
        < int(attributes["data-bottom-2"])
        < int(attributes["data-bottom-0"])
        < int(attributes["data-bottom-1"])
    )
    assert int(attributes["data-bottom-1"]) <= 800, attributes["data-bottom-1"]


def test_a_long_word_of_the_users_wraps_in_captions_and_text(chromium, report, tmp_path) -> None:
    """A headline of one 5,000-character word (a long URL) in a figure caption made the whole
    page 36,245 pixels wide: table cells wrapped, captions and paragraphs did not."""
    html = report.read_text(encoding="utf-8")
    word = "L" * 5000
    html = html.replace("<figcaption>", f"<figcaption>{word} ", 1).replace("<p>", f"<p>{word} ", 1)
    page = tmp_path / "report.html"
    page.write_text(html.replace("</body>", LAYOUT_PROBE), encoding="utf-8")
    dom = browse(chromium, page, "--window-size=1280,800", "--virtual-time-budget=10000", "--dump-dom").stdout
    assert int(root_attributes(dom)["data-page-width"]) <= 1280


@pytest.mark.parametrize("width", [1280, 1920])
def test_screenshot_for_review(chromium, report, tmp_path_factory, width) -> None:
    folder = tmp_path_factory.mktemp("report-screenshot")
    shot = folder / f"report-{width}.png"
    browse(chromium, report, f"--window-size={width},800", f"--screenshot={shot}")
    print(f"\nreport screenshot: {shot}")
    keep = os.environ.get("EVENTSTUDY_SCREENSHOT")
    if keep:
        shutil.copy(shot, Path(keep).with_name(f"{Path(keep).stem}-{width}{Path(keep).suffix}"))
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[:2] == (800, width)
    # Not a blank page: the dark header band on top and many distinct colours below it.
    assert pixels[20, 20, :3].mean() < 0.3
    assert len(np.unique((pixels[:, :, :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)) > 200
