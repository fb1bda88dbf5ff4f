"""Provenance (engine/provenance.py): every report `check` writes for others to rely on names the
tool and its version and the SHA-256 of the standard, policy and facts it evaluated: in JSON
(`provenance`, in report-schema.json), in the HTML report's sign-off block and in OSCAL's
back-matter. The digests are the files' own `sha256sum` and are the same on every run."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import aicxs
from aicxs import engine
from aicxs.engine.provenance import provenance
from tests.conftest import AS_OF, ROOT, run_cli

FILES = {
    "standard": "spec/aicxs-2024.aicx",
    "policy": "policies/telecom.aicx",
    "facts": "policies/telecom.facts.yaml",
}


def sha256sum(path: str | Path) -> str:
    return hashlib.sha256((ROOT / path).read_bytes()).hexdigest()


def check(fmt: str, facts: str = FILES["facts"], *extra: str) -> str:
    args = ("--facts", facts, "--as-of", AS_OF, "--format", fmt, *extra)
    r = run_cli("check", FILES["policy"], *args)
    assert r.exit_code == 1 and r.stderr == ""
    return r.stdout


def test_json_names_the_tool_and_the_sha256_of_each_file() -> None:
    doc = json.loads(check("json", FILES["facts"], "--provenance"))
    assert doc["provenance"] == {
        "tool": {"name": "aicxs", "version": aicxs.__version__},
        **{role: {"file": path, "sha256": sha256sum(path)} for role, path in FILES.items()},
    }
    assert list(doc)[list(doc).index("as_of") + 1] == "provenance"


def test_the_digest_follows_the_facts_and_nothing_else(tmp_path: Path) -> None:
    changed = tmp_path / "facts.yaml"
    text = (ROOT / FILES["facts"]).read_text("utf-8")
    changed.write_text(text.replace("# ", "#  ", 1), "utf-8")  # a comment: same facts
    before = json.loads(check("json", FILES["facts"], "--provenance"))["provenance"]
    after = json.loads(check("json", str(changed), "--provenance"))["provenance"]
    assert after["facts"] == {"file": str(changed), "sha256": sha256sum(changed)}
    assert after["facts"]["sha256"] != before["facts"]["sha256"]
    assert (after["standard"], after["policy"]) == (before["standard"], before["policy"])


def test_the_digest_is_of_the_text_evaluated(tmp_path: Path) -> None:
    """CRLF line ends are read as LF: the same text evaluated, the same digest (that of the
    LF file, as documented)."""
    crlf = tmp_path / "facts.yaml"
    crlf.write_bytes((ROOT / FILES["facts"]).read_bytes().replace(b"\n", b"\r\n"))
    doc = json.loads(check("json", str(crlf), "--provenance"))
    assert doc["provenance"]["facts"]["sha256"] == sha256sum(FILES["facts"])


def test_json_has_provenance_only_when_asked() -> None:
    """Without `--provenance` the JSON is the bytes the Python API and the service give for
    the same facts (docs/service.md: byte for byte), which have no file to hash."""
    plain = check("json")
    assert "provenance" not in json.loads(plain)
    policy = engine.load_policy(FILES["policy"])
    report = policy.evaluate(policy.load_facts(FILES["facts"]), dt.date.fromisoformat(AS_OF))
    assert report.to_json() == plain


class SignOff(HTMLParser):
    """The text of the sign-off section, cell by cell, and its blank fields."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # > 0 inside <section id="sign-off">
        self.cells: list[str] = []
        self.labels: list[str] = []
        self.blanks = 0
        self.links: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href") == "#sign-off":
            self.links.append("#sign-off")
        if tag == "section" and (a.get("id") == "sign-off" or self.depth):
            self.depth += 1
        if not self.depth:
            return
        if tag in ("td", "th"):
            self.cells.append("")
            self._in = "cell"
        if tag == "span" and a.get("class") == "label":
            self.labels.append("")
            self._in = "label"
        if tag == "span" and a.get("class") == "blank":
            self.blanks += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self.depth:
            self.depth -= 1
        if tag in ("td", "th", "span"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "cell":
            self.cells[-1] += data
        elif self._in == "label":
            self.labels[-1] += data


def test_the_html_report_has_a_provenance_and_sign_off_block() -> None:
    page = SignOff()
    page.feed(check("html"))
    assert page.links == ["#sign-off"]  # in the table of contents
    cells = [" ".join(c.split()) for c in page.cells]
    assert cells[cells.index("Tool") + 1] == f"aicxs {aicxs.__version__}"
    for role, path in FILES.items():
        at = cells.index(role.capitalize())
        assert cells[at + 1 : at + 3] == [path, sha256sum(path)]
    assert any(c.startswith(f"{AS_OF} · verdict NOT CERTIFIED") for c in cells)
    assert page.labels == ["Assessor", "Role and organisation", "Signature", "Date"]
    assert page.blanks == 4


def test_oscal_carries_each_file_with_its_hash_in_back_matter() -> None:
    doc = json.loads(check("oscal"))["assessment-results"]
    resources = doc["back-matter"]["resources"]
    assert [r["props"][0]["value"] for r in resources] == list(FILES)
    for resource, path in zip(resources, FILES.values(), strict=True):
        (link,) = resource["rlinks"]
        assert link == {
            "href": path,
            "hashes": [{"algorithm": "SHA-256", "value": sha256sum(path)}],
        }
    assert {"name": "tool", "value": f"aicxs {aicxs.__version__}"}.items() <= next(
        p for p in doc["metadata"]["props"] if p["name"] == "tool"
    ).items()


def test_the_api_report_carries_provenance_only_when_given() -> None:
    policy = engine.load_policy(FILES["policy"])
    facts = policy.load_facts(FILES["facts"])
    report = policy.evaluate(facts, dt.date.fromisoformat(AS_OF))
    assert "provenance" not in report.to_dict()  # optional: the schema does not require it
    made = dataclasses.replace(report, provenance=provenance(policy, facts))
    assert made.to_dict()["provenance"]["facts"]["sha256"] == sha256sum(FILES["facts"])


def test_facts_given_as_data_are_hashed_as_canonical_json() -> None:
    policy = engine.load_policy(FILES["policy"])
    data: dict[str, Any] = {"organisation": {"strategy": {"documented": True}}, "systems": []}
    first = provenance(policy, policy.facts_from_data(data)).to_dict()["facts"]
    again = provenance(policy, policy.facts_from_data(dict(reversed(data.items())))).to_dict()
    assert first["of"] == "data" and again["facts"] == first  # key order does not matter
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    assert first["sha256"] == hashlib.sha256(canonical.encode()).hexdigest()
