"""`aicxs init`, `aicxs assess` and `aicxs roadmap`: getting an organisation started."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from aicxs.aicxs_dsl.escape import json_dumps
from aicxs.engine.console import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    as_of_option,
    echo,
    emit,
    evaluation_date,
    facts_option,
    guarded,
    make_style,
    output_options,
    use_colour,
)
from aicxs.engine.evolve.cli import store_option

_MINIMAL_POLICY = """\
policy assessment implements {standard} {version} {{
  title "Online Assessment"
  target level {target}
}}
"""


@click.command()
@click.argument("directory", metavar="[DIR]", default=".", required=False)
@click.option("--org", required=True, metavar="NAME", help="The organisation's name.")
@click.option(
    "--target",
    type=int,
    metavar="LEVEL",
    help="The maturity level to certify at (default: the first level with clauses, 2).",
)
@click.option("--force", is_flag=True, help="Overwrite the files if they exist.")
@guarded
def init(directory: str, org: str, target: int | None, force: bool) -> int:
    """Start a policy and a facts template for an organisation, in DIR (default: here)."""
    from aicxs.aicxs_dsl.diagnostics import Diagnostic, render_text
    from aicxs.aicxs_dsl.words import count
    from aicxs.engine.files import write_atomic
    from aicxs.engine.loader import environ_as_of, load_standard
    from aicxs.engine.onboarding.scaffold import scaffold, slug_of

    std = load_standard().standard
    if not slug_of(org):
        raise click.BadParameter(
            f"`{org}` has no letter or digit to name the files after", param_hint="--org"
        )
    target = _first_level(std) if target is None else target
    _check_level(std, target, "--target")
    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise click.BadParameter(f"`{folder}` is a file, not a folder", param_hint="DIR")
    made = scaffold(org, target, std, std.vocabulary, environ_as_of() or dt.date.today())
    policy_path = folder / f"{made.slug}.aicx"
    facts_path = folder / f"{made.slug}.facts.yaml"
    schema_path = folder / f"{made.slug}.schema.json"  # for editors: see _with_schema
    taken = [p for p in (policy_path, facts_path, schema_path) if p.exists()]
    if taken and not force:
        help_ = "pass `--force` to overwrite it, or choose another DIR or `--org`"
        found = [
            Diagnostic("aicxs_file_exists", "the file already exists", None, help_, path=str(p))
            for p in taken
        ]
        echo(render_text(found) + "\n\nnothing was written", err=True)
        return EXIT_INVALID
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(policy_path, made.policy_text)
    write_atomic(schema_path, _facts_schema(made.policy_text, policy_path))
    write_atomic(facts_path, _with_schema(made.facts_text, schema_path))
    level = std.levels[target].name
    echo(
        f"created {policy_path}: policy `{made.name}`, {std.name} at target level {target} "
        f"({level}), tailoring examples in comments"
    )
    echo(
        f"created {facts_path}: {count(made.facts_count, 'fact')} with their questions, all "
        "unknown (an example system in comments: `assess` adds yours)"
    )
    echo(
        f"created {schema_path}: the JSON Schema of the facts, which editors with the YAML "
        f"language server read (the first line of {facts_path.name} names it)"
    )
    echo("\nnext: answer the questions, then see the verdict and what to do:")
    echo(f"  aicxs assess {policy_path} -o {facts_path}")
    echo(f"  aicxs check {policy_path} --facts {facts_path}")
    echo(f"  aicxs roadmap {policy_path} --facts {facts_path}")
    return EXIT_OK


def _facts_schema(policy_text: str, policy_path: Path) -> str:
    """What `aicxs schema POLICY` prints for the scaffolded policy."""
    from aicxs.aicxs_dsl import parse_text
    from aicxs.engine.loader import compile_policy

    schema = compile_policy(parse_text(policy_text, str(policy_path))).schema
    return json_dumps(schema) + "\n"


def _with_schema(facts_text: str, schema_path: Path) -> str:
    """The facts template with the modeline by which the YAML language server (VS Code's
    YAML extension, and other editors') validates and completes it against the schema file
    beside it: the path is relative to the facts file."""
    return f"# yaml-language-server: $schema={schema_path.name}\n{facts_text}"


def _first_level(std: Any) -> int:
    """The lowest level some clause is expected at (2 for AICXS 2024)."""
    levels: list[int] = [c.level for c in std.clauses.values()] or list(std.levels)
    return min(levels)


def _check_level(std: Any, level: int, option: str) -> None:
    if level not in std.levels:
        known = ", ".join(f"{n} ({lv.name})" for n, lv in sorted(std.levels.items()))
        raise click.BadParameter(
            f"{std.name} has no level {level}; its levels are {known}", param_hint=option
        )


@click.command()
@click.argument("policy_path", metavar="[POLICY]", required=False)
@click.option(
    "--policy",
    "policy_option",
    metavar="FILE",
    help="Deprecated: give the POLICY as an argument, as every other command takes it.",
)
@click.option(
    "-o",
    "--output",
    default="facts.yaml",
    show_default=True,
    metavar="FILE",
    help="Where the answers are written; an existing file is resumed.",
)
@click.option(
    "--answers",
    "answers_path",
    metavar="FILE",
    help="Answers by fact path (YAML), for a run that asks nothing.",
)
@click.option(
    "--ask-skipped",
    is_flag=True,
    help="Ask again the questions an earlier run was told to skip (listed in the facts "
    "file under `skipped:`).",
)
@as_of_option
@click.option(
    "--web",
    is_flag=True,
    help="Take the assessment in a web browser instead: start it on this computer and print "
    "the address to open.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8181,
    show_default=True,
    help="With --web: the port (0: any free one).",
)
@store_option
@guarded
def assess(
    policy_path: str | None,
    policy_option: str | None,
    output: str,
    answers_path: str | None,
    ask_skipped: bool,
    as_of: str | None,
    web: bool,
    port: int,
    store_url: str | None,
) -> int:
    """The Online Assessment of POLICY (default: the bundled standard as it is): answer
    questions, get the facts file and a first verdict. At any question, `back` takes the
    previous answer back; Enter or `skip` leaves a fact unknown and is remembered."""
    from aicxs.aicxs_dsl.words import count
    from aicxs.engine.onboarding.progress import interrupted, resuming
    from aicxs.engine.render import report_text

    policy_path = _policy_argument(policy_path, policy_option)
    if web:
        given = click.get_current_context().get_parameter_source("output")
        if answers_path is not None or given is click.core.ParameterSource.COMMANDLINE:
            raise click.UsageError(
                "`--answers` and `-o` are for the questionnaire in the terminal; with `--web` "
                "the answers are kept in the store, and the browser downloads the facts file"
            )
        return _assess_web(policy_path, as_of, port, store_url)
    date = evaluation_date(as_of)
    compiled = _assessed_policy(policy_path)
    out = Path(output)
    if not out.parent.is_dir():
        raise click.BadParameter(f"folder `{out.parent}` does not exist", param_hint="-o")
    session = _session(compiled, out, date, ask_skipped, answers_path is None)
    answers = _answers(session, answers_path) if answers_path else None
    std = compiled.standard
    echo(f"Online Assessment · {std.name} · policy {compiled.policy.name}")
    if out.exists():
        echo(resuming(session, out))
    if answers is None:
        echo(
            "Type `back` to change the previous answer. Enter or `skip` leaves a fact unknown "
            "and is not asked again (`--ask-skipped` asks those). Ctrl-C stops; the answers so "
            "far are kept, and the same command goes on from there."
        )
    unsaved = []  # from an answers file, groups done are written at the end, if all is well

    def save() -> None:
        if answers is None:
            _save(session, out)
        else:
            unsaved.append(True)

    try:
        _drive(session, answers, save)
    except (click.exceptions.Abort, KeyboardInterrupt):
        saved = session.changed
        if saved:
            _save(session, out)
        echo(interrupted(session.recorded, saved, out), err=True)
        return EXIT_FAILED
    if answers is not None:
        answers.raise_problems()  # every mistake of the file at once; nothing written
    if unsaved or session.changed or not out.exists():
        _save(session, out)
    if answers is not None and answers.unused():
        echo(
            "\nnot asked, so not used (already answered, or the question does not apply): "
            + ", ".join(answers.unused())
        )
    left = session.asked - session.recorded
    echo(
        f"\n{count(session.recorded, 'answer')} recorded, {count(left, 'question')} left "
        f"unknown; the facts are in {out}.\n"
    )
    report = compiled.evaluate(compiled.load_facts(out), date, explain="none")
    colour = use_colour()
    echo(report_text(report, "none", make_style(colour)), nl=False, colours=colour)
    verdict: str = report.verdict
    return EXIT_OK if verdict == "certified" else EXIT_FAILED


def _policy_argument(argument: str | None, option: str | None) -> str | None:
    """POLICY, or the deprecated `--policy FILE` (still accepted, with a note on stderr)."""
    if option is None:
        return argument
    if argument is not None and argument != option:
        raise click.UsageError(
            f"two policies given: `{argument}` and `--policy {option}`; give one, as POLICY"
        )
    echo(
        f"note: `--policy` is deprecated; give the policy as an argument: "
        f"`aicxs assess {option} ...`",
        err=True,
    )
    return option


def _assessed_policy(policy_path: str | None) -> Any:
    from aicxs.aicxs_dsl import parse_text
    from aicxs.engine.loader import compile_policy, load_policy, load_standard

    if policy_path is not None:
        return load_policy(policy_path)
    std = load_standard().standard
    version, target = std.version_text, _first_level(std)
    text = _MINIMAL_POLICY.format(standard=std.id, version=version, target=target)
    return compile_policy(parse_text(text, f"(the bundled {std.name})"))


def _session(compiled: Any, out: Path, date: dt.date, ask_skipped: bool, interactive: bool) -> Any:
    from aicxs.engine.onboarding.questionnaire import Session

    doc = compiled.load_facts(out) if out.exists() else None
    return Session(
        compiled,
        doc.data if doc else None,
        doc.evidence if doc else None,
        date,
        doc.skipped if doc else None,
        ask_skipped=ask_skipped,
        remember_skips=interactive,
    )


def _answers(session: Any, path: str) -> Any:
    from aicxs.engine.onboarding.answers import load_answers
    from aicxs.engine.onboarding.questionnaire_plan import schema_bounds
    from aicxs.engine.onboarding.scaffold import leaves
    from aicxs.engine.types import key_field

    compiled = session.compiled
    vocabulary = compiled.vocabulary
    keys = {
        name: key_field(f.type.item) or ""
        for name, f in vocabulary.fields.items()
        if f.type.kind == "list" and f.type.item is not None and f.type.item.kind == "record"
    }
    types = {p: (f.type, schema_bounds(compiled.schema, p)) for p, f in leaves(vocabulary)}
    return load_answers(path, set(types), keys, types)


def _save(session: Any, out: Path) -> None:
    from aicxs.engine.files import write_atomic

    write_atomic(out, session.facts_text())
    session.changed = False


def _drive(session: Any, answers: Any, save: Callable[[], None]) -> None:
    """Run the questionnaire: show each step, and send back what is typed (or the file's
    answer). A completed group is saved (`save`)."""
    from aicxs.engine.onboarding.questionnaire import (
        AddItem,
        Ask,
        AskId,
        Confirm,
        GroupDone,
        GroupStart,
        Rejected,
        Undone,
    )

    steps = session.run()
    reply: str | None = None
    last, refused = "", ""
    shown: tuple[str, ...] = ()  # the items last listed
    while True:
        try:
            step = steps.send(reply)
        except StopIteration:
            return
        reply = None
        match step:
            case GroupStart():
                echo(f"\n== {step.title} ({step.label}) ==")
            case GroupDone(changed=True):
                save()
            case Undone():
                echo(f"  back: {step.what} is asked again")
            case Rejected() if answers is not None:
                answers.reject(last, step.message)  # reported with the others at the end
                refused = last
            case Rejected():
                echo(f"  invalid: {step.message}")
            case Ask() if answers is None:
                _show_question(step)
                reply = _typed(step)
            case Ask():
                last = step.question.shown
                reply = "" if last == refused else answers.answer(last)
                if reply:  # the transcript shows the questions the file answers
                    _show_question(step)
                    echo(f"{step.prompt}: {reply}")
            case Confirm() if answers is None:
                echo(f"\n{step.message}.")
                reply = _typed(step)
            case AddItem() | AskId() if answers is None:
                if isinstance(step, AddItem) and step.listed and step.listed != shown:
                    echo(f"  recorded so far: {', '.join(step.listed)}")
                    shown = step.listed
                reply = _typed(step)
            case Confirm():
                reply = "y" if step.item in answers.items.get(step.list_name, []) else "n"
                echo(f"{step.message}. {step.prompt}: {reply}")
            case AddItem() | AskId():
                listed = list(step.listed)
                ident = answers.next_item(step.list_name, listed)
                reply = ("y" if ident else "n") if isinstance(step, AddItem) else ident or ""
                echo(f"{step.prompt}: {reply}")


def _show_question(step: Any) -> None:
    q = step.question
    optional = " (optional)" if q.fact.declared.optional else ""
    echo(f"\n[{step.label}, question {step.number} of {step.total}] {q.shown}{optional}")
    if q.type.kind == "enum":
        choices = "  ".join(f"{n}={v}" for n, v in enumerate(q.type.values, start=1))
        echo(f"  choices: {choices}")


def _typed(step: Any) -> str:
    from aicxs.aicxs_dsl.escape import printable

    return str(click.prompt(printable(step.prompt), default="", show_default=False))


@click.command()
@click.argument("policy")
@facts_option
@click.option(
    "--to-level",
    "to_level",
    type=int,
    metavar="N",
    help="The maturity level to plan for (default: the next one).",
)
@as_of_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@output_options("the roadmap")
@guarded
def roadmap(
    policy: str,
    facts_path: str,
    to_level: int | None,
    as_of: str | None,
    fmt: str,
    output: str | None,
) -> int:
    """What to fix to reach the next level (or N) and certification, prerequisites first."""
    from aicxs.engine import load_policy
    from aicxs.engine.onboarding.roadmap import roadmap as plan_roadmap
    from aicxs.engine.onboarding.roadmap_report import roadmap_json, roadmap_text

    compiled = load_policy(policy)
    if to_level is not None:
        _check_level(compiled.standard, to_level, "--to-level")
    plan = plan_roadmap(compiled, compiled.load_facts(facts_path), evaluation_date(as_of), to_level)
    if fmt == "json":
        emit(json_dumps(roadmap_json(plan)) + "\n", output)
    else:
        emit(roadmap_text(plan), output)
    return EXIT_FAILED if plan.steps else EXIT_OK


# ---- the web assessment ---------------------------------------------------------------------


def web_routes(
    store: Any, policies: Callable[[], dict[str, Any]], as_of: dt.date | None
) -> list[Any]:
    """The web assessment and the Evolve pages, as routes to serve: the CLI wires the wings
    together (the assessment shows the HTML report's chart and page, made by `reports`)."""
    from aicxs.engine.evolve.web import evolve_routes
    from aicxs.engine.onboarding.web.app import Config, assessment_routes
    from aicxs.engine.onboarding.web.pages import Renderers
    from aicxs.engine.reports.html import maturity_chart_svg, report_css, report_html

    renderers = Renderers(
        lambda report, compiled, extra: report_html(report, compiled, "fails", extra),
        maturity_chart_svg,
        report_css(),
    )
    config = Config(policies, store, renderers, as_of)
    return [*assessment_routes(config), *evolve_routes(store)]


def bundled_assessment() -> Any:
    """The bundled standard as it is, as a policy to assess against."""
    return _assessed_policy(None)


WEB_MODULES = ("starlette", "uvicorn", "anyio", "sqlalchemy", "multipart")


def require_web_extra() -> None:
    """The web assessment's dependencies are an extra; say which to install when missing."""
    import importlib.util

    missing = [m for m in WEB_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise click.UsageError(
            f"the web assessment needs its dependencies ({', '.join(missing)} missing): "
            "pip install 'aicxs[web]'"
        )


def _assess_web(
    policy_path: str | None, as_of: str | None, port: int, store_url: str | None
) -> int:
    import gc
    import socket

    require_web_extra()
    import uvicorn
    from starlette.applications import Starlette

    from aicxs.engine.evolve.cli import open_store
    from aicxs.engine.loader import environ_as_of

    date = evaluation_date(as_of) if as_of else environ_as_of()  # None: today, every request
    compiled = _assessed_policy(policy_path)
    store = open_store(store_url)
    app = Starlette(routes=web_routes(store, lambda: {compiled.policy.name: compiled}, date))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as err:
        sock.close()
        raise click.BadParameter(
            f"port {port} cannot be used ({(err.strerror or str(err)).lower()}): give another "
            "with `--port`, or 0 for any free one",
            param_hint="--port",
        ) from None
    address = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    echo(f"Online Assessment · {compiled.standard.name} · policy {compiled.policy.name}")
    echo(f"Open {address} in your web browser.")
    echo(f"Answers and recorded assessments are kept in {store.shown}. Ctrl-C stops.")
    gc.enable()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
        store.close()
    return EXIT_OK
