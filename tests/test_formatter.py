"""The formatter: canonical layout, idempotent, and faithful (`parse(fmt(x)) == parse(x)`).

The round trip is checked on the bundled standard (re-indented and re-wrapped at random) and on
random ASTs of expressions and small standards and policies, rendered by the formatter itself.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aicxs.aicxs_dsl import ast, parse_text
from aicxs.aicxs_dsl.formatter import WIDTH, expr_text, format_module
from aicxs.aicxs_dsl.source import Source, Span
from tests.conftest import run_cli

SPEC = Path(__file__).resolve().parent.parent / "spec" / "aicxs-2024.aicx"
GRAMMAR = Path(__file__).resolve().parent.parent / "aicxs_dsl" / "grammar.lark"
# Every keyword of the language: the lowercase words the grammar quotes.
KEYWORDS = frozenset(re.findall(r'"([a-z]+)"', GRAMMAR.read_text("utf-8")))


def fmt(text: str, path: str = "<test>") -> str:
    return format_module(parse_text(text, path))


# ---- the bundled spec ------------------------------------------------------------------------


def test_fmt_check_of_the_spec_is_clean() -> None:
    run = run_cli("fmt", "--check", "spec/")
    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.stderr.strip() == "all files formatted"


def test_fmt_check_reports_a_file_to_reformat_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "messy.aicx"
    messy = 'standard   AICXS 2024 {\n      title "AI in CX"\n}\n'
    path.write_text(messy, "utf-8")
    run = run_cli("fmt", "--check", str(path))
    assert run.exit_code == 1
    assert f"would reformat {path}" in run.stderr
    assert path.read_text("utf-8") == messy
    run = run_cli("fmt", str(path))
    assert run.exit_code == 0
    assert path.read_text("utf-8") == 'standard AICXS 2024 {\n  title "AI in CX"\n}\n'


def test_formatting_the_spec_is_the_identity_and_idempotent(spec_text: str) -> None:
    once = fmt(spec_text, "spec/aicxs-2024.aicx")
    assert once == spec_text
    assert fmt(once) == once


def mangled(text: str, indents: list[int], joins: list[bool]) -> str:
    """The same declarations laid out differently: lines outside `\"\"\"` texts re-indented,
    and some joined to the line before (the language ignores line breaks)."""
    out: list[str] = []
    in_text = False
    for i, line in enumerate(text.split("\n")):
        opens_or_closes = line.count('"""') % 2 == 1
        # (not after a comment of the spec's own: `# c0` would be part of it)
        free = (
            not in_text
            and not opens_or_closes
            and line.strip()
            and "#" not in line
            and "#" not in line
        )
        if (
            free
            and out
            and joins[i % len(joins)]
            and out[-1].strip()
            and "#" not in out[-1]
            and '"""' not in out[-1]
        ):
            out[-1] += " " + line.strip()
        elif free:
            out.append(" " * indents[i % len(indents)] + line.strip())
        else:
            out.append(line)
        in_text ^= opens_or_closes
    return "\n".join(out)


SPEC_MODULE = parse_text(SPEC.read_text("utf-8"), "spec/aicxs-2024.aicx")
SPEC_DECLS = [d.span.text() for d in SPEC_MODULE.decls]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, len(SPEC_DECLS) - 1),
    st.lists(st.integers(0, 9), min_size=1, max_size=40),
    st.lists(st.booleans(), min_size=1, max_size=40),
)
def test_spec_declarations_survive_any_layout(
    index: int, indents: list[int], joins: list[bool]
) -> None:
    original = SPEC_DECLS[index]
    messy = mangled(original, indents, joins)
    module = parse_text(messy)
    assert module == parse_text(original)  # the layout carries no meaning
    formatted = format_module(module)
    assert parse_text(formatted) == module
    assert format_module(parse_text(formatted)) == formatted


# ---- comments and blank lines ----------------------------------------------------------------

