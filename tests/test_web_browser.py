"""The Online Assessment in a real headless Chromium, as a person takes it.

Debian's Chromium (/usr/bin/chromium, from `.ci/install-browser.sh`) driven by Playwright, as
tests/test_report_browser.py does: a fresh profile, no network but the server on loopback (any
other request is refused and recorded). One assessment is taken from the start page to the
comparison of two recorded results; another browser takes it with JavaScript switched off.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.conftest import AS_OF, ROOT
from tests.test_report_browser import CHROMIUM, FLAGS
from tests.test_web_assessment import Site, assessment_site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with assessment_site(tmp_path_factory.mktemp("web-browser")) as found:
        yield found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield launched
        launched.close()


class Visit:
    """A browser context on the site, with every request it made elsewhere and every error."""

    def __init__(self, context: BrowserContext, site: Site) -> None:
        self.context, self.site = context, site
        self.elsewhere: list[str] = []
        self.errors: list[str] = []
        self.page = context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        context.route("**/*", self._only_the_site)

    def _only_the_site(self, route: object) -> None:
        request = route.request  # type: ignore[attr-defined]
        if request.url.startswith(self.site.base + "/"):
            route.continue_()  # type: ignore[attr-defined]
        else:
            self.elsewhere.append(request.url)
            route.abort()  # type: ignore[attr-defined]


def visit(browser: Browser, site: Site, script: bool = True) -> Iterator[Visit]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, java_script_enabled=script, accept_downloads=True
    )
    v = Visit(context, site)
    yield v
    context.close()
    # A page that refuses an answer is sent with status 422, which Chromium logs; nothing else.
    refused = "Failed to load resource: the server responded with a status of 422"
    assert v.elsewhere == [] and [e for e in v.errors if not e.startswith(refused)] == []


@pytest.fixture
def person(browser: Browser, site: Site) -> Iterator[Visit]:
    yield from visit(browser, site)


@pytest.fixture
def no_script(browser: Browser, site: Site) -> Iterator[Visit]:
    yield from visit(browser, site, script=False)


def start(v: Visit, label: str) -> Page:
    page = v.page
    page.goto(v.site.base + "/")
    page.get_by_label("Organisation name").first.fill(label)
    page.get_by_role("button", name="Start the assessment").click()
    page.wait_for_url(re.compile(r".*/step/systems$"))
    page.get_by_label("Add an AI system: its id").fill("web-chat")
    page.get_by_role("button", name="Add the system").click()
    page.wait_for_url(re.compile(r".*/step/systems\?saved=1$"))
    assert page.locator("ul.systems code").all_inner_texts() == ["web-chat"]
    page.get_by_role("button", name="Save and continue to P1 AI Governance & Strategy").click()
    page.wait_for_url(re.compile(r".*/step/P1$"))
    return page


def question(page: Page, path: str) -> object:
    return page.locator(f"fieldset.q[data-name='{path}']")


def test_a_person_takes_the_assessment_and_compares_two_results(
    person: Visit, tmp_path: Path
) -> None:
    page = start(person, "Acme Bank")
    documented = page.locator("fieldset.q[data-name='organisation.strategy.documented']")
    # Each answer is saved as it is given (the script), so a reload loses nothing.
    with page.expect_response(re.compile(r".*/answer$")):
        documented.get_by_label("Yes", exact=True).check()
    reviewed = page.locator("fieldset.q[data-name='organisation.strategy.last_reviewed'] input")
    with page.expect_response(re.compile(r".*/answer$")):
        reviewed.fill("2026-06-30")
    body = page.locator("fieldset.q[data-name='organisation.governance.body_exists']")
    with page.expect_response(re.compile(r".*/answer$")):
        body.get_by_label("Yes", exact=True).check()
    with page.expect_response(re.compile(r".*/answer$")):
        body.get_by_label("Don't know (skip)").check()
    expect(body.locator(".state")).to_have_text("SKIPPED · UNKNOWN")
    page.reload()
    assert documented.get_by_label("Yes", exact=True).is_checked()
    assert reviewed.input_value() == "2026-06-30"
    assert body.get_by_label("Don't know (skip)").is_checked()
    # The skipped question is listed as unknown beside the form, linked to its question.
    unknown = page.locator("#live ul.unknown a", has_text="organisation.governance.body_exists")
    assert unknown.is_visible()
    assert unknown.get_attribute("href", timeout=1000).endswith(  # type: ignore[union-attr]
        "/step/P1#" + (body.get_attribute("id") or "")
    )
    assert page.locator("#live svg#maturity-chart g.bar").count() == 6

    # A share of 72 is refused, with the range the facts schema gives.
    page.get_by_role("link", name="P4 Human-AI Collaboration").click()
    share = page.locator("fieldset.q[data-name='organisation.training.staff_trained_share']")
    assert "A number from 0 to 1" in share.locator(".qhint").inner_text()
    with page.expect_response(re.compile(r".*/answer$")):
        share.locator("input").fill("72")
        share.locator("input").dispatch_event("change")
    expect(share.locator(".error")).to_have_text(
        "`72` is out of range: give a number from 0 to 1 (a share is a fraction: 72% is 0.72)"
    )
    expect(share.locator(".error")).to_be_visible()

    # Finish: recorded, and the report with its verdict and roadmap.
    page.get_by_role("button", name="Finish: record and see the report").click()
    page.wait_for_url(re.compile(r".*/report\?recorded=\d+$"))
    first = page.locator(".verdict-word .word").inner_text()
    assert first in ("CERTIFIED", "NOT CERTIFIED", "UNDETERMINED")
    assert page.locator("#roadmap").is_visible() and page.locator("#maturity-chart").is_visible()

    # The exported facts give `aicxs check` the same verdict.
    with page.expect_download() as download:
        page.locator("#roadmap").get_by_role("link", name="Download the facts (YAML)").click()
    facts = tmp_path / download.value.suggested_filename
    download.value.save_as(facts)
    assert facts.name == "acme-bank.facts.yaml"
    check = subprocess.run(
        [str(Path(sys.executable).with_name("aicxs")), "check", str(person.site.policy),
         "--facts", str(facts), "--as-of", AS_OF],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert f"Verdict:  {first}\n" in check.stdout

    # Change an answer, record again, and compare the two.
    page.get_by_role("link", name="Back to the questions").click()
    page.get_by_role("link", name="P1 AI Governance & Strategy").click()
    with page.expect_response(re.compile(r".*/answer$")):
        body.get_by_label("No", exact=True).check()
    expect(body.locator(".state")).to_have_text("ANSWERED")
    page.get_by_role("button", name="Finish: record and see the report").click()
    page.wait_for_url(re.compile(r".*/report\?recorded=\d+$"))
    page.get_by_role("link", name="Progress over time").click()
    page.wait_for_url(re.compile(r".*/evolve/$"))
    chart = page.locator("svg[id^='evolution-']")
    expect(chart).to_be_visible()
    assert chart.locator("polyline").count() == 7
    # each series names its levels, record by record (not a Python object)
    expect(chart.locator("g.series title").first).to_have_text("Overall: 1, 1")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url(re.compile(r".*/evolve/compare\?a=\d+&b=\d+$"))
    flip = page.locator("#flip-P1\\.2")
    assert flip.is_visible(), page.locator("main").inner_text()
    assert "UNKNOWN → FAIL" in flip.locator("h3").inner_text()
    changed = flip.locator("table").inner_text()
    assert re.search(r"organisation\.governance\.body_exists\s+missing\s+false", changed)


UNLABELLED = """els => els.filter(e => !(e.labels && e.labels.length) && !e.getAttribute("aria-label"))
    .map(e => e.name || e.id)"""


def test_without_javascript_the_save_buttons_keep_every_answer(no_script: Visit) -> None:
    page = start(no_script, "Northwind <Utilities>")
    assert page.locator("h1").inner_text() == "Northwind <Utilities>"
    fields = page.locator("main input:not([type=hidden]), main select")
    assert fields.count() > 30 and fields.evaluate_all(UNLABELLED) == []  # every field labelled
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    question = page.locator("fieldset.q[data-name='organisation.strategy.documented']")
    question.get_by_label("No", exact=True).check()
    page.locator("fieldset.q[data-name='organisation.strategy.last_reviewed'] input").fill(
        "2026-01-15"
    )
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(re.compile(r".*/step/P1\?saved=1$"))
    page.reload()
    assert question.get_by_label("No", exact=True).is_checked()
    assert page.locator("p.saved[role=status]").inner_text() == "Saved."
    page.get_by_role("link", name="P4 Human-AI Collaboration").click()
    share = page.locator("fieldset.q[data-name='organisation.training.staff_trained_share'] input")
    share.fill("72")
    page.get_by_role("button", name=re.compile("^Save and continue")).click()
    alert = page.locator("fieldset.q.has-error .error")
    assert "give a number from 0 to 1" in alert.inner_text()
    assert share.input_value() == "72" and share.get_attribute("aria-invalid") == "true"
