"""The store of evaluations (the Evolve stage): each recorded `Report`, with what it came from.

A record holds the sha256 of the standard's, the policy's and the facts' texts (the texts
themselves are kept once each, by hash, in `assessment_sources`), the standard and policy ids
and versions, the evaluation date, the verdict and maturity, the facts as JSON and the report
JSON (evaluated with `explain="full"`, so a comparison can name every fact a result read).
SQLite by default (a file, no server); any SQLAlchemy URL (PostgreSQL) for a shared
installation. It is pipeline-level persistence of Reports because the CLI (`check --record`),
the web assessment (onboarding) and the Evolve pages (evolve) all use it, and no wing may
import another.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError
from aicxs.engine.explain import json_value
from aicxs.engine.facts import FactsDocument
from aicxs.engine.loader import CompiledPolicy
from aicxs.engine.outcome import Report, report_json

DEFAULT_STORE = "aicxs.sqlite"  # in the current folder, unless `--store` or AICXS_STORE says
SCHEMA_VERSION = 1
ORIGINS = ("check", "web", "api")

metadata = sa.MetaData()
META = sa.Table(
    "assessment_store_meta",
    metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)
SOURCES = sa.Table(
    "assessment_sources",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
)
RECORDS = sa.Table(
    "assessment_records",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("recorded_at", sa.String(20), nullable=False),  # UTC, 2026-11-27T09:30:00Z
    sa.Column("origin", sa.String(10), nullable=False),  # check | web | api
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("standard_id", sa.String(80), nullable=False),
    sa.Column("standard_version", sa.Integer, nullable=False),
    sa.Column("standard_sha256", sa.String(64), nullable=False),
    sa.Column("policy_id", sa.String(80), nullable=False, index=True),
    sa.Column("policy_title", sa.String(400), nullable=False),
    sa.Column("policy_source", sa.String(400), nullable=False),
    sa.Column("policy_sha256", sa.String(64), nullable=False),
    sa.Column("facts_source", sa.String(400), nullable=False),
    sa.Column("facts_sha256", sa.String(64), nullable=False),
    sa.Column("as_of", sa.String(10), nullable=False),  # 2026-11-27
    sa.Column("verdict", sa.String(20), nullable=False),
    sa.Column("overall_level", sa.Integer, nullable=False),
    sa.Column("target_level", sa.Integer, nullable=False),
    sa.Column("maturity", sa.Text, nullable=False),  # JSON: [[pillar, title, level], ...]
    sa.Column("tool_version", sa.String(40), nullable=False),
    sa.Column("facts_json", sa.Text, nullable=False),
    sa.Column("report_gz", sa.LargeBinary, nullable=False),  # zlib of the report JSON text
)
_SUMMARY = [c for c in RECORDS.c if c.name not in ("facts_json", "report_gz")]


@dataclass(frozen=True)
class RecordSummary:
    """One recorded evaluation, as `aicxs history` lists it."""

    id: int
    recorded_at: str
    origin: str
    label: str
    standard_id: str
    standard_version: int
    standard_sha256: str
    policy_id: str
    policy_title: str
    policy_source: str
    policy_sha256: str
    facts_source: str
    facts_sha256: str
    as_of: str
    verdict: str
    overall_level: int
    target_level: int
    maturity: tuple[tuple[str, str, int], ...]  # (pillar id, title, level)
    tool_version: str

    def as_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "maturity"}
        out["maturity"] = [{"pillar": p, "title": t, "level": n} for p, t, n in self.maturity]
        return out


@dataclass(frozen=True)
class Record:
    """A recorded evaluation with its facts and report (JSON data)."""

    summary: RecordSummary
    facts: Mapping[str, Any]
    report: Mapping[str, Any]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def store_url(value: str | None) -> str:
    """A SQLAlchemy URL from `--store`: a URL as it is, anything else a SQLite file's path."""
    value = value or DEFAULT_STORE
    return value if "://" in value else f"sqlite:///{value}"


