"""The Online Assessment in a browser: a Starlette app mounted at `/assess` by `aicxs serve`
and `aicxs assess --web`.

Pages: `/assess/` (start, continue, import a facts file), `/assess/<draft>/step/<step>` (the
AI systems, then one pillar a page, with the live result beside the form), `.../answer` (one
answer, from the optional script), `.../facts.yaml` (export), `.../finish` (record in the
store) and `.../report` (the HTML report with the roadmap). Every answer is saved in the
store's database as it is given; every POST carries the browser's CSRF token; a browser sees
only the drafts it began. The policies, the store and the report's renderers are given by the
caller (`Config`), so this wing needs no other.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from aicxs.aicxs_dsl.diagnostics import DiagnosticError, render_text
from aicxs.aicxs_dsl.parser import decode
from aicxs.engine.loader import CompiledPolicy
from aicxs.engine.onboarding.answers import ITEM_ID
from aicxs.engine.onboarding.questionnaire import Session
from aicxs.engine.onboarding.questionnaire_plan import clauses_reading
from aicxs.engine.onboarding.roadmap import roadmap
from aicxs.engine.onboarding.scaffold import render_facts, slug_of
from aicxs.engine.onboarding.web import form, pages
from aicxs.engine.onboarding.web.drafts import Browser, Draft, Drafts
from aicxs.engine.outcome import Report
from aicxs.engine.store import Store
from aicxs.engine.types import key_field

COOKIE = "aicxs-browser"
COOKIE_AGE = 180 * 86400  # a draft can be resumed for six months from the same browser
MAX_IMPORT = 5 * 1024 * 1024
PREFIX = "/assess"


@dataclass(frozen=True)
class Config:
    policies: Callable[[], Mapping[str, CompiledPolicy]]  # by policy id, in the order shown
    store: Store
    renderers: pages.Renderers
    as_of: dt.date | None = None  # a fixed evaluation date (tests, reproducible demos)
    evolve: str = "/evolve/"  # where the Evolve pages are
    secure_cookie: bool = False  # only over HTTPS


def assessment_routes(config: Config) -> list[BaseRoute]:
    """The routes to mount into a Starlette app: `/assess/...` and `/` leading there."""
    app = Starlette(
        routes=[
            Route("/", _threaded(home), methods=["GET"]),
            Route("/start", _threaded(start), methods=["POST"]),
            Route("/import", _threaded(import_facts), methods=["POST"]),
            Route("/{draft}/", _threaded(overview), methods=["GET"]),
            Route("/{draft}/step/{step}", _threaded(show_step), methods=["GET"]),
            Route("/{draft}/step/{step}", _threaded(save_step), methods=["POST"]),
            Route("/{draft}/systems", _threaded(change_systems), methods=["POST"]),
            Route("/{draft}/answer", _threaded(save_answer), methods=["POST"]),
            Route("/{draft}/facts.yaml", _threaded(export), methods=["GET"]),
            Route("/{draft}/report", _threaded(report_page), methods=["GET"]),
            Route("/{draft}/finish", _threaded(finish), methods=["POST"]),
        ],
        exception_handlers={HTTPException: _on_http_error},
    )
    app.state.config = config
    app.state.drafts = Drafts(config.store.engine)
    return [Route("/", _to_assessment, methods=["GET"]), Mount(PREFIX, app=app)]


async def _to_assessment(request: Request) -> Response:
    return RedirectResponse(f"{PREFIX}/", 303)


# ---- sessions, CSRF and the open draft ------------------------------------------------------


def _config(request: Request) -> Config:
    config: Config = request.app.state.config
    return config


def _drafts(request: Request) -> Drafts:
    drafts: Drafts = request.app.state.drafts
    return drafts


def _browser(request: Request) -> Browser | None:
    return _drafts(request).browser(request.cookies.get(COOKIE))


def _threaded(work: Callable[[Request, Any], Response]) -> Callable[[Request], Any]:
    """An endpoint whose work (the database, evaluations) runs in a worker thread, off the
    event loop; a POST's form is read first."""

    async def endpoint(request: Request) -> Response:
        got = None
        if request.method == "POST":
            got = await request.form(max_files=1, max_fields=5000, max_part_size=MAX_IMPORT)
        return await anyio.to_thread.run_sync(work, request, got)

    return endpoint


