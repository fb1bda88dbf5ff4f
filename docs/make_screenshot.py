"""Regenerate docs/report-screenshot.png: the bank's HTML report, as headless Chromium shows it;
with --web, the screenshots of each page kind of the Online Assessment and the Evolve pages
(docs/web-*.png), taken while a person's steps are played in the browser.

    python docs/make_screenshot.py [OUT.png] [--full]
    python docs/make_screenshot.py --web

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


def web_screenshots(folder: Path) -> list[Path]:
    """The telecom takes the Online Assessment: its facts imported, recorded, two answers
    changed, recorded again; a screenshot of each page kind on the way."""
    import re

    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    from starlette.applications import Starlette

    from aicxs.engine.loader import load_policy
    from aicxs.engine.onboarding.cli import web_routes
    from aicxs.engine.store import open_store
    from tests.test_web_assessment import serving

    shots: list[Path] = []
    compiled = load_policy("policies/telecom.aicx")
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        store = open_store(str(Path(tmp) / "store.sqlite"))
        routes = web_routes(store, lambda: {compiled.policy.name: compiled}, AS_OF)
        with serving(Starlette(routes=routes)) as base:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})

            def shot(name: str) -> None:
                shots.append(folder / f"{name}.png")
                page.screenshot(path=str(shots[-1]))

            page.goto(base + "/")
            shot("web-start")
            page.locator("#import-label").fill("Velocity Telecom")
            page.locator("#facts-file").set_input_files(str(ROOT / "policies/telecom.facts.yaml"))
            page.get_by_role("button", name="Import and continue").click()
            page.get_by_role("button", name="Finish: record and see the report").click()
            page.wait_for_url(re.compile(r".*recorded=1$"))
            page.get_by_role("link", name="Back to the questions").click()
            page.get_by_role("link", name="P5 Customer Trust & Communication").click()
            for fact in ("at_first_turn", "clear_on_handover"):
                box = page.locator(f"fieldset.q[data-name='systems[voice-ivr].disclosure.{fact}']")
                with page.expect_response(re.compile(r".*/answer$")):
                    box.get_by_label("Yes", exact=True).check()
            page.locator(
                "fieldset.q[data-name='systems[voice-ivr].disclosure.method'] select"
            ).select_option("spoken")
            page.get_by_role("button", name="Save", exact=True).click()
            page.wait_for_url(re.compile(r".*saved=1$"))
            page.locator(
                "fieldset.q[data-name='systems[voice-ivr].disclosure.at_first_turn']"
            ).scroll_into_view_if_needed()
            shot("web-step")
            page.get_by_role("button", name="Finish: record and see the report").click()
            page.wait_for_url(re.compile(r".*recorded=2$"))
            shot("web-report")
            page.get_by_role("link", name="Progress over time").click()
            shot("evolve-history")
            page.get_by_role("button", name="Compare").click()
            shot("evolve-compare")
            browser.close()
        store.close()
    return shots


if __name__ == "__main__":
    if "--web" in sys.argv:
        for made in web_screenshots(ROOT / "docs"):
            print(f"wrote {made}")
        sys.exit(0)
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    target = Path(args[0]) if args else ROOT / "docs" / "report-screenshot.png"
    screenshot(target, full="--full" in sys.argv)
    print(f"wrote {target}")
