"""`aicxs serve` (the HTTP decision service) and `aicxs check --batch` (many organisations)."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from aicxs.aicxs_dsl.words import count, verb
from aicxs.engine.console import (
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_INVALID,
    EXIT_OK,
    echo,
    evaluation_date,
    guarded,
)

if TYPE_CHECKING:
    from aicxs.engine.service.run import Settings


@click.command()
@click.option(
    "--policies",
    "folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default="policies",
    show_default=True,
    help="The folder of policy files to serve (each reloaded when it changes).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8181, show_default=True)
@click.option(
    "--max-body",
    type=click.IntRange(min=1),
    default=10 * 1024 * 1024,
    show_default=True,
    metavar="BYTES",
    help="The largest request body accepted (larger ones get 413).",
)
@click.option(
    "--reload-interval",
    type=click.FloatRange(min=0.05),
    default=1.0,
    show_default=True,
    metavar="SECONDS",
    help="How often to look for changed policy files.",
)
@click.option(
    "--web",
    is_flag=True,
    help="Also serve the Online Assessment at /assess/ and the Evolve pages at /evolve/.",
)
@click.option(
    "--store",
    "store_url",
    envvar="AICXS_STORE",
    metavar="URL",
    help="With --web: where answers and recorded assessments are kept, a SQLite file "
    "(default: aicxs.sqlite here) or a SQLAlchemy URL such as postgresql+psycopg://...",
)
@click.option(
    "--reload-grace",
    type=click.FloatRange(min=0),
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="How long a policy file may be missing (replaced by delete-then-create, as `git "
    "checkout` does) and its last version still served.",
)
@click.option(
    "--decision-log",
    type=click.Path(dir_okay=False, allow_dash=True),
    metavar="PATH|-",
    help="Write each decision as a JSON line to this file (rotated by size) or to stdout (-).",
)
@click.option(
    "--decision-log-max-bytes",
    type=click.IntRange(min=1),
    default=100 * 1024 * 1024,
    show_default=True,
    metavar="BYTES",
    help="Rotate the decision log file when it would grow past this size.",
)
@click.option(
    "--decision-log-keep",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    metavar="N",
    help="How many rotated decision log files to keep (PATH.1 ... PATH.N).",
)
@click.option(
    "--decision-log-input",
    is_flag=True,
    help="Also log each request's facts (off by default: they may be confidential).",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: every log line, and one line per request (method, path, status, duration, "
    "decision id), as JSON.",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Require a token on every request but /health: one a line in FILE (blank lines and "
    "# comments skipped), also read from AICXS_SERVE_TOKENS (comma-separated).",
)
@click.option(
    "--no-auth",
    is_flag=True,
    help="Listen beyond loopback without tokens: only when a proxy in front authenticates.",
)
@click.option(
    "--allowed-host",
    "allowed_host",
    multiple=True,
    metavar="NAME",
    help="A Host name the server answers to (repeatable; `*` for any). Default: localhost, "
    "127.0.0.1, ::1 and the --host address.",
)
@click.option(
    "--show-paths",
    is_flag=True,
    help="Show policy files' paths and whole load errors in /v1/policies and /metrics.",
)
@click.option(
    "--ssl-certfile",
    type=click.Path(dir_okay=False),
    metavar="PEM",
    help="Serve HTTPS with this certificate (chain); needs --ssl-keyfile.",
)
@click.option(
    "--ssl-keyfile",
    type=click.Path(dir_okay=False),
    metavar="PEM",
    help="The certificate's private key, unencrypted.",
)
@click.option(
    "--header-timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="Close a connection that has not sent a request's headers in this time.",
)
@click.option(
    "--body-timeout",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    metavar="SECONDS",
    help="Answer 408 to a request whose body the server has waited for this long in all.",
)
@click.option(
    "--keep-alive-timeout",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    metavar="SECONDS",
    help="Close an idle keep-alive connection after this time.",
)
@click.option(
    "--max-connections",
    type=click.IntRange(min=1),
    metavar="N",
    help="Open connections; one more closes the longest idle. Default: a third of the free "
    "file descriptors, at most 1024.",
)
@click.option(
    "--limit-concurrency",
    type=click.IntRange(min=1),
    default=128,
    show_default=True,
    metavar="N",
    help="Requests in progress at once (/health apart); more get 503.",
)
@click.option(
    "--backlog",
    type=click.IntRange(min=1),
    metavar="N",
    help="Connections waiting to be accepted. Default: a third of the free file "
    "descriptors, at most 2048.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    metavar="N",
    help="Processes sharing the port, each compiling and reloading the policies.",
)
@guarded
def serve(
    folder: Path,
    host: str,
    port: int,
    max_body: int,
    reload_interval: float,
    web: bool,
    store_url: str | None,
    reload_grace: float,
    decision_log: str | None,
    decision_log_max_bytes: int,
    decision_log_keep: int,
    decision_log_input: bool,
    log_format: str,
    token_file: Path | None,
    no_auth: bool,
    allowed_host: tuple[str, ...],
    show_paths: bool,
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
    header_timeout: float,
    body_timeout: float,
    keep_alive_timeout: int,
    max_connections: int | None,
    limit_concurrency: int,
    backlog: int | None,
    workers: int,
) -> int:
    """Serve the policies of a folder over HTTP: POST /v1/evaluate and friends (see
    GET /openapi.json); with --web, also the Online Assessment at /assess/."""
    require_serve_extra()
    from aicxs.engine.service import connections
    from aicxs.engine.service.run import Settings, check_tls
    from aicxs.engine.service.security import check_exposure

    limits = connections.ConnectionLimits(
        header_timeout,
        body_timeout,
        keep_alive_timeout,
        max_connections or connections.default_connections(),
        limit_concurrency,
        backlog or connections.default_backlog(),
    )
    settings = Settings(
        str(folder), host, port, max_body, reload_interval, web, store_url,
        str(token_file) if token_file else None, allowed_host, show_paths,
        ssl_certfile, ssl_keyfile, workers, limits, reload_grace, decision_log,
        decision_log_max_bytes, decision_log_keep, decision_log_input, log_format,
    )  # fmt: skip
    tokens = settings.exposure().tokens  # read now: a mistake in them stops the start
    if tokens and no_auth:
        raise click.UsageError(
            "`--no-auth` says a proxy authenticates, yet tokens are given (`--token-file` or "
            "`AICXS_SERVE_TOKENS`): leave out one or the other"
        )
    check_exposure(host, tokens, no_auth)
    check_tls(ssl_certfile, ssl_keyfile)
    # opened now, so that a path that cannot be written stops the start; each process opens
    # its own again
    _decision_log(decision_log, decision_log_max_bytes, decision_log_keep, False).close()
    _run(settings)
    return EXIT_OK


def _run(settings: Settings) -> None:
    """uvicorn, with the settings: one process, or `--workers` sharing the socket."""
    import logging.config

    from uvicorn import Server
    from uvicorn.supervisors import Multiprocess

    from aicxs.engine.service.connections import GuardedH11Protocol, LimitsConfig
    from aicxs.engine.service.decisionlog import use_json_logs
    from aicxs.engine.service.run import SETTINGS_VARIABLE, logging_config

    json_logs = settings.log_format == "json"
    log_config = logging_config(settings.workers)
    if json_logs:
        use_json_logs()
    else:
        logging.config.dictConfig(log_config)
    app: Any = "aicxs.engine.service.cli:worker_app"
    if settings.workers == 1:
        app = _build_app(settings)
    else:
        os.environ[SETTINGS_VARIABLE] = settings.to_json()  # read by each worker
    config = LimitsConfig(
        app,
        limits=settings.limits,
        factory=settings.workers > 1,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        http=GuardedH11Protocol,
        backlog=settings.limits.backlog,
        log_config=None if json_logs else log_config,  # JSON: ours, with the request log
        access_log=not json_logs,
        ssl_certfile=settings.ssl_certfile,
        ssl_keyfile=settings.ssl_keyfile,
    )
    if settings.workers == 1:
        Server(config).run()
    else:
        Multiprocess(config, sockets=[config.bind_socket()]).run()


def _build_app(settings: Settings) -> Any:
    from aicxs.engine.service.decisionlog import use_json_logs
    from aicxs.engine.service.server import create_app

    if settings.log_format == "json":
        use_json_logs()  # in this process (each worker is one)
    mounts, holder = _web_mounts(settings.store_url) if settings.web else ([], [])
    app = create_app(
        Path(settings.folder),
        settings.max_body,
        settings.reload_interval,
        mounts,
        decision_log=_decision_log(
            _worker_log_path(settings), settings.decision_log_max_bytes,
            settings.decision_log_keep, settings.decision_log_input,
        ),
        request_log=settings.log_format == "json",
        reload_grace=settings.reload_grace,
        exposure=settings.exposure(),
        connections=settings.limits,
    )  # fmt: skip
    holder.append(app)
    gc.enable()  # a long-running process (the `aicxs` command had it off; see cli.main)
    gc.freeze()  # what is loaded now lives as long as the server: never scan it again
    return app


def _worker_log_path(settings: Settings) -> str | None:
    """The decision log of this process: with `--workers`, each writes (and rotates) a file
    of its own, `PATH.<pid>`; stdout is shared."""
    path = settings.decision_log
    if settings.workers > 1 and path not in (None, "-"):
        return f"{path}.{os.getpid()}"
    return path


def worker_app() -> Any:
    """The app of one `--workers` process, from the settings its parent put in the
    environment (uvicorn calls it in each worker)."""
    from aicxs.engine.service.run import SETTINGS_VARIABLE, Settings

    return _build_app(Settings.from_json(os.environ[SETTINGS_VARIABLE]))


SERVE_MODULES = ("starlette", "uvicorn", "anyio", "prometheus_client")


def _decision_log(path: str | None, max_bytes: int, keep: int, with_input: bool) -> Any:
    """The decision log, opened now so that a path that cannot be written stops the start."""
    from aicxs.engine.service.decisionlog import DecisionLog

    try:
        return DecisionLog(path, max_bytes, keep, with_input)
    except OSError as err:
        raise click.BadParameter(
            f"cannot write `{path}`: {(err.strerror or str(err)).lower()}; give a file in a "
            "folder that exists and that the server may write, or - for stdout",
            param_hint="--decision-log",
        ) from None


def _web_mounts(store_url: str | None) -> tuple[list[Any], list[Any]]:
    """The web assessment's and Evolve's routes, offering the bundled standard as it is and
    every policy the app serves (read from the app, which `holder` receives once built)."""
    import logging

    from aicxs.engine.evolve.cli import open_store
    from aicxs.engine.loader import environ_as_of
    from aicxs.engine.onboarding.cli import bundled_assessment, require_web_extra, web_routes

    holder: list[Any] = []
    require_web_extra()
    store = open_store(store_url)
    bundled = bundled_assessment()

    def policies() -> dict[str, Any]:
        registry = holder[0].state.service.registry
        served = {pid: registry.get(pid) for pid in sorted(registry.by_id)}
        return {bundled.policy.name: bundled, **{k: v for k, v in served.items() if v}}

    logging.getLogger("aicxs.serve").info("Online Assessment at /assess/, kept in %s", store.shown)
    return web_routes(store, policies, environ_as_of()), holder


def require_serve_extra() -> None:
    """The server's dependencies are an extra; say which to install when one is missing."""
    import importlib.util

    missing = [m for m in SERVE_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise click.UsageError(
            f"`aicxs serve` needs the server's dependencies ({', '.join(missing)} missing): "
            "pip install 'aicxs[serve]'"
        )


_BATCH_KINDS = ("certified", "not_certified", "undetermined", "invalid", "internal_error")


def check_batch(
    policy: str,
    facts_path: str | None,
    spec_path: str | None,
    as_of: str | None,
    fmt: str,
    mode: str | None,
    output: str | None,
    batch_path: str | None,
    follow_links: bool,
    workers: int | None,
    engine: str,
    scheduler: str | None,
) -> int:
    """`check --batch`: one JSON line per document on stdout (or -o), a summary on stderr."""
    from aicxs.engine import load_policy
    from aicxs.engine.service.batch import PolicySource, documents

    path = _batch_arguments(facts_path, fmt, batch_path, engine, scheduler)
    date = evaluation_date(as_of)
    compiled = load_policy(policy, spec_path)  # any mistake in the policy stops us here
    source = PolicySource.of(compiled, spec_path)
    skipped: list[str] = []  # links out of the folder, named once the folder is read
    docs = documents(path, follow_links, skipped)
    outcomes = _batch_outcomes(source, docs, date, mode or "fails", engine, workers, scheduler)
    counts = dict.fromkeys(_BATCH_KINDS, 0)
    with _batch_output(output) as out, _progress(path, follow_links) as advance:
        for outcome in outcomes:
            out.write(outcome.line + "\n")
            counts[outcome.kind] += 1
            advance()
        total = sum(counts.values())
        if total == 0:
            raise click.BadParameter(
                f"`{path}` holds no facts documents: a folder holds *.yaml, *.yml or *.json "
                "files, a JSON Lines file one JSON document a line"
                + (f"; {_skipped(path, skipped)}" if skipped else ""),
                param_hint="--batch",
            )
    parts = [f"{n} {k.replace('_', ' ')}" for k, n in counts.items() if n or k == "certified"]
    echo(f"{count(total, 'document')}: {', '.join(parts)}", err=True)
    if skipped:
        echo(_skipped(path, skipped), err=True)
    if counts["internal_error"]:
        return EXIT_INTERNAL
    if counts["invalid"]:
        return EXIT_INVALID
    return EXIT_FAILED if total > counts["certified"] else EXIT_OK


def _skipped(path: Path, skipped: list[str]) -> str:
    """The links `--batch` did not follow out of its folder, named (the first ten)."""
    n = len(skipped)
    shown = ", ".join(skipped[:10]) + (f", ... ({n - 10} more)" if n > 10 else "")
    return (
        f"skipped {count(n, 'link')} that {verb(n, 'leads', 'lead')} out of "
        f"`{path}` (give --follow-links to read them): {shown}"
    )


def _batch_arguments(
    facts_path: str | None, fmt: str, batch_path: str | None, engine: str, scheduler: str | None
) -> Path:
    """Check the options' combination; the path to read."""
    if batch_path is None:
        raise click.UsageError(
            "give the facts: `--facts FILE` for one organisation, or `--batch PATH` for a "
            "folder or JSON Lines file of many"
        )
    if facts_path is not None:
        raise click.UsageError("give either `--facts FILE` or `--batch PATH`, not both")
    source = click.get_current_context().get_parameter_source("fmt")
    if fmt != "json" and source is click.core.ParameterSource.COMMANDLINE:
        raise click.BadParameter(
            "--batch writes JSON Lines; leave out --format, or give `json`", param_hint="--format"
        )
    if scheduler is not None and engine != "dask":
        raise click.BadParameter("a scheduler is for `--engine dask`", param_hint="--scheduler")
    path = Path(batch_path)
    if not path.exists():
        raise click.BadParameter(
            f"`{batch_path}` does not exist; give a folder of facts files or a JSON Lines file",
            param_hint="--batch",
        )
    if engine == "dask":
        import importlib.util

        if importlib.util.find_spec("distributed") is None:
            raise click.UsageError(
                "`--engine dask` needs Dask distributed: pip install 'aicxs[distributed]'"
            )
    return path


def _batch_outcomes(
    source: Any,
    docs: Iterable[Any],
    date: dt.date,
    explain: str,
    engine: str,
    workers: int | None,
    scheduler: str | None,
) -> Iterable[Any]:
    from aicxs.engine.loader import explain_mode
    from aicxs.engine.service.batch import run_local, run_processes

    mode = explain_mode(explain)
    if engine == "local":
        return run_local(source, docs, date, mode)
    if engine == "processes":
        return run_processes(source, docs, date, mode, workers or os.cpu_count() or 1)
    from aicxs.engine.service.distributed import ClusterUnavailable, run_dask

    def guarded() -> Iterable[Any]:
        try:
            yield from run_dask(source, docs, date, mode, scheduler, workers)
        except ClusterUnavailable as err:
            raise click.BadParameter(str(err), param_hint="--scheduler") from None

    return guarded()


@contextlib.contextmanager
def _batch_output(output: str | None) -> Iterator[Any]:
    """stdout, or a file written beside its target and renamed into place when complete."""
    if output is None:
        yield sys.stdout
        return
    from aicxs.engine.files import open_atomic

    with open_atomic(Path(output)) as f:  # the shared atomic writer: modes, links, cleanup
        yield f


@contextlib.contextmanager
def _progress(path: Path, follow_links: bool) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr when it is a terminal; otherwise nothing."""
    if not sys.stderr.isatty():
        yield lambda: None
        return
    from aicxs.engine.service.batch import count_documents

    with click.progressbar(
        length=count_documents(path, follow_links),
        label="evaluating",
        file=sys.stderr,
        show_pos=True,
    ) as bar:
        yield lambda: bar.update(1)