COMMENTED = """\
# The standard, in brief.
pillar P1 "Governance" {
  text "How AI is directed."

  # Strategy comes first: everything else refers to it.
  clause P1.1 "Strategy" {  # the header's comment
    level 2  # managed
    owner   cx_leader
    check organisation.strategy.documented   # documented at all?
          and organisation.strategy.aligned_to_cx_objectives
  }
  # A comment before the closing brace.
}
# The end.
"""


def test_comments_survive_formatting() -> None:
    out = fmt(COMMENTED)
    assert out == (
        "# The standard, in brief.\n"
        'pillar P1 "Governance" {\n'
        '  text "How AI is directed."\n'
        "\n"
        "  # Strategy comes first: everything else refers to it.\n"
        '  clause P1.1 "Strategy" {  # the header\'s comment\n'
        "    level 2  # managed\n"
        "    owner cx_leader\n"
        # The comment stays at the end of its line, so the check keeps its line break there.
        "    check organisation.strategy.documented  # documented at all?\n"
        "          and organisation.strategy.aligned_to_cx_objectives\n"
        "  }\n"
        "  # A comment before the closing brace.\n"
        "}\n"
        "# The end.\n"
    )
    assert fmt(out) == out
    assert parse_text(out) == parse_text(COMMENTED)


# The cases of issue 15, item 12: each comment ended up below its attribute.
IN_PLACE = """\
policy p implements AICXS 2024 {
  rule X-1 refines P4.2 "Voice escalation" {
    evidence "Escalation protocol",  # the one approved in March
      "Measured wait times"
    check all s in systems where s.channel == "voice":  # voice only
      # measured at the 95th percentile
      s.escalation.max_wait <= 30 seconds
    check organisation.strategy.documented
      # and aligned, which the board checks
      and organisation.strategy.aligned_to_cx_objectives  # at the end
  }
}
"""


def test_comments_inside_attributes_stay_where_they_were_written() -> None:
    out = fmt(IN_PLACE)
    assert out == (
        "policy p implements AICXS 2024 {\n"
        '  rule X-1 refines P4.2 "Voice escalation" {\n'
        '    evidence "Escalation protocol",  # the one approved in March\n'
        '             "Measured wait times"\n'
        '    check all s in systems where s.channel == "voice":  # voice only\n'
        "            # measured at the 95th percentile\n"
        "            s.escalation.max_wait <= 30 seconds\n"
        "    check organisation.strategy.documented\n"
        "          # and aligned, which the board checks\n"
        "          and organisation.strategy.aligned_to_cx_objectives  # at the end\n"
        "  }\n"
        "}\n"
    )
    assert fmt(out) == out
    assert parse_text(out) == parse_text(IN_PLACE)


def test_a_two_line_check_with_a_comment_is_not_joined() -> None:
    """Without its comment the same check fits on one line and is joined."""
    text = IN_PLACE.replace("  # voice only", "").replace(
        "      # measured at the 95th percentile\n", ""
    )
    assert (
        '    check all s in systems where s.channel == "voice": s.escalation.max_wait <= 30 seconds\n'
        in fmt(text)
    )


@pytest.mark.parametrize(
    "check",
    [
        "not (organisation.strategy.documented and organisation.strategy.aligned_to_cx_objectives"
        " and organisation.governance.body_exists)",
        'all s in systems where s.customer_facing and s.channel == "voice" and'
        ' s.automated_decisions and s.risk == "high": s.escalation.available',
        'count(s in systems where s.customer_facing and s.channel == "voice" and'
        " s.automated_decisions) >= 1",
        "organisation.strategy.documented implies organisation.strategy.aligned_to_cx_objectives"
        " and organisation.governance.body_exists",
    ],
)
def test_long_checks_wrap_at_the_line_length(check: str) -> None:
    """`not`, a quantifier's `where`, `count`'s `where` and `implies` stayed on one line of up
    to 118 characters."""
    text = f'pillar P1 "G" {{\n  clause P1.1 "A" {{\n    check {check}\n  }}\n}}\n'
    out = fmt(text)
    assert len(out.split("\n")) > len(text.split("\n"))
    assert all(len(line) <= WIDTH for line in out.split("\n")), out
    assert parse_text(out) == parse_text(text)
    assert fmt(out) == out


