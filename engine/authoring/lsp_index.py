"""Where each name of a standard or policy is declared and used: the index behind the
language server's hover, go to definition, find references and rename-free navigation.

A parsed `.aicx` module → `Occurrence`s, each a (kind, name) at a span, marked when it is the
declaration. Kinds: `id` (clauses, pillars, key requirements, frameworks, organisation rules,
the standard), `parameter`, `role` and `fact` (named by its full path, list items included:
`systems.escalation.max_wait`, whatever the quantifier variable is called). Names inside an
attribute line or a block header carry no span of their own in the AST; they are found by
scanning that line's text, which parsed, so every string in it is closed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from aicxs.aicxs_dsl import ast
from aicxs.aicxs_dsl.source import Span

# Ids, names, strings, comments and `{`: each alternative starts with its own characters and
# none can backtrack (the text scanned has parsed, so its strings are closed).
_LEXEME = re.compile(
    r"[A-Z][A-Za-z0-9_]*(?:[.\-][A-Za-z0-9_]+)*|[a-z_][a-z0-9_]*"
    r'|"""[^"\\]*(?:(?:\\[\s\S]|"(?!""))[^"\\]*)*"""|"[^"\\\n]*(?:\\.[^"\\\n]*)*"|#[^\n]*|\{'
)

ID, PARAMETER, ROLE, FACT = "id", "parameter", "role", "fact"


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class Occurrence:
    kind: str  # ID, PARAMETER, ROLE or FACT
    name: str
    span: Span
    definition: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.name)


def words(span: Span, *, header: bool = False) -> list[Word]:
    """The ids and names written in `span`, in order (strings and comments skipped); with
    `header`, only those before the block's `{`."""
    text = span.source.text
    found: list[Word] = []
    for m in _LEXEME.finditer(text, span.start, span.end):
        lexeme = m.group()
        if lexeme == "{":
            if header:
                break
            continue
        if lexeme[0] not in '"#':
            found.append(Word(lexeme, Span(span.source, m.start(), m.end())))
    return found


def index_module(module: ast.Module) -> list[Occurrence]:
    """Every occurrence of a name in a standard or policy module, in source order."""
    out: list[Occurrence] = []
    for decl in module.decls:
        out.extend(_decl(decl))
    return sorted(out, key=lambda o: o.span.start)


def _decl(decl: ast.Decl) -> Iterator[Occurrence]:
    head = words(decl.span, header=True)
    match decl:
        case ast.StandardDecl() | ast.FrameworkDecl() | ast.KeyRequirementDecl():
            yield from _define(ID, head, 1 if not isinstance(decl, ast.KeyRequirementDecl) else 2)
        case ast.RoleDecl():
            yield from _define(ROLE, head, 1)
        case ast.ParameterDecl():
            yield from _define(PARAMETER, head, 1)
        case ast.PillarDecl():
            yield from _define(ID, head, 1)
            for clause in decl.clauses:
                yield from _define(ID, words(clause.span, header=True), 1)
                yield from _attrs(clause.attrs)
        case ast.FactsDecl():
            yield from _facts(decl, ())
        case ast.PolicyDecl():
            yield from _policy(decl, head)
    if not isinstance(decl, ast.FactsDecl):
        yield from _attrs(decl.attrs)


def _define(kind: str, head: list[Word], at: int, definition: bool = True) -> Iterator[Occurrence]:
    if len(head) > at:
        yield Occurrence(kind, head[at].text, head[at].span, definition)


def _policy(decl: ast.PolicyDecl, head: list[Word]) -> Iterator[Occurrence]:
    yield from _define(ID, head, 3, definition=False)  # `policy x implements AICXS 2024`
    for waiver in decl.waivers:
        yield from _define(ID, words(waiver.span, header=True), 1, definition=False)
        yield from _attrs(waiver.attrs)
    for rule in decl.rules:
        rule_head = words(rule.span, header=True)
        yield from _define(ID, rule_head, 1)
        yield from _define(ID, rule_head, 3, definition=False)  # `refines P4.5`
        yield from _attrs(rule.attrs)
    for facts in decl.facts:
        yield from _facts(facts, ())


