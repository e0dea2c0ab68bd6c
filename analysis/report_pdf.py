"""The impact report as a PDF: the HTML printed by headless Chromium.

Chromium is the browser the tests already drive (Debian's ``/usr/bin/chromium``, or
``$HIOD_CHROMIUM``); the report's own ``@media print`` rules (A4, each section on a new
page, the summary alone on the first) decide the layout. The HTML makes no request, so
printing needs no network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from analysis.errors import HiodError

CHROMIUM = "/usr/bin/chromium"
TIMEOUT_S = 180


class PdfFailed(HiodError):
    """The PDF could not be made (no Chromium, or it failed); the HTML still can be."""


def chromium_path() -> str | None:
    """The Chromium to print with: ``$HIOD_CHROMIUM``, Debian's, or one on the PATH."""
    for candidate in (os.environ.get("HIOD_CHROMIUM"), CHROMIUM):
        if candidate and Path(candidate).exists():
            return candidate
    return shutil.which("chromium") or shutil.which("chromium-browser")


def html_to_pdf(html: str, timeout: float = TIMEOUT_S) -> bytes:
    """Print ``html`` to PDF bytes with headless Chromium (A4, no browser header or footer).

    Raises :class:`PdfFailed`, saying what to do instead, when Chromium is missing,
    fails or takes longer than ``timeout`` seconds.
    """
    browser = chromium_path()
    if browser is None:
        raise PdfFailed(
            "no Chromium found to print the PDF (install chromium, or set HIOD_CHROMIUM): "
            "download the HTML report and print it to PDF from a browser instead"
        )
    with tempfile.TemporaryDirectory(prefix="hiod-pdf-") as folder:
        page, out = Path(folder) / "report.html", Path(folder) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-extensions",
            "--disable-background-networking",
            "--no-first-run",
            f"--user-data-dir={Path(folder) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        try:
            done = subprocess.run(  # fixed arguments, no shell
                command,
                capture_output=True,
                timeout=timeout,
                check=False,
                env={**os.environ, "HOME": folder},
            )
        except subprocess.TimeoutExpired:
            raise PdfFailed(
                f"Chromium took more than {timeout:.0f} s to print the PDF: download the HTML "
                "report and print it from a browser instead"
            ) from None
        if done.returncode != 0 or not out.exists():
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
            raise PdfFailed(
                "Chromium could not print the PDF"
                + (f" ({tail[0]})" if tail else "")
                + ": download the HTML report and print it from a browser instead"
            )
        return out.read_bytes()
