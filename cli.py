"""The `aicxs` command: parses arguments, calls the engine, renders, picks the exit code.

Exit codes: 0 = passed (or clean), 1 = a requirement failed or is unknown (or a lint warning,
or `fmt --check` found a file to reformat), 2 = the input is invalid (usage, syntax, names,
types, facts), 3 = internal error (a bug: please report it with the traceback).
This is the only module that prints or exits.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import click

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_INTERNAL = 0, 1, 2, 3
F = TypeVar("F", bound=Callable[..., Any])
COLOURS = {
    "true": "green",
    "false": "red",
    "unknown": "yellow",
    "error": "magenta",
    "waived": "cyan",
}


def _guarded(fn: F) -> F:
    """Turn user mistakes into located messages (exit 2) and bugs into exit 3."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from aicxs_dsl.diagnostics import DiagnosticError, render_text

        try:
            code = fn(*args, **kwargs)
        except DiagnosticError as err:
            click.echo(render_text(err.diagnostics), err=True)
            n = len(err.diagnostics)
            click.echo(f"\n{n} error{'s' if n != 1 else ''}; nothing was evaluated", err=True)
            sys.exit(EXIT_INVALID)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except Exception:
            click.echo(traceback.format_exc(), err=True)
            click.echo(
                "aicxs_internal_error: this is a bug in aicxs, not in your input; "
                "please report it with the traceback above",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)
        sys.exit(code or EXIT_OK)

    return wrapper  # type: ignore[return-value]


def _style(enabled: bool) -> Callable[[str, str], str]:
    def style(text: str, truth: str) -> str:
        return click.style(text, fg=COLOURS.get(truth)) if enabled else text

    return style


def _colour(stream: Any = None) -> bool:
    stream = stream or sys.stdout
    return stream.isatty() and "NO_COLOR" not in os.environ


def _as_of(value: str | None) -> dt.date:
    from engine.api import environ_as_of

    if value is None:
        return environ_as_of() or dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"`{value}` is not a date; write YYYY-MM-DD", param_hint="--as-of"
        ) from None


def _emit(text: str, output: str | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    from engine.files import write_atomic

    write_atomic(Path(output), text)


def _aicx_files(paths: Iterable[str]) -> list[Path]:
    found: list[Path] = []
    for p in paths:
        path = Path(p)
        found.extend(sorted(path.rglob("*.aicx")) if path.is_dir() else [path])
    return found


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="aicxs")
def cli() -> None:
    """Policy-as-code for the AI in Customer Experience Standard (AICXS 2024)."""


# ---- check / explain ------------------------------------------------------------------------

_facts_option = click.option(
    "--facts",
    "facts_path",
    required=True,
    metavar="FILE",
    help="The organisation's facts (YAML or JSON).",
)
_spec_option = click.option(
    "--spec",
    "spec_path",
    metavar="FILE",
    help="The standard to use (default: the bundled one it implements).",
)
_as_of_option = click.option(
    "--as-of", "as_of", metavar="DATE", help="Evaluation date for all date rules (default: today)."
)


@cli.command()
@click.argument("policy")
@_facts_option
@_spec_option
@_as_of_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@click.option(
    "--explain",
    "mode",
    type=click.Choice(["fails", "full", "none"]),
    default=None,
    help="Explanations: of what decided each result (default), of everything, or none "
    "(decisions only: fastest).",
)
@click.option("-o", "--output", metavar="FILE", help="Write the report here, not to stdout.")
@click.option("-v", "--verbose", is_flag=True, help="List the clauses behind the verdict.")
@_guarded
def check(
    policy: str,
    facts_path: str,
    spec_path: str | None,
    as_of: str | None,
    fmt: str,
    mode: str | None,
    output: str | None,
    verbose: bool,
) -> int:
    """Evaluate POLICY against the organisation's facts; give the verdict and why."""
    from engine import load_policy
    from engine.render import report_json, report_markdown, report_text

    date = _as_of(as_of)
    mode = mode or "fails"
    compiled = load_policy(policy, spec_path)
    report = compiled.evaluate(compiled.load_facts(facts_path), date, explain=mode)
    if fmt == "json":
        text = json.dumps(report_json(report, mode), indent=2, ensure_ascii=False)
        _emit(text + "\n", output)
    elif fmt == "markdown":
        _emit(report_markdown(report, mode), output)
    else:
        colour = output is None and _colour()
        _emit(report_text(report, mode, _style(colour), verbose), output)
    return EXIT_OK if report.verdict == "certified" else EXIT_FAILED


