"""Browser check: headless Chromium renders the index and every report, offline, without errors."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from matplotlib import image as mpimg
from test_runner import published_real_reports

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=1280,2000",
]
#: Chromium logs every console message and uncaught exception of the page as `:CONSOLE`.
CONSOLE = re.compile(r":CONSOLE[:(].*|Uncaught .*|net::ERR_\w+.*")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if path is None:
        pytest.fail(
            "headless Chromium is missing: install it with "
            "`apt-get install -y chromium` (.ci/run does this in CI)"
        )
    return path


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    pub = published_real_reports(tmp_path_factory) / "2024"
    assert (pub / "index.html").is_file(), "the 2024 batch did not publish (see test_runner)"
    return pub


def render(chromium: str, page: Path, png: Path) -> list[str]:
    """Screenshot ``page``; return the console messages Chromium logged while loading it."""
    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", f"--screenshot={png}", page.as_uri()],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert png.is_file(), f"no screenshot of {page.name}: {proc.stderr[-2000:]}"
    return [m.group(0) for m in CONSOLE.finditer(proc.stderr)]


def assert_not_blank(png: Path) -> None:
    img = mpimg.imread(png)[..., :3]
    grey = img.mean(axis=2)
    inked = (grey < 0.9).mean()  # share of pixels that are not (near) white
    assert grey.std() > 0.05 and inked > 0.01, f"{png.name} looks blank (ink {inked:.3%})"


def test_index_renders_without_console_errors(chromium, reports, tmp_path):
    png = tmp_path / "index.png"
    assert render(chromium, reports / "index.html", png) == []
    assert_not_blank(png)


def test_reports_render_without_console_errors(chromium, reports, tmp_path):
    pages = sorted(reports.glob("[0-9][0-9]_*.html"))
    assert pages
    for page in pages:
        png = tmp_path / f"{page.stem}.png"
        errors = render(chromium, page, png)
        assert errors == [], f"{page.name}: {errors}"
        assert_not_blank(png)


def test_console_check_catches_errors(chromium, tmp_path):
    """The check above can fail: a page with a script error is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text("<html><body><p>x</p><script>notDefined();</script></body></html>")
    errors = render(chromium, bad, tmp_path / "bad.png")
    assert any("notDefined" in e for e in errors)