def _checked(request: Request, got: Any) -> Browser:
    """The browser that posted the form, once the form's CSRF token is that browser's own."""
    browser = _browser(request)
    token = got.get("csrf") if got is not None else None
    if (
        browser is None
        or not isinstance(token, str)
        or not secrets.compare_digest(token.encode(), browser.csrf.encode())
    ):
        raise HTTPException(
            403,
            "This form has expired or was not sent by this site. Reload the page and try again.",
        )
    return browser


@dataclass
class Opened:
    browser: Browser
    draft: Draft
    compiled: CompiledPolicy
    session: Session
    skipped: set[str]
    as_of: dt.date

    @property
    def base(self) -> str:
        return f"{PREFIX}/{self.draft.id}"

    def facts_name(self) -> str:
        return f"{slug_of(self.draft.label) or 'assessment'}.facts.yaml"


def _open(request: Request, browser: Browser | None = None) -> Opened:
    browser = browser or _browser(request)
    ident = request.path_params["draft"]
    draft = _drafts(request).get(browser, ident) if browser is not None else None
    if draft is None:
        raise HTTPException(404, "There is no such assessment in this browser.")
    config = _config(request)
    compiled = config.policies().get(draft.policy)
    if compiled is None:
        raise HTTPException(
            409,
            f"The policy `{draft.policy}` of this assessment is no longer served. Its answers "
            f"are kept: download them at {PREFIX}/{draft.id}/facts.yaml.",
        )
    as_of = config.as_of or dt.date.today()
    try:
        doc = compiled.parse_facts(draft.facts_text, "assessment.facts.yaml")
    except DiagnosticError:  # the served policy changed, and its facts no longer fit
        raise HTTPException(
            409,
            f"The policy `{draft.policy}` has changed since this assessment began, and its "
            f"answers no longer fit it. They are kept: download them at {PREFIX}/{draft.id}/"
            "facts.yaml, correct them, and import them to continue.",
        ) from None
    session = Session(compiled, doc.data, doc.evidence, as_of)
    return Opened(browser, draft, compiled, session, set(draft.skipped), as_of)  # type: ignore[arg-type]


def _facts_text(opened: Opened) -> str:
    compiled, std = opened.compiled, opened.compiled.standard
    title = (
        f"{opened.draft.label or compiled.policy.title} — facts for the {std.name} assessment "
        f"(policy {compiled.policy.name}), recorded with the Online Assessment"
    )
    return render_facts(compiled.vocabulary, opened.session.data, title, opened.session.evidence)


def _save(request: Request, opened: Opened) -> None:
    _drafts(request).save(opened.draft.id, _facts_text(opened), opened.skipped)


def _report(opened: Opened, explain: str = "none") -> tuple[Report, Any]:
    facts = opened.compiled.parse_facts(_facts_text(opened), opened.facts_name())
    return opened.compiled.evaluate(facts, opened.as_of, explain=explain), facts  # type: ignore[arg-type]


def _page(request: Request, template: str, status: int = 200, **data: Any) -> Response:
    page, policy = pages.render(template, _config(request).renderers, **data)
    return HTMLResponse(page, status, headers=_headers(policy))


def _headers(policy: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": policy,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
    }


async def _on_http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    heading = {403: "Not allowed", 404: "Not found", 409: "The policy has changed"}.get(
        exc.status_code, "Something is wrong"
    )
    message = (
        str(exc.detail)
        if exc.status_code != 404 or exc.detail != "Not Found"
        else ("There is nothing at this address.")
    )
    return _page(
        request, "message.html.j2", exc.status_code, title=heading, eyebrow="", heading=heading,
        message=message, details="", links={"home": f"{PREFIX}/"},
    )  # fmt: skip


# ---- start, continue, import ----------------------------------------------------------------


