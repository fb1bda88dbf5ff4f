"""The VS Code extension in editors/vscode. Its TextMate grammar, run by the real tokenizer
(vscode-textmate on Oniguruma, as VS Code runs it), must colour every token of the bundled
standard and policies as aicxs_dsl/grammar.lark reads it; its manifests must be what VS Code
needs; build.sh must package a .vsix. Tokens are pinned by syrupy snapshots. Needs Node.js
and npm: `bash .ci/install-node.sh`."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from lark import Lark, Token

ROOT = Path(__file__).resolve().parent.parent
EXT = ROOT / "editors" / "vscode"
GRAMMAR = EXT / "syntaxes" / "aicx.tmLanguage.json"
FIXTURE = EXT / "test" / "fixtures" / "every-construct.aicx"
BUNDLED = sorted([*ROOT.glob("spec/*.aicx"), *ROOT.glob("policies/*.aicx")])
FILES = [str(p.relative_to(ROOT)) for p in [*BUNDLED, FIXTURE]]
STANDARD = "spec/aicxs-2024.aicx"

# What the extension calls each keyword of grammar.lark; `key` and `level` depend on the rule.
KEYWORDS = {
    "keyword.other.declaration.aicx": "standard policy implements framework role stage parameter "
    "pillar clause requirement waive rule refines facts",
    "keyword.other.attribute.aicx": "title text erratum owner evidence requires crosswalk check "
    "mandatory covers default bounds stricter ref target least scope set exclude because "
    "justification approver expires source rationale withdrawn",
    "keyword.other.relationship.aicx": "equal subset superset intersects with related to applies",
    "keyword.control.quantifier.aicx": "all any none",
    "keyword.control.count.aicx": "count",
    "keyword.control.where.aicx": "where",
    "keyword.operator.expression.logical.aicx": "and or not implies",
    "keyword.operator.expression.in.aicx": "in",
    "keyword.other.param.aicx": "param",
    "keyword.other.unit.aicx": "second seconds minute minutes hour hours day days week weeks month months year years",
    "constant.language.boolean.aicx": "true false",
    "constant.language.direction.aicx": "lower higher",
    "storage.type.primitive.aicx": "bool int number string date duration",
    "storage.type.compound.aicx": "record list of",
    "storage.type.enum.aicx": "enum",
    "storage.modifier.aicx": "optional",
}
KEYWORD_SCOPE = {word: scope for scope, words in KEYWORDS.items() for word in words.split()}
CONTEXTUAL = {
    ("key", "key_requirement_decl"): "keyword.other.declaration.aicx",
    ("key", "flag_key"): "storage.modifier.aicx",
    ("level", "level_decl"): "keyword.other.declaration.aicx",
    ("level", None): "keyword.other.attribute.aicx",  # level_attr, target_attr
    ("of", "relationship"): "keyword.other.relationship.aicx",  # `subset of`, not `list of`
}
PUNCTUATION = {
    "{": "punctuation.section.block.begin.aicx",
    "}": "punctuation.section.block.end.aicx",
    "(": "punctuation.section.parens.begin.aicx",
    ")": "punctuation.section.parens.end.aicx",
    "[": "punctuation.section.brackets.begin.aicx",
    "]": "punctuation.section.brackets.end.aicx",
    ",": "punctuation.separator.comma.aicx",
    ":": "punctuation.separator.colon.aicx",
    ".": "punctuation.accessor.aicx",
    "..": "keyword.operator.range.aicx",
    "=": "keyword.operator.assignment.aicx",
    **dict.fromkeys(["==", "!=", "<", "<=", ">", ">="], "keyword.operator.comparison.aicx"),
    **dict.fromkeys(["+", "-", "*", "/"], "keyword.operator.arithmetic.aicx"),
}
VARIABLE = "variable.other.aicx"
PARAMETER = "variable.other.constant.parameter.aicx"
ROLE = "entity.name.type.role.aicx"
NAME_SCOPE = {  # by the rule a NAME belongs to; `path` is handled apart (head, then properties)
    "policy_decl": "entity.name.type.policy.aicx",
    "role_decl": ROLE,
    "owner_attr": ROLE,
    "stage_decl": "entity.name.type.stage.aicx",
    "parameter_decl": PARAMETER,
    "set_attr": PARAMETER,
    "param_ref": PARAMETER,
    "field": "entity.name.variable.field.aicx",
    "type_enum": "variable.other.enummember.aicx",
    "call": "support.function.builtin.aicx",
    "quantifier": VARIABLE,
    "count": VARIABLE,
    "scope_attr": VARIABLE,
    "least_scope_attr": VARIABLE,
    "source_attr": "constant.language.source.aicx",  # `source seed`, `source interpretation`
}
ID_SCOPE = {
    "standard_decl": "entity.name.type.standard.aicx",
    "policy_decl": "entity.name.type.standard.aicx",
    "framework_decl": "entity.name.type.framework.aicx",
    "crosswalk_attr": "entity.name.type.framework.aicx",
}
LITERAL_SCOPE = {
    "INT": "constant.numeric.integer.aicx",
    "DECIMAL": "constant.numeric.decimal.aicx",
    "DATE": "constant.other.date.aicx",
}


@dataclass(frozen=True)
class Tm:
    """One token from test/tokenize.mjs; `start`/`end` are offsets into the file's text."""

    line: int
    col: int
    text: str
    scopes: tuple[str, ...]
    start: int
    end: int