def commented(text: str, places: list[int], kinds: list[bool]) -> tuple[str, list[str]]:
    """The text with comments added: at the end of some lines, or on a line of their own
    before them (never inside a `\"\"\"` text), and the comments in the order written."""
    out: list[str] = []
    added: list[str] = []
    in_text = False
    chosen = set(places)
    for i, line in enumerate(text.split("\n")):
        opens_or_closes = line.count('"""') % 2 == 1
        # (not after a comment of the spec's own: `# c0` would be part of it)
        free = not in_text and not opens_or_closes and line.strip() and "#" not in line
        if free and i in chosen:
            comment = f"# c{len(added)}"
            added.append(comment)
            if kinds[i % len(kinds)]:
                out.append(line + "  " + comment)
            else:
                out.extend([" " * 6 + comment, line])
        else:
            out.append(line)
        in_text ^= opens_or_closes
    return "\n".join(out), added


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, len(SPEC_DECLS) - 1),
    st.lists(st.integers(0, 40), max_size=8),
    st.lists(st.booleans(), min_size=1, max_size=8),
    st.lists(st.booleans(), min_size=1, max_size=40),
)
def test_comments_anywhere_in_the_spec_survive_in_order(
    index: int, places: list[int], kinds: list[bool], joins: list[bool]
) -> None:
    text, added = commented(SPEC_DECLS[index], places, kinds)
    text = mangled(text, [0, 4, 8], joins)
    module = parse_text(text)
    assert module == parse_text(SPEC_DECLS[index])  # comments carry no meaning
    formatted = format_module(module)
    assert parse_text(formatted) == module
    written = [c.text for c in module.comments]  # the spec's own and the added ones
    assert set(added) <= set(written)
    assert [c.text for c in parse_text(formatted).comments] == written, formatted
    assert format_module(parse_text(formatted)) == formatted, formatted


def test_every_comment_is_kept_exactly_once() -> None:
    out = fmt(COMMENTED)
    comments = [c.text for c in parse_text(COMMENTED).comments]
    assert [c.text for c in parse_text(out).comments] == comments
    for text in comments:
        assert out.count(text) == 1


def test_blank_lines_between_items_are_kept_but_not_multiplied() -> None:
    text = 'pillar P1 "G" {\n  text "t"\n\n\n\n  clause P1.1 "A" {\n    level 2\n  }\n}\n'
    assert fmt(text) == 'pillar P1 "G" {\n  text "t"\n\n  clause P1.1 "A" {\n    level 2\n  }\n}\n'


def test_items_sharing_a_line_get_no_blank_line_between_them() -> None:
    """The blank line the author left before the clause belongs before the clause only; its
    attributes, written on the clause's line, must not each get one."""
    text = 'pillar P1 "G" {\n  text "t"\n\n  clause P1.1 "A" { level 2 owner cx_leader }\n}\n'
    assert fmt(text) == (
        'pillar P1 "G" {\n  text "t"\n\n  clause P1.1 "A" {\n    level 2\n    owner cx_leader\n'
        "  }\n}\n"
    )


def test_long_checks_break_before_and_after_the_quantifier_colon() -> None:
    text = (
        'pillar P1 "G" {\n  clause P1.1 "A" {\n    check all s in systems where s.customer_facing:'
        " s.escalation.available and s.escalation.max_wait <= param max_human_wait and"
        " s.escalation.handover_with_context\n  }\n}\n"
    )
    out = fmt(text)
    assert out.split("\n")[2:7] == [
        "    check all s in systems where s.customer_facing:",
        "            s.escalation.available",
        "            and s.escalation.max_wait <= param max_human_wait",
        "            and s.escalation.handover_with_context",
        "  }",
    ]
    assert all(len(line) <= 100 for line in out.split("\n"))
    assert parse_text(out) == parse_text(text)