def home(request: Request, got: Any) -> Response:
    browser, cookie = _browser(request), None
    if browser is None:
        cookie, browser = _drafts(request).new_browser()
    response = _start_page(request, browser)
    if cookie is not None:
        response.set_cookie(
            COOKIE, cookie, max_age=COOKIE_AGE, path="/", httponly=True, samesite="lax",
            secure=_config(request).secure_cookie or request.url.scheme == "https",
        )  # fmt: skip
    return response


def _start_page(request: Request, browser: Browser, status: int = 200, **extra: Any) -> Response:
    policies = [
        {
            "id": pid,
            "title": c.policy.title,
            "standard": c.standard.name,
            "target": c.policy.target,
        }
        for pid, c in _config(request).policies().items()
    ]
    drafts = [{**d.__dict__, "href": f"{PREFIX}/{d.id}/"} for d in _drafts(request).of(browser)]
    links = {
        "start": f"{PREFIX}/start",
        "import": f"{PREFIX}/import",
        "evolve": _config(request).evolve,
    }
    return _page(
        request, "start.html.j2", status, title="Online Assessment",
        eyebrow="AI in customer experience", csrf=browser.csrf, policies=policies,
        drafts=drafts, links=links, **extra,
    )  # fmt: skip


def _policy(request: Request, wanted: Any) -> CompiledPolicy:
    compiled = _config(request).policies().get(str(wanted or ""))
    if compiled is None:
        raise HTTPException(404, "There is no such policy to assess against.")
    return compiled


def start(request: Request, got: Any) -> Response:
    browser = _checked(request, got)
    compiled = _policy(request, got.get("policy"))
    label = str(got.get("label") or "").strip()[:200]
    title = f"{label or compiled.policy.title} — facts, recorded with the Online Assessment"
    text = render_facts(compiled.vocabulary, {}, title)
    ident = _drafts(request).create(browser, compiled.policy.name, label, text)
    return RedirectResponse(f"{PREFIX}/{ident}/step/{form.SYSTEMS}", 303)


def import_facts(request: Request, got: Any) -> Response:
    browser = _checked(request, got)
    compiled = _policy(request, got.get("policy"))
    upload = got.get("facts")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise HTTPException(400, "Choose a facts file to import.")
    name = upload.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:120]
    data = upload.file.read(MAX_IMPORT + 1)
    try:
        if len(data) > MAX_IMPORT:
            raise HTTPException(413, f"The file is larger than {MAX_IMPORT // 1048576} MiB.")
        text = decode(name, data)
        shown = name if name.endswith(".json") else re.sub(r"\.json$", "", name)
        doc = compiled.parse_facts(text, shown)
    except DiagnosticError as err:
        problem = f"`{name}` cannot be imported"
        details = render_text(err.diagnostics)
        return _start_page(request, browser, 422, problem=problem, details=details)
    label = str(got.get("label") or "").strip()[:200] or name.split(".")[0]
    title = f"{label} — facts, recorded with the Online Assessment"
    text = render_facts(compiled.vocabulary, doc.data, title, doc.evidence)
    ident = _drafts(request).create(browser, compiled.policy.name, label, text)
    return RedirectResponse(f"{PREFIX}/{ident}/step/{form.SYSTEMS}", 303)


def overview(request: Request, got: Any) -> Response:
    return RedirectResponse(f"{PREFIX}/{request.path_params['draft']}/step/{form.SYSTEMS}", 303)


# ---- the steps ------------------------------------------------------------------------------


def _step(opened: Opened, ident: str) -> form.Step:
    for s in form.steps(opened.session):
        if s.id == ident:
            return s
    raise HTTPException(404, f"This assessment has no step `{ident}`.")


def _links(opened: Opened, step: str = form.SYSTEMS, evolve: str = "/evolve/") -> dict[str, str]:
    base = opened.base
    return {
        "home": f"{PREFIX}/",
        "step": f"{base}/step/{step}",
        "systems": f"{base}/systems",
        "answer": f"{base}/answer",
        "export": f"{base}/facts.yaml",
        "report": f"{base}/report",
        "finish": f"{base}/finish",
        "evolve": evolve,
        "csrf": opened.browser.csrf,
    }