def run(*cmd: str, cwd: Path = ROOT) -> str:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    if r.returncode != 0:
        pytest.fail(f"`{' '.join(cmd)}` exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
    return r.stdout + r.stderr


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """The extension's npm packages, installed once (`npm ci`) when missing or stale."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not found: run `bash .ci/install-node.sh`", False)
    stamp = EXT / "node_modules" / ".package-lock.json"  # npm ci writes it last
    if not stamp.exists() or stamp.stat().st_mtime < (EXT / "package-lock.json").stat().st_mtime:
        run("npm", "ci", "--no-audit", "--no-fund", cwd=EXT)
    return stamp.parent


@pytest.fixture(scope="session")
def tm(node_modules: Path) -> dict[str, list[Tm]]:
    """Every non-whitespace token of every file in FILES, by file, from one tokenizer run."""
    out = run("node", str(EXT / "test" / "tokenize.mjs"), "--json", *FILES)
    by_file: dict[str, list[Tm]] = {path: [] for path in FILES}
    for row in map(json.loads, out.splitlines()):
        line = text_of(row["path"]).split("\n")[row["line"] - 1]
        # Columns count UTF-16 code units, as in VS Code; Python indexes code points.
        col = len(line.encode("utf-16-le")[: 2 * (row["col"] - 1)].decode("utf-16-le"))
        start = line_starts(row["path"])[row["line"] - 1] + col
        end = start + len(row["text"])
        by_file[row["path"]].append(
            Tm(row["line"], col + 1, row["text"], tuple(row["scopes"]), start, end)
        )
    return by_file


@cache
def text_of(path: str) -> str:
    return (ROOT / path).read_text("utf-8")


@cache
def line_starts(path: str) -> list[int]:
    return list(
        itertools.accumulate((len(line) + 1 for line in text_of(path).split("\n")), initial=0)
    )


@cache
def lark_tokens(path: str) -> list[tuple[Token, str, int]]:
    """What grammar.lark reads in the file: each token with its rule and its place in the rule."""
    comments: list[Token] = []
    parser = Lark(
        (ROOT / "aicxs_dsl" / "grammar.lark").read_text("utf-8"),
        parser="lalr",
        keep_all_tokens=True,
        lexer_callbacks={"COMMENT": comments.append},
    )
    found: list[tuple[Token, str, int]] = []
    for tree in parser.parse(text_of(path)).iter_subtrees():
        for index, child in enumerate(tree.children):
            if isinstance(child, Token):
                found.append((child, str(tree.data), index))
    return found + [(c, "comment", 0) for c in comments]


def expected_scope(tok: Token, rule: str, index: int) -> str:
    if tok.type == "NAME":
        if rule == "path":
            return VARIABLE if index == 0 else "variable.other.property.aicx"
        return NAME_SCOPE[rule]
    if tok.type == "ID":
        return ID_SCOPE.get(rule, "entity.name.type.requirement.aicx")
    if tok.type == "VERSION":  # `2024` or an amendment `2024.1`: coloured as the number it is
        return LITERAL_SCOPE["DECIMAL" if "." in tok.value else "INT"]
    if tok.type in LITERAL_SCOPE:
        return LITERAL_SCOPE[tok.type]
    if (tok.value, rule) in CONTEXTUAL or (tok.value, None) in CONTEXTUAL:
        return CONTEXTUAL.get((tok.value, rule)) or CONTEXTUAL[(tok.value, None)]
    return KEYWORD_SCOPE.get(tok.value) or PUNCTUATION[tok.value]


def region_scope(tok: Token) -> str:
    """The scope every piece of a comment or a string, on each of its lines, carries."""
    if tok.type == "COMMENT":
        return "comment.line.number-sign.aicx"
    triple = tok.value.startswith('"""')
    return "string.quoted.triple.aicx" if triple else "string.quoted.double.aicx"


@pytest.mark.parametrize("path", FILES)
def test_every_token_is_coloured_as_the_parser_reads_it(tm: dict[str, list[Tm]], path: str) -> None:
    """Lark's tokens are the truth: each one is exactly one TextMate token with the expected
    scope; strings and comments keep their scope on every line; nothing is left over."""
    at = {t.start: t for t in tm[path]}
    claimed: set[int] = set()
    wrong = []
    for tok, rule, index in lark_tokens(path):
        where = f"{path}:{tok.line}:{tok.column} {tok.value[:40]!r} ({tok.type} in {rule})"
        if tok.type in ("STRING", "COMMENT"):
            inside = [t for t in tm[path] if tok.start_pos <= t.start < tok.end_pos]
            claimed.update(t.start for t in inside)
            family = region_scope(tok)
            wrong += [f"{where}: {t.text!r} {t.scopes}" for t in inside if family not in t.scopes]
            continue
        got = at.get(tok.start_pos)
        want = expected_scope(tok, rule, index)
        claimed.add(tok.start_pos)
        if got is None or got.end != tok.end_pos or got.scopes[-1] != want:
            wrong.append(f"{where}: want {want}, got {got and (got.text, got.scopes)}")
        elif rule == "duration_lit" and "constant.numeric.duration.aicx" not in got.scopes:
            wrong.append(f"{where}: not inside constant.numeric.duration.aicx: {got.scopes}")
    extra = [t for t in tm[path] if t.start not in claimed]
    wrong += [f"{path}:{t.line}:{t.col} {t.text!r} is no token of the parser" for t in extra]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("path", FILES)
def test_no_token_is_left_with_only_the_root_scope(tm: dict[str, list[Tm]], path: str) -> None:
    bare = [f"{t.line}:{t.col} {t.text!r}" for t in tm[path] if t.scopes == ("source.aicx",)]
    assert bare == []


def test_every_keyword_of_grammar_lark_is_highlighted(tm: dict[str, list[Tm]]) -> None:
    """Every quoted word of grammar.lark is known here and coloured as a keyword in some file."""
    lark = (ROOT / "aicxs_dsl" / "grammar.lark").read_text("utf-8")
    code = "\n".join(line for line in lark.splitlines() if not line.lstrip().startswith("//"))
    words = set(re.findall(r'"([a-z]+)"', code))
    assert words == set(KEYWORD_SCOPE) | {word for word, _ in CONTEXTUAL}
    scopes = {(t.text, t.scopes[-1]) for tokens in tm.values() for t in tokens}
    keyword_scopes = set(KEYWORDS) | set(CONTEXTUAL.values())
    unseen = sorted(w for w in words if not any((w, s) in scopes for s in keyword_scopes))
    assert unseen == []


def test_clause_ids(tm: dict[str, list[Tm]]) -> None:
    clauses = 0
    for path in FILES:
        tokens = tm[path]
        for this, after in itertools.pairwise(tokens):
            if this.text == "clause":
                assert this.scopes[-1] == "keyword.other.declaration.aicx"
                assert after.scopes[-1] == "entity.name.type.requirement.aicx", after
                assert re.fullmatch(r"P\d\.\d", after.text)
                clauses += 1
    assert clauses >= 31 * 2  # both editions of the standard, and the fixture


def test_comments_strings_durations_and_dates(tm: dict[str, list[Tm]]) -> None:
    telecom = tm["policies/telecom.aicx"]
    assert all("comment.line.number-sign.aicx" in t.scopes for t in telecom if t.line <= 12)
    text_block = [t for t in telecom if 15 <= t.line <= 19][1:]  # `text`, then """ ... """
    assert [t.line for t in text_block] == [15, 16, 17, 18, 19]
    assert all("string.quoted.triple.aicx" in t.scopes for t in text_block)
    assert text_block[0].scopes[-1] == "punctuation.definition.string.begin.aicx"
    assert text_block[-1].scopes[-1] == "punctuation.definition.string.end.aicx"
    line = text_of(STANDARD).split("\n").index("  default 90 days") + 1
    ninety, days = [t for t in tm[STANDARD] if t.line == line][1:]
    assert ninety.scopes[1:] == ("constant.numeric.duration.aicx", "constant.numeric.integer.aicx")
    assert days.scopes[1:] == ("constant.numeric.duration.aicx", "keyword.other.unit.aicx")
    fixture = str(FIXTURE.relative_to(ROOT))
    date = [t for t in tm[fixture] if t.text == "2026-11-27"]
    assert [t.scopes for t in date] == [("source.aicx", "constant.other.date.aicx")]
    hash_in_text = [t for t in tm[fixture] if "a # that starts no comment" in t.text]
    assert hash_in_text[0].scopes == ("source.aicx", "string.quoted.triple.aicx")


def test_telecom_policy_tokens(node_modules: Path, snapshot: object) -> None:
    assert run("node", "editors/vscode/test/tokenize.mjs", "policies/telecom.aicx") == snapshot


EXCERPTS = [  # (text that starts the excerpt, lines; None = through the block's closing brace)
    ("standard AICXS 2024 {", None),
    ('level 1 "Experimental" {', 1),
    ('role cx_leader "CX Leaders" {', 1),
    ('stage 1 assess "Assess" {', 1),
    ("parameter max_human_wait: duration {", None),
    ("parameter min_training_coverage: number {", None),
    ("framework EU_AI_ACT", 2),
    ("facts {", 3),
    ("    id: string key", 3),
    ("    disclosure: record optional", 3),
    ("      characteristics_tested: list of string", 1),
    ('pillar P3 "Data Privacy & Consent" {', 6),
    ("  clause P1.1 ", None),
    ("  # As written: consent", 7),
    ("  clause P5.1 ", None),
    ("    check ((any s in systems", 4),
    ("key requirement KR1 ", None),
]


def excerpt_lines(text: str) -> list[int]:
    lines = text.split("\n")
    chosen: list[int] = []
    for anchor, count in EXCERPTS:
        first = next(i for i, line in enumerate(lines) if line.startswith(anchor))
        if count is None:
            closing = " " * (len(lines[first]) - len(lines[first].lstrip())) + "}"
            count = lines.index(closing, first) - first + 1
        chosen += range(first + 1, first + count + 1)
    return chosen


def test_standard_excerpts(node_modules: Path, snapshot: object) -> None:
    """The standard is long: its representative blocks are pinned, token by token."""
    out = run("node", "editors/vscode/test/tokenize.mjs", STANDARD).splitlines()
    keep = set(excerpt_lines(text_of(STANDARD)))
    assert "\n".join(row for row in out[1:] if int(row.split(":")[0]) in keep) == snapshot


def test_standard_scope_counts(tm: dict[str, list[Tm]], snapshot: object) -> None:
    """…and the whole of it, as the number of tokens of each scope."""
    counts = Counter(t.scopes[-1] for t in tm[STANDARD])
    assert "\n".join(f"{n:5} {scope}" for scope, n in sorted(counts.items())) == snapshot


def test_tokenizer_usage_error(node_modules: Path) -> None:
    tokenize = str(EXT / "test" / "tokenize.mjs")
    r = subprocess.run(["node", tokenize], capture_output=True, text=True, check=False)
    assert (r.returncode, r.stdout) == (2, "")
    assert "usage: node test/tokenize.mjs [--json] FILE..." in r.stderr


def test_manifest() -> None:
    pkg = json.loads((EXT / "package.json").read_text("utf-8"))
    fields = [pkg[k] for k in ("name", "publisher", "version", "license", "main")]
    assert fields == ["aicxs", "aicxs", "0.1.0", "Apache-2.0", "./extension.js"]
    assert pkg["displayName"] and pkg["description"]
    assert pkg["engines"]["vscode"] == "^1.82.0"
    assert pkg["activationEvents"] == ["onLanguage:aicx"]
    (language,) = pkg["contributes"]["languages"]
    assert (language["id"], language["extensions"]) == ("aicx", [".aicx"])
    (grammar,) = pkg["contributes"]["grammars"]
    assert grammar["language"] == "aicx"
    scope_name = json.loads(GRAMMAR.read_text("utf-8"))["scopeName"]
    assert grammar["scopeName"] == scope_name == "source.aicx"
    for file in (pkg["main"], language["configuration"], grammar["path"], "README.md", "LICENSE"):
        assert (EXT / file).is_file(), file
    settings = pkg["contributes"]["configuration"]["properties"]
    assert settings["aicxs.server.command"]["default"] == "aicxs"
    assert settings["aicxs.server.args"]["default"] == ["lsp"]
    assert set(pkg["dependencies"]) == {"vscode-languageclient"}
    assert set(pkg["devDependencies"]) == {"vscode-textmate", "vscode-oniguruma", "@vscode/vsce"}
    versions = {**pkg["dependencies"], **pkg["devDependencies"]}
    assert all(re.fullmatch(r"\^\d+\.\d+\.\d+", v) for v in versions.values()), versions
    lock = json.loads((EXT / "package-lock.json").read_text("utf-8"))
    assert lock["packages"][""]["dependencies"] == pkg["dependencies"]
    assert lock["packages"][""]["devDependencies"] == pkg["devDependencies"]


def test_language_client_runs_on_the_oldest_vscode_we_accept(node_modules: Path) -> None:
    client = json.loads((node_modules / "vscode-languageclient/package.json").read_text("utf-8"))
    ours = json.loads((EXT / "package.json").read_text("utf-8"))["engines"]["vscode"]

    def version(caret: str) -> tuple[int, ...]:
        return tuple(map(int, caret.lstrip("^").split(".")))

    assert version(client["engines"]["vscode"]) <= version(ours)


def test_language_configuration(node_modules: Path) -> None:
    conf = json.loads((EXT / "language-configuration.json").read_text("utf-8"))
    assert conf["comments"] == {"lineComment": "#"}
    assert conf["brackets"] == [["{", "}"], ["[", "]"], ["(", ")"]]
    assert {"open": '"', "close": '"', "notIn": ["string", "comment"]} in conf["autoClosingPairs"]
    rules, markers = conf["indentationRules"], conf["folding"]["markers"]
    patterns = [*rules.values(), *markers.values(), conf["wordPattern"]]
    # VS Code compiles them as JavaScript regular expressions; Python's `re` reads them alike.
    run("node", "-e", "JSON.parse(process.argv[1]).map((p) => new RegExp(p))", json.dumps(patterns))
    increase, decrease = (
        re.compile(rules[k]) for k in ("increaseIndentPattern", "decreaseIndentPattern")
    )
    samples = ['  clause P1.1 "T" {', '  text """', '  """', "  }", "# {", "  check x # {"]
    assert [bool(increase.search(s)) for s in samples] == [True, True, False, False, False, False]
    assert [bool(decrease.search(s)) for s in samples] == [False, False, True, True, False, False]
    start, end = (re.compile(markers[k]) for k in ("start", "end"))
    for path in FILES:  # the markers fold exactly the multi-line """ texts
        strings = [t for t, _, _ in lark_tokens(path) if t.type == "STRING"]
        blocks = sorted((t.line, t.end_line) for t in strings if t.line != t.end_line)
        lines = text_of(path).split("\n")
        starts = [i for i, line in enumerate(lines, 1) if start.search(line)]
        ends = [i for i, line in enumerate(lines, 1) if end.search(line) and i not in starts]
        assert list(zip(starts, ends, strict=True)) == blocks, path


def test_extension_client(node_modules: Path) -> None:
    """extension.js with stand-ins for VS Code: the command it starts, and the missing-command
    message (`node --test test/extension.test.js`)."""
    out = run("node", "--test", "test/extension.test.js", cwd=EXT)
    assert re.search(r"^# fail 0$", out, re.M) and re.search(r"^# pass [1-9]", out, re.M), out


def test_vsix(node_modules: Path, tmp_path: Path) -> None:
    out = run("bash", str(EXT / "build.sh"), str(tmp_path / "out"), cwd=tmp_path)
    assert "added " not in out  # node_modules was fresh: build.sh did not run npm ci again
    vsix = tmp_path / "out" / "aicxs-0.1.0.vsix"
    with zipfile.ZipFile(vsix) as zf:
        names = set(zf.namelist())
        zf.extractall(tmp_path / "unpacked")
    for name in ("package.json", "extension.js", "language-configuration.json", "LICENSE.txt"):
        assert f"extension/{name}" in names
    assert "extension/syntaxes/aicx.tmLanguage.json" in names
    assert any(n.startswith("extension/node_modules/vscode-languageclient/") for n in names)
    for left_out in ("test/", "build.sh", "node_modules/vscode-textmate/", "node_modules/@vscode/"):
        assert not any(n.startswith(f"extension/{left_out}") for n in names), left_out
    # The packaged extension.js finds its runtime dependencies inside the package.
    unpacked = str(tmp_path / "unpacked" / "extension")
    out = run("node", str(EXT / "test" / "require-packaged.cjs"), unpacked)
    assert out == "activate: function, LanguageClient: function\n"
