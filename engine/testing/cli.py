"""`aicxs test`: run policy test files, with clause coverage."""

from __future__ import annotations

import click

from aicxs.aicxs_dsl.escape import json_dumps
from aicxs.engine.console import (
    EXIT_FAILED,
    EXIT_OK,
    echo,
    emit,
    guarded,
    make_style,
    output_options,
    use_colour,
)


@click.command("test")
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--run",
    "pattern",
    metavar="PATTERN",
    help="Only the cases whose name (or FILE::NAME) matches this regular expression.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "junit"]),
    default="text",
    show_default=True,
)
@click.option(
    "--coverage",
    "show_coverage",
    is_flag=True,
    help="Report which clauses, key requirements, rules and sub-conditions the cases saw both "
    "pass and fail.",
)
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    metavar="PCT",
    help="Exit 1 if under PCT% of clauses and key requirements were seen both passing and "
    "failing (implies --coverage).",
)
@click.option(
    "--spec",
    "spec_path",
    metavar="FILE",
    help="The standard to test against, instead of each test file's (e.g. a changed copy).",
)
@output_options("the results")
@click.option("-v", "--verbose", is_flag=True, help="List every case, not only the failures.")
@guarded
def test_command(
    paths: tuple[str, ...],
    pattern: str | None,
    fmt: str,
    show_coverage: bool,
    fail_under: float | None,
    spec_path: str | None,
    output: str | None,
    verbose: bool,
) -> int:
    """Run the policy tests in PATHS (`*.tests.yaml` files, or folders of them)."""
    import re

    from aicxs.engine.testing.coverage import Coverage
    from aicxs.engine.testing.runner import run_tests, select
    from aicxs.engine.testing.testfile import load_test_files
    from aicxs.engine.testing.testreport import coverage_text, runs_json, runs_junit, runs_text

    try:
        re.compile(pattern or "")
    except re.error as err:
        raise click.BadParameter(
            f"`{pattern}` is not a regular expression: {err}", param_hint="--run"
        ) from None
    files = load_test_files(list(paths), spec_path)
    chosen = select(files, pattern)
    if not chosen:
        from aicxs.aicxs_dsl.words import count

        total = sum(len(f.cases) for f in files)
        cases = f"{count(total, 'case')} in {count(len(files), 'file')}"
        raise click.BadParameter(
            f"no case matches `{pattern}` (of {cases})",
            param_hint="--run",
        )
    coverage = Coverage() if show_coverage or fail_under is not None else None
    if coverage is not None:
        for f in files:
            coverage.register(f.policy)
    runs = run_tests(chosen, coverage)
    colour = output is None and use_colour()
    if fmt == "json":
        emit(json_dumps(runs_json(runs, coverage)) + "\n", output)
    elif fmt == "junit":
        emit(runs_junit(runs), output)
        if coverage is not None:
            echo(coverage_text(coverage), err=True, nl=False)
    else:
        text = runs_text(runs, make_style(colour), verbose)
        if coverage is not None:
            text += "\n" + coverage_text(coverage, make_style(colour))
        emit(text, output, colour)
    failed = any(not r.passed for r in runs)
    if coverage is not None and fail_under is not None:
        gated = coverage.gated()
        if gated.percent < fail_under:
            echo(
                f"coverage of clauses and key requirements is {gated.percent:.1f}% "
                f"({gated.covered} of {gated.total}), under --fail-under {fail_under:g}%",
                err=True,
            )
            failed = True
    return EXIT_FAILED if failed else EXIT_OK