def _live(
    request: Request, opened: Opened, current: str = form.SYSTEMS
) -> tuple[dict[str, Any], dict[str, str]]:
    """The live result; its unknown facts list this step's first, the skipped ones foremost."""
    report, _ = _report(opened)
    session, base = opened.session, opened.base
    steps = {p: form.step_of(session, p) for p in report.missing_facts}
    links = {p: f"{base}/step/{steps[p]}#{form.field_id(p)}" for p in report.missing_facts}
    panel = pages.live(report, _config(request).renderers, links)
    order = list(report.missing_facts)
    ranked = sorted(order, key=lambda p: (steps[p] != current, p not in opened.skipped))
    panel["unknown"] = [{"path": p, "href": links[p]} for p in ranked[: pages.UNKNOWN_SHOWN]]
    return panel, links


def _step_response(
    request: Request, opened: Opened, step: form.Step, status: int = 200, **extra: Any
) -> Response:
    session = opened.session
    clauses = clauses_reading(opened.compiled)
    all_steps = form.steps(session)
    index = [s.id for s in all_steps].index(step.id)
    sections = form.sections(session, step, clauses, opened.skipped, extra.pop("typed", None))
    hidden = sum(1 for sec in sections for f in sec.fields if not f.relevant)
    panel, _ = _live(request, opened, step.id)
    config = _config(request)
    return _page(
        request,
        "step.html.j2",
        status,
        title=opened.draft.label or opened.compiled.policy.title,
        eyebrow=f"{opened.compiled.standard.name} · policy {opened.compiled.policy.name}",
        step=step,
        steps=[
            {
                "title": s.title,
                "href": f"{opened.base}/step/{s.id}",
                "current": s.id == step.id,
                "progress": form.progress(session, s, opened.skipped),
            }
            for s in all_steps
        ],
        next=all_steps[index + 1] if index + 1 < len(all_steps) else None,
        progress=form.progress(session, step, opened.skipped),
        sections=sections,
        hidden=hidden,
        units=form.UNITS,
        systems=_systems(opened),
        csrf=opened.browser.csrf,
        links=_links(opened, step.id, config.evolve),
        live=panel,
        saved=request.query_params.get("saved") == "1",
        refused=extra.pop("refused", 0),
        new_id=extra.pop("new_id", ""),
        id_error=extra.pop("id_error", ""),
    )


def _systems(opened: Opened) -> list[dict[str, Any]]:
    out = []
    for name in opened.session.item_lists():
        record = opened.compiled.vocabulary.fields[name].type.item
        key = (key_field(record) if record is not None else None) or "id"
        items = opened.session.data.get(name) or []
        out += [{"id": str(item.get(key)), "index": i} for i, item in enumerate(items)]
    return out


def show_step(request: Request, got: Any) -> Response:
    opened = _open(request)
    return _step_response(request, opened, _step(opened, request.path_params["step"]))


def save_step(request: Request, got: Any) -> Response:
    browser = _checked(request, got)
    opened = _open(request, browser)
    step = _step(opened, request.path_params["step"])
    fields = {k: v for k, v in got.items() if isinstance(v, str)}
    outcome = form.apply(
        opened.session, form.questions_of(opened.session, step), fields, opened.skipped
    )
    _save(request, opened)
    if outcome.refused:
        return _step_response(
            request, opened, step, 422, typed=outcome.refused, refused=len(outcome.refused)
        )
    go = fields.get("go", "stay")
    steps = [s.id for s in form.steps(opened.session)]
    if go == "report":
        return RedirectResponse(f"{opened.base}/report", 303)
    if go == "next" and step.id != steps[-1]:
        return RedirectResponse(f"{opened.base}/step/{steps[steps.index(step.id) + 1]}", 303)
    return RedirectResponse(f"{opened.base}/step/{step.id}?saved=1", 303)