@cli.command()
@click.argument("policy")
@click.argument("ident", metavar="ID")
@_facts_option
@_spec_option
@_as_of_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_guarded
def explain(
    policy: str, ident: str, facts_path: str, spec_path: str | None, as_of: str | None, fmt: str
) -> int:
    """Explain one clause, organisation rule or key requirement (ID) in depth."""
    from aicxs_dsl.diagnostics import did_you_mean
    from engine import load_policy
    from engine.render import _result_json, result_lines

    compiled = load_policy(policy, spec_path)
    report = compiled.evaluate(compiled.load_facts(facts_path), _as_of(as_of), explain="full")
    result = report.result(ident)
    if result is None:
        ids = [r.id for r in report.results] + [s.id for r in report.results for s in r.rules]
        hint = did_you_mean(ident, ids) or "ids look like `P4.2` or `KR1`"
        raise click.BadParameter(
            f"no clause, rule or key requirement `{ident}`; {hint}", param_hint="ID"
        )
    if fmt == "json":
        click.echo(json.dumps(_result_json(report, result, "full"), indent=2, ensure_ascii=False))
    else:
        style = _style(_colour())
        click.echo("\n".join(result_lines(report, result, "full", style)))
    return EXIT_OK if result.status.satisfied else EXIT_FAILED


# ---- authoring tools ------------------------------------------------------------------------


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--spec", "spec_path", metavar="FILE", help="The standard that policies are checked against."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_guarded
def lint(paths: tuple[str, ...], spec_path: str | None, fmt: str) -> int:
    """Check standards and policies: syntax, names, types, references, cycles, titles."""
    from aicxs_dsl.diagnostics import Diagnostic, DiagnosticError, render_text, sort_diagnostics
    from engine.api import is_policy_file, load_policy, load_standard

    found: list[Diagnostic] = []
    files = _aicx_files(paths)
    for path in files:
        try:
            if is_policy_file(path):
                found.extend(load_policy(path, spec_path).warnings)
            else:
                found.extend(load_standard(path).warnings)
        except DiagnosticError as err:
            found.extend(err.diagnostics)
    found = sort_diagnostics(found)
    errors = sum(d.severity.value == "error" for d in found)
    if fmt == "json":
        click.echo(
            json.dumps(
                {"files": [str(f) for f in files], "diagnostics": [d.as_dict() for d in found]},
                indent=2,
            )
        )
    else:
        if found:
            click.echo(render_text(found) + "\n")
        warnings = len(found) - errors
        click.echo(
            f"{len(files)} file{'s' if len(files) != 1 else ''} checked: "
            f"{errors} error{'s' if errors != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''}"
        )
    return EXIT_INVALID if errors else EXIT_FAILED if found else EXIT_OK


@cli.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--check", "check_only", is_flag=True, help="Change nothing; exit 1 if a file is not formatted."
)
@click.option("--diff", "show_diff", is_flag=True, help="Print the changes; change nothing.")
@_guarded
def fmt(paths: tuple[str, ...], check_only: bool, show_diff: bool) -> int:
    """Format .aicx files in the canonical layout (comments kept); rewrites them in place."""
    from aicxs_dsl import parse_file
    from aicxs_dsl.formatter import format_module
    from engine.files import write_atomic

    changed = []
    for path in _aicx_files(paths):
        before = path.read_text("utf-8")
        after = format_module(parse_file(path))
        if after == before:
            continue
        changed.append(path)
        if show_diff:
            click.echo(
                "".join(
                    difflib.unified_diff(
                        before.splitlines(True),
                        after.splitlines(True),
                        f"{path}",
                        f"{path} (formatted)",
                    )
                ),
                nl=False,
            )
        elif not check_only:
            write_atomic(path, after)
    verb = "would reformat" if check_only or show_diff else "reformatted"
    for path in changed:
        click.echo(f"{verb} {path}", err=True)
    if not changed:
        click.echo("all files formatted", err=True)
    return EXIT_FAILED if changed and (check_only or show_diff) else EXIT_OK


