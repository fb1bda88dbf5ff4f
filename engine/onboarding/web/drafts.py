"""Assessments in progress, kept server-side in the store's database (so a reload, a closed
tab or a restarted server loses nothing, and several server processes share them).

A browser is known by a random id in a cookie; the database keeps only its sha256 (a copy of
the database gives no one a session) and the browser's CSRF token, which every form carries.
A draft is the facts text the assessment has built so far (the facts YAML that `aicxs check`
reads), the questions skipped, the policy and a label; it belongs to the browser that began it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

metadata = sa.MetaData()
BROWSERS = sa.Table(
    "assessment_browser_sessions",
    metadata,
    sa.Column("id_sha256", sa.String(64), primary_key=True),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", sa.String(20), nullable=False),
)
DRAFTS = sa.Table(
    "assessment_drafts",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("browser", sa.String(64), nullable=False, index=True),
    sa.Column("policy", sa.String(80), nullable=False),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("facts_text", sa.Text, nullable=False),
    sa.Column("skipped", sa.Text, nullable=False),  # JSON list of question paths
    sa.Column("created_at", sa.String(20), nullable=False),
    sa.Column("updated_at", sa.String(20), nullable=False),
)


@dataclass(frozen=True)
class Browser:
    key: str  # sha256 of the cookie's id
    csrf: str


@dataclass(frozen=True)
class Draft:
    id: str
    policy: str
    label: str
    facts_text: str
    skipped: frozenset[str]
    created_at: str
    updated_at: str


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _digest(cookie: str) -> str:
    return hashlib.sha256(cookie.encode("utf-8")).hexdigest()


class Drafts:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        metadata.create_all(engine)

    def browser(self, cookie: str | None) -> Browser | None:
        if not cookie or len(cookie) > 200:
            return None
        key = _digest(cookie)
        with self.engine.connect() as db:
            row = db.execute(sa.select(BROWSERS).where(BROWSERS.c.id_sha256 == key)).first()
        return Browser(key, row.csrf) if row is not None else None

    def new_browser(self) -> tuple[str, Browser]:
        """A new browser session: the cookie's value, and the session."""
        cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        found = Browser(_digest(cookie), csrf)
        with self.engine.begin() as db:
            db.execute(BROWSERS.insert().values(id_sha256=found.key, csrf=csrf, created_at=_now()))
        return cookie, found

    def create(self, browser: Browser, policy: str, label: str, facts_text: str) -> str:
        ident, now = secrets.token_urlsafe(12), _now()
        with self.engine.begin() as db:
            db.execute(
                DRAFTS.insert().values(
                    id=ident,
                    browser=browser.key,
                    policy=policy,
                    label=label[:200],
                    facts_text=facts_text,
                    skipped="[]",
                    created_at=now,
                    updated_at=now,
                )
            )
        return ident

    def get(self, browser: Browser, ident: str) -> Draft | None:
        """The draft, if it exists and this browser began it."""
        query = sa.select(DRAFTS).where(DRAFTS.c.id == ident, DRAFTS.c.browser == browser.key)
        with self.engine.connect() as db:
            row = db.execute(query).first()
        return _draft(row) if row is not None else None

    def of(self, browser: Browser) -> list[Draft]:
        """This browser's drafts, the latest changed first."""
        query = (
            sa.select(DRAFTS)
            .where(DRAFTS.c.browser == browser.key)
            .order_by(DRAFTS.c.updated_at.desc(), DRAFTS.c.id)
        )
        with self.engine.connect() as db:
            return [_draft(row) for row in db.execute(query)]

    def save(self, ident: str, facts_text: str, skipped: set[str] | frozenset[str]) -> None:
        values = {
            "facts_text": facts_text,
            "skipped": json.dumps(sorted(skipped)),
            "updated_at": _now(),
        }
        with self.engine.begin() as db:
            db.execute(DRAFTS.update().where(DRAFTS.c.id == ident).values(**values))


def _draft(row: sa.Row[tuple[object, ...]]) -> Draft:
    return Draft(
        str(row.id),
        str(row.policy),
        str(row.label),
        str(row.facts_text),
        frozenset(json.loads(str(row.skipped))),
        str(row.created_at),
        str(row.updated_at),
    )
