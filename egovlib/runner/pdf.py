"""PDF of a report: its HTML printed to A4 by headless Chromium (`egov run --pdf`)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from ..errors import EgovError

#: Where Chromium is looked for, after ``$EGOV_CHROMIUM`` and the ``PATH``.
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "/usr/bin/chromium")
#: Headless, offline, no profile state: the same flags as the browser test.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-pdf-header-footer",  # page numbers come from the report's own @page rules
)
#: Seconds one report may take to print.
PDF_TIMEOUT = 180


def find_chromium() -> str:
    """Path of the Chromium used for PDFs: ``$EGOV_CHROMIUM``, else the first found.

    Raises
    ------
    EgovError
        If there is none, saying how to install it.
    """
    env = os.environ.get("EGOV_CHROMIUM")
    for name in (env,) if env else CHROMIUM_CANDIDATES:
        path = shutil.which(name) or (name if Path(name).is_file() else None)
        if path:
            return path
    raise EgovError(
        "egov run --pdf needs headless Chromium, which was not found"
        + (f" at $EGOV_CHROMIUM={env}" if env else "")
        + ". Fix: install it (`apt-get install -y chromium`) or set $EGOV_CHROMIUM to its path"
    )


def print_ready_html(text: str) -> str:
    """The report as it should print: appendices opened (a PDF cannot expand them)."""
    return text.replace('<details class="egov-appendix">', '<details class="egov-appendix" open>')


def write_pdf(html_path: Path, pdf_path: Path, *, timeout: float = PDF_TIMEOUT) -> None:
    """Print a self-contained HTML report to an A4 PDF.

    The report's print CSS sets the page (A4, margins, page numbers), wraps wide tables and
    hides controls (download links, the contents box). Chromium runs with a throw-away profile
    and no network; it is stopped, with its helper processes, after ``timeout`` seconds.

    Raises
    ------
    EgovError
        If Chromium is missing, fails, times out or writes no PDF.
    """
    chromium = find_chromium()
    with tempfile.TemporaryDirectory(prefix="egov-pdf-") as tmp:
        page = Path(tmp) / html_path.name
        page.write_text(print_ready_html(html_path.read_text(encoding="utf-8")), encoding="utf-8")
        out = Path(tmp) / "report.pdf"
        cmd = [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        # Own process group, so that a timeout also stops Chromium's helper processes; killed
        # with the worker that started it, so that a killed `egov run` leaves no Chromium.
        from .kernels import kill_with_parent

        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=kill_with_parent,
        )
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise EgovError(
                f"{html_path.name}: Chromium did not print the PDF within {timeout:g} s. "
                "Fix: run again; if it persists, open the HTML in a browser and print it"
            ) from None
        if proc.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
            last = (err or "").strip().splitlines()[-1:] or ["no message"]
            raise EgovError(
                f"{html_path.name}: Chromium failed to print the PDF (exit {proc.returncode}: "
                f"{last[0]}). Fix: check that `{chromium} --headless --print-to-pdf` works here"
            )
        shutil.move(out, pdf_path)