def test_multi_line_text_with_a_run_of_quotes_round_trips() -> None:
    """`\"\"\"` inside a long text is escaped; four quotes in a row must survive too."""
    module = ast.Module(
        (
            ast.StandardDecl(
                "AICXS",
                2024,
                (ast.Attr("text", ('Say """"hello"""" twice,\nthen stop.',), span=S),),
                span=S,
            ),
        ),
        span=S,
    )
    out = format_module(module)
    assert parse_text(out) == module


# ---- random ASTs -----------------------------------------------------------------------------

S = Span(Source("<generated>", ""), 0, 0)

# Names: any lowercase word, but a keyword cannot start a path, a call or a variable use.
NAMES = st.from_regex(r"[a-z_][a-z0-9_]{0,7}", fullmatch=True)
PLAIN_NAMES = NAMES.filter(lambda n: n not in KEYWORDS)
IDS = st.from_regex(r"[A-Z][A-Za-z0-9_]{0,4}(?:[.\-][A-Za-z0-9_]{1,3}){0,2}", fullmatch=True)
# Text in quotes: anything (quotes, backslashes, tabs, `#` and newlines are escaped).
TEXT = st.lists(
    st.one_of(
        st.characters(blacklist_categories=("Cs",)),
        st.sampled_from(['"', "\\", "\t", "\n", "#", "{", "}", '"""']),
    ),
    max_size=30,
).map("".join)
WORD = st.lists(
    st.one_of(
        st.characters(blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc")),
        st.sampled_from(['"', '""', '"""', "\\", "#", "{", "}"]),
    ),
    min_size=1,
    max_size=8,
).map("".join)
UNITS = [
    *("second", "seconds", "minute", "minutes", "hour", "hours", "day", "days", "week", "weeks"),
    *("month", "months", "year", "years"),
]


@st.composite
def long_texts(draw: st.DrawFn) -> str:
    """Text of several lines as a `\"\"\"` block can hold it: no blank first or last line, no
    tabs, and at least one line not indented (a block's common indentation is not kept)."""
    line = st.builds(
        lambda indent, words: " " * indent + " ".join(words),
        st.integers(0, 4),
        st.lists(WORD, min_size=1, max_size=5),
    )
    lines = draw(st.lists(line | st.just(""), min_size=2, max_size=5))
    lines[0] = lines[0].lstrip() or "start"
    lines[-1] = lines[-1] or "end"
    # Four or more quotes in a row do not survive yet: see the test of that case above.
    return re.sub('"{4,}', '"""', "\n".join(lines))


def path_of(head: st.SearchStrategy[str]) -> st.SearchStrategy[ast.Path]:
    # After a `.` only a name can follow, so later parts may be keywords.
    return st.builds(
        lambda h, rest: ast.Path((h, *rest), span=S), head, st.lists(NAMES, max_size=2)
    )


def literals() -> st.SearchStrategy[ast.Expr]:
    return st.one_of(
        st.builds(lambda v: ast.BoolLit(v, span=S), st.booleans()),
        st.builds(lambda v: ast.IntLit(v, span=S), st.integers(0, 10**12)),
        st.builds(
            lambda t: ast.NumberLit(t, span=S),
            st.from_regex(r"[0-9]{1,4}\.[0-9]{1,4}", fullmatch=True),
        ),
        st.builds(lambda v: ast.StringLit(v, span=S), TEXT),
        st.builds(
            lambda v: ast.DateLit(v, span=S),
            st.dates(dt.date(1000, 1, 1), dt.date(9999, 12, 31)),
        ),
        st.builds(
            lambda n, u: ast.DurationLit(n, u, span=S),
            st.integers(0, 10**6),
            st.sampled_from(UNITS),
        ),
    )


def leaves() -> st.SearchStrategy[ast.Expr]:
    return st.one_of(
        literals(),
        path_of(PLAIN_NAMES),
        st.builds(lambda n: ast.ParamRef(n, span=S), NAMES),
        st.builds(lambda n: ast.Call(n, (), span=S), PLAIN_NAMES),
    )


def extend(inner: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    paths = path_of(PLAIN_NAMES)
    maybe = st.none() | inner
    return st.one_of(
        st.builds(lambda xs: ast.ListLit(tuple(xs), span=S), st.lists(inner, max_size=3)),
        st.builds(
            lambda n, xs: ast.Call(n, tuple(xs), span=S),
            PLAIN_NAMES,
            st.lists(inner, min_size=1, max_size=3),
        ),
        st.builds(lambda a: ast.Not(a, span=S), inner),
        st.builds(lambda a, b: ast.And(a, b, span=S), inner, inner),
        st.builds(lambda a, b: ast.Or(a, b, span=S), inner, inner),
        st.builds(lambda a, b: ast.Implies(a, b, span=S), inner, inner),
        st.builds(
            lambda op, a, b: ast.Compare(op, a, b, span=S),
            st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in"]),
            inner,
            inner,
        ),
        st.builds(
            lambda op, a, b: ast.Arith(op, a, b, span=S), st.sampled_from("+-*/"), inner, inner
        ),
        st.builds(lambda a: ast.Neg(a, span=S), inner),
        st.builds(
            lambda k, v, src, w, b: ast.Quantifier(k, v, src, w, b, span=S),
            st.sampled_from(["all", "any", "none"]),
            NAMES,
            paths,
            maybe,
            inner,
        ),
        st.builds(lambda v, src, w: ast.Count(v, src, w, span=S), NAMES, paths, maybe),
    )


EXPRS = st.recursive(leaves(), extend, max_leaves=12)


def operators(inner: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    """Only operators, so that precedence and grouping are exercised densely."""
    return st.one_of(
        st.builds(lambda a: ast.Not(a, span=S), inner),
        st.builds(lambda a: ast.Neg(a, span=S), inner),
        st.builds(
            lambda op, a, b: {"and": ast.And, "or": ast.Or, "implies": ast.Implies}[op](
                a, b, span=S
            ),
            st.sampled_from(["and", "or", "implies"]),
            inner,
            inner,
        ),
        st.builds(
            lambda op, a, b: ast.Compare(op, a, b, span=S),
            st.sampled_from(["==", "<", "in", "not in"]),
            inner,
            inner,
        ),
        st.builds(
            lambda op, a, b: ast.Arith(op, a, b, span=S), st.sampled_from("+-*/"), inner, inner
        ),
    )


OPERATOR_TREES = st.recursive(
    st.one_of(
        st.builds(lambda v: ast.IntLit(v, span=S), st.integers(0, 9)),
        st.builds(lambda n: ast.Path((n,), span=S), st.sampled_from("abcxyz")),
    ),
    operators,
    max_leaves=8,
)


def attr(name: str, *values: st.SearchStrategy[object]) -> st.SearchStrategy[ast.Attr]:
    return st.builds(lambda *vs: ast.Attr(name, tuple(vs), span=S), *values)


def listed(
    name: str, item: st.SearchStrategy[object], first: tuple[st.SearchStrategy[object], ...] = ()
) -> st.SearchStrategy[ast.Attr]:
    return st.builds(
        lambda head, rest: ast.Attr(name, (*head, *rest), span=S),
        st.tuples(*first),
        st.lists(item, min_size=1, max_size=8),
    )


CROSSWALK_REFS = st.builds(
    lambda ref, relationship, applicability: ast.CrosswalkRef(
        ref, relationship, applicability, span=S
    ),
    TEXT,
    st.none()
    | st.sampled_from(["equal", "subset of", "superset of", "intersects with", "related to"]),
    st.none() | TEXT,
)

YEARS = st.integers(1000, 9999)  # a year, then an amendment counted from 1 (0: none)
AMENDMENTS = st.integers(0, 9999)
VERSIONS = st.builds(ast.version_text, YEARS, AMENDMENTS)


def because(name: str, *values: st.SearchStrategy[object]) -> st.SearchStrategy[ast.Attr]:
    """`level 2 because "..."`, `covers A, B because "..."`: the reason is optional."""
    return st.builds(
        lambda vs, reason: ast.Attr(name, tuple(vs), span=S, because=reason),
        st.tuples(*values),
        st.none() | TEXT.filter(lambda t: "\n" not in t),
    )


ATTRS = st.one_of(
    *(attr(n, TEXT) for n in ("title", "justification", "approver")),
    # A text with a line break is written as a `"""` block, generated by `long_texts`.
    *(attr(n, TEXT.filter(lambda t: "\n" not in t)) for n in ("text", "erratum", "rationale")),
    *(attr(n, long_texts()) for n in ("text", "erratum", "rationale")),
    attr("source", st.sampled_from(["seed", "interpretation"])),
    attr("source", st.just("document"), TEXT.filter(lambda t: "\n" not in t)),
    attr("withdrawn", TEXT.filter(lambda t: "\n" not in t)),
    attr("withdrawn", TEXT.filter(lambda t: "\n" not in t), VERSIONS),
    because("level", st.integers(0, 10**6)),
    attr("target", st.integers(0, 9)),
    attr("owner", NAMES),
    attr("mandatory", st.just("mandatory")),
    attr("stricter", st.sampled_from(["lower", "higher"])),
    attr("expires", st.dates(dt.date(1000, 1, 1), dt.date(9999, 12, 31))),
    attr("ref", TEXT, TEXT),
    attr("exclude", IDS, TEXT),
    listed("evidence", TEXT),
    listed("requires", IDS),
    listed("covers", IDS),
    st.builds(
        lambda ids, reason: ast.Attr("covers", tuple(ids), span=S, because=reason),
        st.lists(IDS, min_size=1, max_size=8),
        TEXT.filter(lambda t: "\n" not in t),
    ),
    listed("crosswalk", CROSSWALK_REFS, (IDS,)),
    attr("check", EXPRS),
    attr("default", EXPRS),
    attr("bounds", EXPRS, EXPRS),
    attr("set", NAMES, EXPRS),
    attr("scope", NAMES, path_of(PLAIN_NAMES), EXPRS),
)
ATTR_LISTS = st.lists(ATTRS, max_size=4).map(tuple)


def types() -> st.SearchStrategy[ast.TypeRef]:
    scalar = st.sampled_from(
        ["bool", "int", "number", "string", "date", "duration", "record", "list"]
    )
    base = st.one_of(
        st.builds(lambda n: ast.TypeRef(n, span=S), scalar),
        st.builds(
            lambda vs: ast.TypeRef("enum", tuple(vs), span=S),
            st.lists(NAMES, min_size=1, max_size=4),
        ),
    )
    return st.recursive(
        base,
        lambda inner: st.builds(lambda t: ast.TypeRef("list", item=t, span=S), inner),
        max_leaves=3,
    )


FIELDS = st.recursive(
    st.builds(
        lambda n, t, flags, q: ast.Field(n, t, tuple(flags), q, None, span=S),
        NAMES,
        types(),
        st.lists(st.sampled_from(["key", "optional"]), max_size=2),
        TEXT,
    ),
    lambda inner: st.builds(
        lambda n, t, q, body: ast.Field(n, t, (), q, tuple(body), span=S),
        NAMES,
        st.sampled_from([ast.TypeRef("record", span=S), ast.TypeRef("list", span=S)]),
        TEXT,
        st.lists(inner, max_size=3),
    ),
    max_leaves=5,
)
FACTS = st.builds(
    lambda ext, fields: ast.FactsDecl(ext, tuple(fields), span=S),
    st.none() | path_of(NAMES),
    st.lists(FIELDS, max_size=3),
)
CLAUSES = st.builds(lambda i, t, a: ast.ClauseDecl(i, t, a, span=S), IDS, TEXT, ATTR_LISTS)
DECLS = st.one_of(
    st.builds(
        lambda i, v, n, a: ast.StandardDecl(i, v, a, span=S, amendment=n),
        IDS,
        YEARS,
        AMENDMENTS,
        ATTR_LISTS,
    ),
    st.builds(lambda n, t, a: ast.LevelDecl(n, t, a, span=S), st.integers(0, 9), TEXT, ATTR_LISTS),
    st.builds(lambda n, t, a: ast.RoleDecl(n, t, a, span=S), NAMES, TEXT, ATTR_LISTS),
    st.builds(
        lambda i, n, t, a: ast.StageDecl(i, n, t, a, span=S),
        st.integers(0, 9),
        NAMES,
        TEXT,
        ATTR_LISTS,
    ),
    st.builds(lambda n, t, a: ast.ParameterDecl(n, t, a, span=S), NAMES, types(), ATTR_LISTS),
    st.builds(lambda i, t, a: ast.FrameworkDecl(i, t, a, span=S), IDS, TEXT, ATTR_LISTS),
    FACTS,
    st.builds(
        lambda i, t, a, cs: ast.PillarDecl(i, t, a, tuple(cs), span=S),
        IDS,
        TEXT,
        ATTR_LISTS,
        st.lists(CLAUSES, max_size=3),
    ),
    st.builds(lambda i, t, a: ast.KeyRequirementDecl(i, t, a, span=S), IDS, TEXT, ATTR_LISTS),
    st.builds(
        lambda n, std, v, m, a, ws, rs, fs: ast.PolicyDecl(
            n, std, v, a, tuple(ws), tuple(rs), tuple(fs), span=S, amendment=m
        ),
        NAMES,
        IDS,
        YEARS,
        AMENDMENTS,
        ATTR_LISTS,
        st.lists(st.builds(lambda c, a: ast.WaiverDecl(c, a, span=S), IDS, ATTR_LISTS), max_size=2),
        st.lists(
            st.builds(
                lambda i, r, t, a: ast.RuleDecl(i, r, t, a, span=S), IDS, IDS, TEXT, ATTR_LISTS
            ),
            max_size=2,
        ),
        st.lists(FACTS, max_size=1),
    ),
)
MODULES = st.builds(
    lambda ds: ast.Module(tuple(ds), span=S), st.lists(DECLS, min_size=1, max_size=3)
)


def assert_round_trip(module: ast.Module) -> None:
    text = format_module(module)
    reparsed = parse_text(text, "<formatted>")
    assert reparsed == module, text
    assert format_module(reparsed) == text, text  # idempotent


@settings(max_examples=100, deadline=None)
@given(EXPRS)
def test_random_expressions_round_trip(expr: ast.Expr) -> None:
    clause = ast.ClauseDecl("P1.1", "A", (ast.Attr("check", (expr,), span=S),), span=S)
    assert_round_trip(ast.Module((ast.PillarDecl("P1", "G", (), (clause,), span=S),), span=S))


@settings(max_examples=100, deadline=None)
@given(OPERATOR_TREES)
def test_operator_precedence_round_trips(expr: ast.Expr) -> None:
    clause = ast.ClauseDecl("P1.1", "A", (ast.Attr("check", (expr,), span=S),), span=S)
    assert_round_trip(ast.Module((ast.PillarDecl("P1", "G", (), (clause,), span=S),), span=S))


@settings(max_examples=100, deadline=None)
@given(EXPRS)
def test_expr_text_is_one_line_that_parses_back(expr: ast.Expr) -> None:
    text = expr_text(expr)
    assert "\n" not in text
    src = f'pillar P1 "G" {{\n  clause P1.1 "A" {{\n    check {text}\n  }}\n}}\n'
    pillar = parse_text(src).decls[0]
    assert isinstance(pillar, ast.PillarDecl)
    assert pillar.clauses[0].attrs[0].values == (expr,)


@settings(max_examples=100, deadline=None)
@given(MODULES)
def test_random_standards_and_policies_round_trip(module: ast.Module) -> None:
    assert_round_trip(module)


def test_a_generated_standard_looks_like_a_standard() -> None:
    """The generators build what the formatter prints; one fixed example, read by eye."""
    check = ast.And(
        ast.Path(("organisation", "strategy", "documented"), span=S),
        ast.Compare(
            "<=",
            ast.Call(
                "age", (ast.Path(("organisation", "strategy", "last_reviewed"), span=S),), span=S
            ),
            ast.ParamRef("strategy_review_interval", span=S),
            span=S,
        ),
        span=S,
    )
    clause = ast.ClauseDecl(
        "P1.1",
        "AI strategy",
        (
            ast.Attr("level", (2,), span=S),
            ast.Attr("text", ("First line.\n  Indented.\nLast line.",), span=S),
            ast.Attr("requires", ("P1.2", "P1.3"), span=S),
            ast.Attr("check", (check,), span=S),
        ),
        span=S,
    )
    module = ast.Module((ast.PillarDecl("P1", "Governance", (), (clause,), span=S),), span=S)
    assert format_module(module) == (
        'pillar P1 "Governance" {\n'
        '  clause P1.1 "AI strategy" {\n'
        "    level 2\n"
        '    text """\n'
        "      First line.\n"
        "        Indented.\n"
        "      Last line.\n"
        '    """\n'
        "    requires P1.2, P1.3\n"
        "    check organisation.strategy.documented\n"
        "          and age(organisation.strategy.last_reviewed) <= param strategy_review_interval\n"
        "  }\n"
        "}\n"
    )
    assert_round_trip(module)


# ---- crosswalk relationships ------------------------------------------------------------------


def test_crosswalk_relationships_and_applicability_round_trip() -> None:
    text = (
        'pillar P1 "G" {\n  clause P1.1 "S" {\n'
        '    crosswalk GDPR "Art. 22(3)"   intersects   with,"Art. 13(2)(f)" related to\n'
        '    crosswalk EU_AI_ACT "Art. 10" related to applies to "providers"\n'
        "  }\n}\n"
    )
    assert fmt(text) == (
        'pillar P1 "G" {\n  clause P1.1 "S" {\n'
        '    crosswalk GDPR "Art. 22(3)" intersects with, "Art. 13(2)(f)" related to\n'
        '    crosswalk EU_AI_ACT "Art. 10" related to applies to "providers"\n'
        "  }\n}\n"
    )


def test_a_long_applicability_goes_on_its_own_line_under_the_reference() -> None:
    who = (
        "deployers that are public bodies or provide public services; credit and insurance scoring"
    )
    text = (
        'pillar P1 "G" {\n  clause P1.1 "S" {\n'
        f'    crosswalk EU_AI_ACT "Art. 27" related to applies to "{who}", "Art. 4" equal\n'
        "  }\n}\n"
    )
    out = fmt(text)
    assert out == (
        'pillar P1 "G" {\n  clause P1.1 "S" {\n'
        '    crosswalk EU_AI_ACT "Art. 27" related to\n'
        f'                          applies to "{who}",\n'
        '                        "Art. 4" equal\n'
        "  }\n}\n"
    )
    assert fmt(out) == out
    values = [
        (v.ref, v.relationship, v.applicability)
        for m in (parse_text(out), parse_text(text))
        for d in m.decls
        if isinstance(d, ast.PillarDecl)
        for a in d.clauses[0].attrs
        for v in a.values
        if isinstance(v, ast.CrosswalkRef)
    ]
    assert values[:2] == values[2:]