def _attrs(attrs: tuple[ast.Attr, ...]) -> Iterator[Occurrence]:
    for attr in attrs:
        line = words(attr.span)
        match attr.name:
            case "owner":
                yield from _define(ROLE, line, 1, definition=False)
            case "requires" | "covers":
                yield from (Occurrence(ID, w.text, w.span) for w in line[1:])
            case "crosswalk" | "exclude":
                yield from _define(ID, line, 1, definition=False)
            case "set":
                yield from _define(PARAMETER, line, 1, definition=False)
                yield from expression(attr.values[1], {})  # type: ignore[arg-type]
            case "scope":
                var, source, where = attr.values
                yield from expression(source, {})  # type: ignore[arg-type]
                bound = {str(var): _canonical(source, {})}  # type: ignore[arg-type]
                yield from expression(where, bound)  # type: ignore[arg-type]
            case "check" | "default" | "bounds":
                for value in attr.values:
                    yield from expression(value, {})  # type: ignore[arg-type]


def _facts(decl: ast.FactsDecl, prefix: tuple[str, ...]) -> Iterator[Occurrence]:
    if decl.extends is not None:
        yield from expression(decl.extends, {})
        prefix = decl.extends.parts
    yield from _fields(decl.fields, prefix)


def _fields(fields: tuple[ast.Field, ...], prefix: tuple[str, ...]) -> Iterator[Occurrence]:
    for f in fields:
        path = (*prefix, f.name)
        start = f.span.start
        yield Occurrence(
            FACT, ".".join(path), Span(f.span.source, start, start + len(f.name)), True
        )
        if f.fields:
            yield from _fields(f.fields, path)


def expression(e: ast.Expr, env: dict[str, tuple[str, ...]]) -> Iterator[Occurrence]:
    """The parameters and facts an expression reads; `env` maps each quantifier variable in
    scope to the full path of the list it ranges over."""
    match e:
        case ast.Path():
            yield from _path(e, env)
        case ast.ParamRef():
            found = words(e.span)
            if len(found) > 1:
                yield Occurrence(PARAMETER, e.name, found[1].span)
        case ast.Quantifier() | ast.Count():
            yield from _path(e.source, env)
            inner = {**env, e.var: _canonical(e.source, env)}
            if e.where is not None:
                yield from expression(e.where, inner)
            if isinstance(e, ast.Quantifier):
                yield from expression(e.body, inner)
        case ast.Not() | ast.Neg():
            yield from expression(e.operand, env)
        case ast.And() | ast.Or() | ast.Implies() | ast.Compare() | ast.Arith():
            yield from expression(e.left, env)
            yield from expression(e.right, env)
        case ast.Call() | ast.ListLit():
            for item in e.args if isinstance(e, ast.Call) else e.items:
                yield from expression(item, env)


def _canonical(path: ast.Path, env: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The full fact path a written path names (its head resolved through `env`)."""
    head, *rest = path.parts
    if head in env:
        return (*env[head], *rest)
    return path.parts


def _path(path: ast.Path, env: dict[str, tuple[str, ...]]) -> Iterator[Occurrence]:
    bound = path.parts[0] in env
    full = _canonical(path, env)
    base = len(full) - len(path.parts)  # parts of `full` that the variable stands for
    text = path.span.source.text
    at = path.span.start
    for i, part in enumerate(path.parts):
        start = text.find(part, at, path.span.end)
        if start < 0:
            return
        at = start + len(part)
        if i == 0 and bound:
            continue  # the variable itself names no fact
        name = ".".join(full[: base + i + 1])
        yield Occurrence(FACT, name, Span(path.span.source, start, at))


def at_offset(occurrences: list[Occurrence], offset: int) -> Occurrence | None:
    """The occurrence under the cursor (a cursor just after a name still counts)."""
    for o in occurrences:
        if o.span.start <= offset <= o.span.end:
            return o
    return None