@cli.command()
@click.argument("path")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "dot", "mermaid"]),
    default="json",
    show_default=True,
)
@click.option("--impact", metavar="ID", help="Only what depends on this clause, as a list.")
@_guarded
def graph(path: str, fmt: str, impact: str | None) -> int:
    """The requirement dependency graph of a standard or policy."""
    from aicxs_dsl.diagnostics import did_you_mean
    from engine.api import is_policy_file, load_policy, load_standard
    from engine.graph import as_dot, as_json, as_mermaid, dependents

    g = load_policy(path).graph if is_policy_file(path) else load_standard(path).graph
    if impact is not None:
        if impact not in g:
            hint = did_you_mean(impact, [str(n) for n in g.nodes]) or "give a clause id"
            raise click.BadParameter(
                f"`{impact}` is not in the graph; {hint}", param_hint="--impact"
            )
        affected = dependents(g, impact)
        sub = g.subgraph([impact, *affected])
        if fmt == "json":
            click.echo(
                json.dumps(
                    {
                        "id": impact,
                        "dependents": [{"id": n, **g.nodes[n]} for n in affected],
                        **as_json(sub),
                    },
                    indent=2,
                )
            )
        elif fmt == "dot":
            click.echo(as_dot(sub, [impact]), nl=False)
        else:
            click.echo(as_mermaid(sub, [impact]), nl=False)
        return EXIT_OK
    renderers = {
        "json": lambda: json.dumps(as_json(g), indent=2) + "\n",
        "dot": lambda: as_dot(g),
        "mermaid": lambda: as_mermaid(g),
    }
    click.echo(renderers[fmt](), nl=False)
    return EXIT_OK


@cli.command()
@click.argument("path")
@_guarded
def schema(path: str) -> int:
    """The JSON Schema (2020-12) of the facts a standard or policy reads."""
    from engine.api import is_policy_file, load_policy, load_standard
    from engine.schema import facts_schema

    if is_policy_file(path):
        doc = load_policy(path).schema
    else:
        std = load_standard(path).standard
        doc = facts_schema(std.vocabulary, f"Facts for {std.name}")
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    return EXIT_OK


# ---- aicxs test: policy tests and clause coverage ------------------------------------------


# ---- aicxs docs / diff: standards-author tooling ---------------------------------------------


# ---- reports for auditors and CI: html, sarif, junit, oscal, csv ----------------------------


# ---- aicxs init / assess / roadmap: getting started -----------------------------------------


_MINIMAL_POLICY = """\
policy assessment implements {standard} {version} {{
  title "Online Assessment"
  target level {target}
}}
"""