def open_store(value: str | None = None) -> Store:
    """The store at a SQLAlchemy URL or SQLite path (default `aicxs.sqlite`), its tables
    created on first use."""
    url = store_url(value)
    try:
        parsed = sa.engine.make_url(url)
        shown = parsed.render_as_string(hide_password=True)
        engine = sa.create_engine(parsed, **_options(parsed))
    except sa_exc.ArgumentError as err:
        raise store_error("aicxs_store_url", url, f"`{url}` is not a database URL: {err}") from None
    except (sa_exc.NoSuchModuleError, ModuleNotFoundError) as err:
        raise store_error(
            "aicxs_store_url",
            shown,
            f"no database driver for `{shown}`: {err}",
            "install the store's drivers: pip install 'aicxs[store]' (SQLite and PostgreSQL)",
        ) from None
    store = Store(engine, shown)
    store.prepare()
    return store


def _options(url: sa.engine.URL) -> dict[str, Any]:
    if url.get_backend_name() == "sqlite":
        return {"connect_args": {"timeout": 30}}  # wait for another writer, up to 30 s
    return {"pool_pre_ping": True}


def store_error(code: str, where: str, message: str, help_: str = "") -> DiagnosticError:
    default = "give `--store` a SQLite file or a SQLAlchemy URL, e.g. postgresql+psycopg://..."
    return DiagnosticError([Diagnostic(code, message, None, help_ or default, path=where)])