def change_systems(request: Request, got: Any) -> Response:
    browser = _checked(request, got)
    opened = _open(request, browser)
    session = opened.session
    lists = session.item_lists()
    if not lists:
        raise HTTPException(404, "This policy's facts have no list of systems.")
    name = lists[0]
    record = opened.compiled.vocabulary.fields[name].type.item
    key = (key_field(record) if record is not None else None) or "id"
    items: list[dict[str, Any]] = session.data.setdefault(name, [])
    removed = got.get("remove")
    if isinstance(removed, str) and removed.isdigit() and int(removed) < len(items):
        gone = str(items.pop(int(removed)).get(key))
        opened.skipped = {s for s in opened.skipped if not s.startswith(f"{name}[{gone}]")}
    else:
        ident = str(got.get("add") or "").strip()
        error = ""
        if not ITEM_ID.fullmatch(ident):
            error = "An id is letters, digits, `-`, `_` or `.` (at most 80), e.g. web-chat."
        elif ident in {str(i.get(key)) for i in items}:
            error = f"`{ident}` is already listed: give each system its own id."
        if error:
            step = _step(opened, form.SYSTEMS)
            return _step_response(request, opened, step, 422, new_id=ident, id_error=error)
        items.append({key: ident})
    _save(request, opened)
    return RedirectResponse(f"{opened.base}/step/{form.SYSTEMS}?saved=1", 303)


def save_answer(request: Request, got: Any) -> Response:
    """One answer from the script: saved at once; the reply says whether it was refused, which
    questions of the page can still matter, and the live result."""
    browser = _checked(request, got)
    opened = _open(request, browser)
    wanted = str(got.get("question") or "")
    session = opened.session
    step = next(
        (
            s
            for s in form.steps(session)
            if any(q.shown == wanted for q in form.questions_of(session, s))
        ),
        None,
    )
    if step is None:
        raise HTTPException(404, f"This assessment asks no question `{wanted}`.")
    q = next(q for q in form.questions_of(session, step) if q.shown == wanted)
    fields = {k: v for k, v in got.items() if isinstance(v, str)}
    outcome = form.apply(session, [q], fields, opened.skipped)
    _save(request, opened)
    error = outcome.refused.get(q.shown, ("", ""))[1]
    state = "ANSWERED" if session.value(q) is not None else "SKIPPED · UNKNOWN"
    panel, _ = _live(request, opened, step.id)
    p = form.progress(session, step, opened.skipped)
    body = {
        "error": error,
        "state": "" if error else state,
        "relevant": {x.shown: session.relevant(x) for x in form.questions_of(session, step)},
        "live": pages.live_html(panel, _links(opened, step.id, _config(request).evolve)),
        "progress": f"{p.answered} answered, {p.skipped} skipped, {p.todo} to answer",
    }
    # 200 even when the answer is refused: the request did what it should (said why).
    return Response(pages.json_body(body), media_type="application/json")


# ---- the facts, the report, the record ------------------------------------------------------


def export(request: Request, got: Any) -> Response:
    browser = _browser(request)
    draft = _drafts(request).get(browser, request.path_params["draft"]) if browser else None
    if draft is None:
        raise HTTPException(404, "There is no such assessment in this browser.")
    name = f"{slug_of(draft.label) or 'assessment'}.facts.yaml"
    return Response(
        draft.facts_text,
        media_type="application/yaml; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def report_page(request: Request, got: Any) -> Response:
    opened = _open(request)
    recorded = request.query_params.get("recorded", "")
    page = _final_page(opened, _config(request), int(recorded) if recorded.isdigit() else None)
    return HTMLResponse(page, headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"})


def _final_page(opened: Opened, config: Config, recorded: int | None) -> str:
    report, facts = _report(opened, "fails")
    plan = roadmap(opened.compiled, facts, opened.as_of)
    links = _links(opened, evolve=config.evolve)
    section: Markup = pages.roadmap_section(plan, links, recorded)
    return config.renderers.report_html(report, opened.compiled, section)


def finish(request: Request, got: Any) -> Response:
    browser = _checked(request, got)
    opened = _open(request, browser)
    config = _config(request)

    def keep() -> int:
        report, facts = _report(opened, "full")
        label = opened.draft.label or opened.compiled.policy.title
        return config.store.record(report, opened.compiled, facts, "web", label).id

    ident = keep()
    return RedirectResponse(f"{opened.base}/report?recorded={ident}", 303)