@cli.command()
@click.argument("directory", metavar="[DIR]", default=".", required=False)
@click.option("--org", required=True, metavar="NAME", help="The organisation's name.")
@click.option(
    "--target",
    type=int,
    metavar="LEVEL",
    help="The maturity level to certify at (default: the first level with clauses, 2).",
)
@click.option("--force", is_flag=True, help="Overwrite the files if they exist.")
@_guarded
def init(directory: str, org: str, target: int | None, force: bool) -> int:
    """Start a policy and a facts template for an organisation, in DIR (default: here)."""
    from aicxs_dsl.diagnostics import Diagnostic, render_text
    from engine.api import environ_as_of, load_standard
    from engine.files import write_atomic
    from engine.scaffold import scaffold, slug_of

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
    taken = [p for p in (policy_path, facts_path) if p.exists()]
    if taken and not force:
        help_ = "pass `--force` to overwrite it, or choose another DIR or `--org`"
        found = [
            Diagnostic("aicxs_file_exists", "the file already exists", None, help_, path=str(p))
            for p in taken
        ]
        click.echo(render_text(found) + "\n\nnothing was written", err=True)
        return EXIT_INVALID
    folder.mkdir(parents=True, exist_ok=True)
    write_atomic(policy_path, made.policy_text)
    write_atomic(facts_path, made.facts_text)
    level = std.levels[target].name
    click.echo(
        f"created {policy_path}: policy `{made.name}`, {std.name} at target level {target} "
        f"({level}), tailoring examples in comments"
    )
    click.echo(
        f"created {facts_path}: {made.facts_count} facts with their questions, all unknown, "
        "one example system"
    )
    click.echo("\nnext: answer the questions, then see the verdict and what to do:")
    click.echo(f"  aicxs assess --policy {policy_path} -o {facts_path}")
    click.echo(f"  aicxs check {policy_path} --facts {facts_path}")
    click.echo(f"  aicxs roadmap {policy_path} --facts {facts_path}")
    return EXIT_OK


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


