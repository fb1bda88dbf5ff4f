"""Regenerate docs/report-screenshot.png: the bank's HTML report, as headless Chromium shows it.

    python docs/make_screenshot.py [OUT.png] [--full]

Run from anywhere; it needs Debian's Chromium at /usr/bin/chromium (`.ci/install-browser.sh`)
and Playwright for Python (`pip install playwright`; no browser download: the system one is
used). The report is the same one `aicxs check policies/retail-bank.aicx --facts
policies/retail-bank.facts.yaml --as-of 2026-11-27 --format html` writes.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AS_OF = dt.date(2026, 11, 27)
VIEWPORT_WIDTH, VIEWPORT_HEIGHT = 1280, 1560


def bank_report() -> str:
    """The report, with paths relative to the repository root as the README's runs show."""
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    from aicxs import engine
    from aicxs.engine.reports import render_report

    policy = engine.load_policy("policies/retail-bank.aicx")
    facts = policy.load_facts("policies/retail-bank.facts.yaml")
    return render_report("html", policy.evaluate(facts, AS_OF), policy)


def screenshot(out: Path, full: bool = False) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        page_file = Path(tmp) / "report.html"
        page_file.write_text(bank_report(), "utf-8")
        context = pw.chromium.launch_persistent_context(
            str(Path(tmp) / "profile"),
            executable_path=CHROMIUM,
            args=FLAGS,
            headless=True,
            viewport={"width": VIEWPORT_WIDTH, "height": VIEWPORT_HEIGHT},
            device_scale_factor=1,
        )
        try:
            page = context.new_page()
            page.goto(page_file.as_uri())
            page.screenshot(path=str(out), full_page=full)
        finally:
            context.close()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    target = Path(args[0]) if args else ROOT / "docs" / "report-screenshot.png"
    screenshot(target, full="--full" in sys.argv)
    print(f"wrote {target}")