class Store:
    """Records in a database; every method opens and closes its own transaction."""

    def __init__(self, engine: sa.Engine, shown: str) -> None:
        self.engine = engine
        self.shown = shown  # the URL without its password, for messages

    def prepare(self) -> None:
        """Create the tables on first use; refuse a database that is someone else's."""
        try:
            tables = set(sa.inspect(self.engine).get_table_names())
            if META.name not in tables:
                ours = {t.name for t in metadata.sorted_tables}
                if tables - ours and self.engine.dialect.name == "sqlite":
                    raise store_error(
                        "aicxs_store_foreign",
                        self.shown,
                        "this database holds something else (tables: "
                        f"{', '.join(sorted(tables)[:5])})",
                        "give `--store` a new file, or the database of an aicxs store",
                    )
                metadata.create_all(self.engine)
                with self.engine.begin() as db:
                    db.execute(META.insert().values(key="schema_version", value="1"))
            self._check_version()
        except sa_exc.SQLAlchemyError as err:
            raise self._unavailable(err) from None

    def _check_version(self) -> None:
        with self.engine.connect() as db:
            found = db.execute(sa.select(META.c.value).where(META.c.key == "schema_version"))
            version = int(found.scalar_one_or_none() or 0)
        if version != SCHEMA_VERSION:
            raise store_error(
                "aicxs_store_version",
                self.shown,
                f"this store has schema version {version}; this aicxs reads version "
                f"{SCHEMA_VERSION}",
                "use the aicxs version that wrote it, or a new store",
            )

    def _unavailable(self, err: Exception) -> DiagnosticError:
        reason = str(getattr(err, "orig", None) or err).strip().splitlines()[0]
        return store_error(
            "aicxs_store_unavailable",
            self.shown,
            f"cannot use the store: {reason}",
            "check that the database server runs and the URL (user, host, database) is right;"
            " a SQLite file's folder must exist",
        )

    def close(self) -> None:
        self.engine.dispose()

    # -- writing ------------------------------------------------------------------------------

    def record(
        self,
        report: Report,
        compiled: CompiledPolicy,
        facts: FactsDocument,
        origin: str = "api",
        label: str = "",
        recorded_at: dt.datetime | None = None,
    ) -> RecordSummary:
        """Keep one evaluation (evaluated again with full explanations if it has fewer)."""
        if origin not in ORIGINS:
            raise ValueError(f"origin must be one of {', '.join(ORIGINS)}, not {origin!r}")
        if report.explain != "full":
            report = compiled.evaluate(facts, report.as_of, explain="full")
        texts = {
            "standard": compiled.standard.span.source.text,
            "policy": compiled.policy.span.source.text,
            "facts": facts.text or json.dumps(json_value(facts.data), sort_keys=True),
        }
        hashes = {k: sha256(v) for k, v in texts.items()}
        body = json.dumps(report_json(report, "full"), ensure_ascii=False, sort_keys=False)
        moment = (recorded_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        row = {
            "recorded_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "origin": origin,
            "label": (label or report.policy.get("title", ""))[:200],
            "standard_id": str(report.standard["id"]),
            "standard_version": int(report.standard["version"]),
            "standard_sha256": hashes["standard"],
            "policy_id": str(report.policy["id"]),
            "policy_title": str(report.policy.get("title", ""))[:400],
            "policy_source": str(report.policy.get("source", ""))[:400],
            "policy_sha256": hashes["policy"],
            "facts_source": facts.path[:400],
            "facts_sha256": hashes["facts"],
            "as_of": report.as_of.isoformat(),
            "verdict": report.verdict.value,
            "overall_level": report.overall_level,
            "target_level": report.target_level,
            "maturity": json.dumps([[p.pillar, p.title, p.level] for p in report.pillars]),
            "tool_version": _tool_version(),
            "facts_json": json.dumps(json_value(facts.data), ensure_ascii=False),
            "report_gz": zlib.compress(body.encode("utf-8"), 6),
        }
        try:
            with self.engine.begin() as db:
                for kind, text in texts.items():
                    self._keep_text(db, hashes[kind], text)
                inserted = db.execute(RECORDS.insert().values(**row)).inserted_primary_key
                assert inserted is not None
                ident = inserted[0]
        except sa_exc.SQLAlchemyError as err:
            raise self._unavailable(err) from None
        return self.summary(int(ident))

    def _keep_text(self, db: sa.Connection, digest: str, text: str) -> None:
        found = db.execute(sa.select(SOURCES.c.sha256).where(SOURCES.c.sha256 == digest))
        if found.first() is None:
            try:
                with db.begin_nested():  # another writer may add the same text meanwhile
                    db.execute(SOURCES.insert().values(sha256=digest, text=text))
            except sa_exc.IntegrityError:
                pass

    # -- reading ------------------------------------------------------------------------------

    def history(self, policy: str | None = None) -> list[RecordSummary]:
        """Every record (of one policy id, if given), oldest first."""
        query = sa.select(*_SUMMARY).order_by(RECORDS.c.id)
        if policy is not None:
            query = query.where(RECORDS.c.policy_id == policy)
        return [_summary(row) for row in self._rows(query)]

    def summary(self, ident: int) -> RecordSummary:
        rows = self._rows(sa.select(*_SUMMARY).where(RECORDS.c.id == ident))
        if not rows:
            raise self._unknown(ident)
        return _summary(rows[0])

    def get(self, ident: int) -> Record:
        rows = self._rows(sa.select(RECORDS).where(RECORDS.c.id == ident))
        if not rows:
            raise self._unknown(ident)
        row = rows[0]
        report = json.loads(zlib.decompress(row.report_gz).decode("utf-8"))
        return Record(_summary(row), json.loads(row.facts_json), report)

    def text(self, digest: str) -> str | None:
        """A standard's, policy's or facts' text by its sha256, if the store has it."""
        rows = self._rows(sa.select(SOURCES.c.text).where(SOURCES.c.sha256 == digest))
        return str(rows[0].text) if rows else None

    def _rows(self, query: sa.Select[Any]) -> list[Any]:
        try:
            with self.engine.connect() as db:
                return list(db.execute(query))
        except sa_exc.SQLAlchemyError as err:
            raise self._unavailable(err) from None

    def _unknown(self, ident: int) -> DiagnosticError:
        last = self._rows(sa.select(sa.func.max(RECORDS.c.id)))[0][0]
        held = f"records 1 to {last}" if last else "no record yet"
        return store_error(
            "aicxs_record_unknown",
            self.shown,
            f"the store has no record {ident} ({held})",
            "`aicxs history` lists the records and their numbers",
        )


def _summary(row: Any) -> RecordSummary:
    pillars = tuple((str(p), str(t), int(n)) for p, t, n in json.loads(row.maturity))
    values = {c.name: getattr(row, c.name) for c in _SUMMARY}
    values["maturity"] = pillars
    return RecordSummary(**values)


def _tool_version() -> str:
    from importlib import metadata as importlib_metadata

    try:
        return importlib_metadata.version("aicxs")
    except importlib_metadata.PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"