@cli.command()
@click.option(
    "--policy",
    "policy_path",
    metavar="FILE",
    help="The policy whose facts to ask for (default: the bundled standard as it is).",
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
@_as_of_option
@_guarded
def assess(
    policy_path: str | None, output: str, answers_path: str | None, as_of: str | None
) -> int:
    """The Online Assessment: answer questions, get the facts file and a first verdict."""
    from engine.render import report_text

    date = _as_of(as_of)
    compiled = _assessed_policy(policy_path)
    out = Path(output)
    if not out.parent.is_dir():
        raise click.BadParameter(f"folder `{out.parent}` does not exist", param_hint="-o")
    session = _session(compiled, out, date)
    answers = _answers(session, answers_path) if answers_path else None
    std = compiled.standard
    click.echo(f"Online Assessment · {std.name} · policy {compiled.policy.name}")
    if session.already:
        click.echo(
            f"Resuming from {out}: {session.already} facts already answered are not asked again."
        )
    if answers is None:
        click.echo(
            "Press Enter or type `skip` to leave a fact unknown. Ctrl-C stops; the answers "
            "so far are kept, and the same command goes on from there."
        )
    try:
        _drive(session, answers, lambda: _save(session, out))
    except (click.exceptions.Abort, KeyboardInterrupt):
        saved = session.changed
        if saved:
            _save(session, out)
        click.echo(_interrupted(session.recorded, saved, out), err=True)
        return EXIT_FAILED
    if session.changed or not out.exists():
        _save(session, out)
    if answers is not None and answers.unused():
        click.echo(
            "\nnot asked, so not used (already answered, or the question does not apply): "
            + ", ".join(answers.unused())
        )
    skipped = session.asked - session.recorded
    click.echo(
        f"\n{session.recorded} answers recorded, {skipped} questions left unknown; "
        f"the facts are in {out}.\n"
    )
    report = compiled.evaluate(compiled.load_facts(out), date, explain="none")
    click.echo(report_text(report, "none", _style(_colour())), nl=False)
    verdict: str = report.verdict
    return EXIT_OK if verdict == "certified" else EXIT_FAILED


def _interrupted(recorded: int, saved: bool, out: Path) -> str:
    if saved or recorded:  # saved now, or with the groups completed before
        return (
            f"\nInterrupted: {recorded} answer{'s' if recorded != 1 else ''} of this session "
            f"are saved in {out}; run the same command to go on from there."
        )
    kept = f"{out} is unchanged" if out.exists() else "nothing was written"
    return f"\nInterrupted before any new answer: {kept}."


def _assessed_policy(policy_path: str | None) -> Any:
    from aicxs_dsl import parse_text
    from engine.api import compile_policy, load_policy, load_standard

    if policy_path is not None:
        return load_policy(policy_path)
    std = load_standard().standard
    text = _MINIMAL_POLICY.format(standard=std.id, version=std.version, target=_first_level(std))
    return compile_policy(parse_text(text, f"(the bundled {std.name})"))


def _session(compiled: Any, out: Path, date: dt.date) -> Any:
    from engine.questionnaire import Session

    if not out.exists():
        return Session(compiled, as_of=date)
    doc = compiled.load_facts(out)
    return Session(compiled, doc.data, doc.evidence, date)


def _answers(session: Any, path: str) -> Any:
    from engine.answers import load_answers
    from engine.scaffold import leaves
    from engine.types import key_field

    vocabulary = session.compiled.vocabulary
    keys = {
        name: key_field(f.type.item) or ""
        for name, f in vocabulary.fields.items()
        if f.type.kind == "list" and f.type.item is not None and f.type.item.kind == "record"
    }
    return load_answers(path, {p for p, _ in leaves(vocabulary)}, keys)


def _save(session: Any, out: Path) -> None:
    from engine.files import write_atomic

    write_atomic(out, session.facts_text())
    session.changed = False


def _drive(session: Any, answers: Any, save: Callable[[], None]) -> None:
    """Run the questionnaire: show each step, and send back what is typed (or the file's
    answer). A completed group is saved at once."""
    from engine.questionnaire import AddItem, Ask, AskId, GroupDone, GroupStart, Rejected

    steps = session.run()
    reply: str | None = None
    last = ""
    while True:
        try:
            step = steps.send(reply)
        except StopIteration:
            return
        reply = None
        match step:
            case GroupStart():
                click.echo(f"\n== {step.title} ({step.label}) ==")
            case GroupDone(changed=True):
                save()
            case Rejected() if answers is not None:
                raise answers.error(last, step.message)
            case Rejected():
                click.echo(f"  invalid: {step.message}")
            case Ask() if answers is None:
                _show_question(step)
                reply = _typed(step)
            case Ask():
                last = step.question.shown
                reply = answers.answer(last)
                if reply:  # the transcript shows the questions the file answers
                    _show_question(step)
                    click.echo(f"{step.prompt}: {reply}")
            case AddItem() | AskId() if answers is None:
                reply = _typed(step)
            case AddItem() | AskId():
                listed = list(step.listed)
                ident = answers.next_item(step.list_name, listed)
                reply = ("y" if ident else "n") if isinstance(step, AddItem) else ident or ""
                click.echo(f"{step.prompt}: {reply}")


def _show_question(step: Any) -> None:
    q = step.question
    optional = " (optional)" if q.fact.declared.optional else ""
    click.echo(f"\n[{step.label}, question {step.number} of {step.total}] {q.shown}{optional}")
    if q.type.kind == "enum":
        choices = "  ".join(f"{n}={v}" for n, v in enumerate(q.type.values, start=1))
        click.echo(f"  choices: {choices}")


def _typed(step: Any) -> str:
    return str(click.prompt(step.prompt, default="", show_default=False))


@cli.command()
@click.argument("policy")
@_facts_option
@click.option(
    "--to-level",
    "to_level",
    type=int,
    metavar="N",
    help="The maturity level to plan for (default: the next one).",
)
@_as_of_option
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@_guarded
def roadmap(policy: str, facts_path: str, to_level: int | None, as_of: str | None, fmt: str) -> int:
    """What to fix to reach the next level (or N) and certification, prerequisites first."""
    from engine import load_policy
    from engine.roadmap import roadmap as plan_roadmap
    from engine.roadmap_report import roadmap_json, roadmap_text

    compiled = load_policy(policy)
    if to_level is not None:
        _check_level(compiled.standard, to_level, "--to-level")
    plan = plan_roadmap(compiled, compiled.load_facts(facts_path), _as_of(as_of), to_level)
    if fmt == "json":
        click.echo(json.dumps(roadmap_json(plan), indent=2, ensure_ascii=False))
    else:
        click.echo(roadmap_text(plan), nl=False)
    return EXIT_FAILED if plan.steps else EXIT_OK


# ---- aicxs serve / batch: the decision service and estate-scale runs -------------------------


def main() -> None:
    cli(prog_name="aicxs")


if __name__ == "__main__":
    main()
