"""The HTML report of every example organisation, opened in a real headless Chromium.

Debian's Chromium (/usr/bin/chromium, installed by `.ci/install-browser.sh`) driven by
Playwright, with a fresh profile and no network: each page must draw its maturity chart and its
per-pillar tables (non-zero boxes), open an explanation when its summary is clicked, run its
print script under its own Content-Security-Policy, and request nothing but its own file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, sync_playwright

from tests.conftest import AS_OF, ROOT, run_cli

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
EXAMPLES = sorted(p.stem for p in (ROOT / "policies").glob("*.aicx"))
# A result to open in each example: one that does not pass, and a fact its explanation shows.
OPEN = {
    "insurer": ("P3.6", "claims-triage"),
    "retail-bank": ("P2.4", "systems[voice-ivr].model_documentation.model_card"),
    "startup": ("P1.1", "organisation.strategy.last_reviewed"),
    "telecom": ("P4.2", "voice-ivr"),
}


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """One Chromium for the module, with a fresh user-data-dir."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=FLAGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()


class Opened:
    """A report page, with every request it made and every error it logged."""

    def __init__(self, name: str, page: Page, url: str) -> None:
        self.name = name
        self.page = page
        self.url = url
        self.requests: list[str] = []
        self.errors: list[str] = []


@pytest.fixture(params=EXAMPLES)
def opened(
    request: pytest.FixtureRequest, browser: BrowserContext, tmp_path: Path
) -> Iterator[Opened]:
    name = request.param
    target = tmp_path / f"{name}.html"
    r = run_cli(
        "check", f"policies/{name}.aicx", "--facts", f"policies/{name}.facts.yaml",
        "--as-of", AS_OF, "--format", "html", "-o", str(target),
    )  # fmt: skip
    assert r.exit_code in (0, 1) and r.stderr == f"wrote the report to {target}\n"
    page = browser.new_page()
    seen = Opened(name, page, target.as_uri())
    page.on("request", lambda req: seen.requests.append(req.url))
    page.on("console", lambda msg: seen.errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: seen.errors.append(str(err)))
    # Anything but the file itself is refused before it leaves the browser (and recorded above).
    page.route(
        "**/*", lambda route: route.continue_() if route.request.url == seen.url else route.abort()
    )
    page.goto(seen.url)
    page.wait_for_load_state("load")
    yield seen
    page.close()


def box(page: Page, selector: str) -> dict[str, Any]:
    found = page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not rendered"
    return dict(found)


def test_chart_is_drawn(opened: Opened) -> None:
    page = opened.page
    chart = box(page, "#maturity-chart")
    assert chart["width"] > 400 and chart["height"] > 150
    assert page.locator("#maturity-chart").is_visible()
    bars = page.locator("#maturity-chart g.bar")
    assert bars.count() == 6
    for i in range(6):
        bar = bars.nth(i)
        assert bar.locator("text.pillar-label").bounding_box()["width"] > 50  # type: ignore[index]
        level = int((bar.locator("text.value-label").text_content() or "").split()[0])
        drawn = bar.locator("rect[class^='bar-']").bounding_box()
        assert drawn is not None and drawn["height"] > 5
        assert (drawn["width"] > 10) == (level > 0)
    assert box(page, "#maturity-chart line.target")["height"] > 150
    title = page.locator("#chart-title").text_content() or ""
    assert title.startswith("Maturity level per pillar against the target level")


def test_pillar_tables_are_visible(opened: Opened) -> None:
    page = opened.page
    tables = page.locator("table.pillar-table")
    assert tables.count() == 6
    for i in range(6):
        table = tables.nth(i)
        table.scroll_into_view_if_needed()
        assert table.is_visible()
        found = table.bounding_box()
        assert found is not None and found["width"] > 600 and found["height"] > 100
        first_row = table.locator("tbody.result tr").first
        assert first_row.locator(".badge").is_visible()
    assert page.locator("#key-requirements table").is_visible()
    assert page.locator(".verdict-word .word").inner_text() in (
        "CERTIFIED",
        "NOT CERTIFIED",
        "UNDETERMINED",
    )


def test_sign_off_block_is_drawn_with_room_to_sign(opened: Opened) -> None:
    page = opened.page
    block = page.locator("#sign-off")
    block.scroll_into_view_if_needed()
    assert block.is_visible()
    digests = page.locator("#sign-off code.digest")
    assert digests.count() == 3
    for i in range(3):
        assert len(digests.nth(i).inner_text()) == 64
        assert digests.nth(i).bounding_box()["width"] > 100  # type: ignore[index]
    blanks = page.locator("#sign-off .blank")
    assert blanks.count() == 4
    for i in range(4):
        line = blanks.nth(i).bounding_box()
        assert line is not None and line["width"] > 150  # a line long enough to write on


def test_explanation_opens(opened: Opened) -> None:
    page = opened.page
    ident, shown = OPEN[opened.name]
    details = page.locator(f"[id='why-{ident}']")
    body = details.locator(".explanation")
    assert not body.is_visible()
    details.locator("summary").click()
    body.wait_for(state="visible")
    assert body.is_visible()
    assert box(page, f"[id='why-{ident}'] .explanation")["height"] > 40
    assert shown in body.inner_text()
    details.locator("summary").click()
    body.wait_for(state="hidden")


def test_print_opens_every_explanation(opened: Opened) -> None:
    """The page's one script runs under its Content-Security-Policy: printing shows all."""
    page = opened.page
    total = page.locator("details").count()
    assert total > 30
    page.evaluate("dispatchEvent(new Event('beforeprint'))")
    assert page.locator("details[open]").count() == total
    page.evaluate("dispatchEvent(new Event('afterprint'))")
    assert page.locator("details[open]").count() == 0


def test_page_requests_nothing_but_itself(opened: Opened) -> None:
    page = opened.page
    page.locator("summary").first.click()
    page.mouse.wheel(0, 20000)
    page.wait_for_timeout(100)
    assert opened.requests == [opened.url]
    assert opened.errors == []
