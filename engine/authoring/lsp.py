"""`aicxs lsp`: the Language Server Protocol server for `.aicx` standards and policies, over
stdin and stdout (pygls).

Each open document is analysed on open, change and save (`lsp_analysis`); its diagnostics are
those of `aicxs lint`, with their code, help and related locations. Hover, go to definition,
find references, completion, formatting (`aicxs fmt`), document symbols and quick fixes read
that analysis. A policy is read against the standard it implements: an open document that
declares that standard, else the bundled one (whose installed file definitions point into).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.workspace import TextDocument

from aicxs import spec
from aicxs.aicxs_dsl import parse_text
from aicxs.aicxs_dsl.diagnostics import Diagnostic, DiagnosticError, Severity
from aicxs.aicxs_dsl.formatter import format_module
from aicxs.aicxs_dsl.source import Source, Span
from aicxs.engine.authoring import lsp_symbols
from aicxs.engine.authoring.lsp_analysis import Analysis, Found, analyse
from aicxs.engine.authoring.lsp_complete import complete
from aicxs.engine.authoring.lsp_fixes import fixes_for
from aicxs.engine.authoring.lsp_hover import hover_markdown
from aicxs.engine.authoring.lsp_index import Occurrence, at_offset
from aicxs.engine.loader import load_standard, standard_from_module

COMPLETION_KINDS = {
    "field": lsp.CompletionItemKind.Field,
    "fact": lsp.CompletionItemKind.Field,
    "clause": lsp.CompletionItemKind.Reference,
    "parameter": lsp.CompletionItemKind.Constant,
    "role": lsp.CompletionItemKind.Class,
    "framework": lsp.CompletionItemKind.Module,
    "keyword": lsp.CompletionItemKind.Keyword,
}


class AicxsLanguageServer(LanguageServer):
    """The server, with the analysis of every open document."""

    def __init__(self, version: str) -> None:
        super().__init__("aicxs", version, text_document_sync_kind=lsp.TextDocumentSyncKind.Full)
        self.analyses: dict[str, Analysis] = {}
        self.last_known: dict[str, Analysis] = {}  # the last with a standard, for completion

    # ---- analysis ---------------------------------------------------------------------------

    def refresh(self, uri: str) -> None:
        """Analyse a document, publish its diagnostics; a changed standard re-checks the open
        policies that implement it."""
        a = self._analyse(uri)
        self._publish(uri, a)
        if a.kind == "standard":
            self._recheck_policies()

    def forget(self, uri: str) -> None:
        """A closed document: its diagnostics cleared; a closed standard no longer serves the
        open policies (the bundled one does again)."""
        gone = self.analyses.pop(uri, None)
        self.last_known.pop(uri, None)
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )
        if gone is not None and gone.kind == "standard":
            self._recheck_policies()

    def _recheck_policies(self) -> None:
        for uri, a in list(self.analyses.items()):
            if a.kind == "policy":
                self._publish(uri, self._analyse(uri))

    def analysis(self, uri: str) -> Analysis:
        return self.analyses.get(uri) or self._analyse(uri)

    def _analyse(self, uri: str) -> Analysis:
        doc = self.workspace.get_text_document(uri)
        a = analyse(doc.source, self._path(doc), self._standard)
        self.analyses[uri] = a
        if a.standard is not None:
            self.last_known[uri] = a
        return a

    def _standard(self, std_id: str, version: str) -> Found:
        """The standard a policy implements: an open document that declares it, else the
        bundled file."""
        for a in self.analyses.values():
            std = a.standard
            if a.kind == "standard" and a.module and std and std.name == f"{std_id} {version}":
                try:
                    return Found(standard_from_module(a.module), std)
                except DiagnosticError as err:
                    return Found(err, std)
        path = spec.bundled_path(std_id, version)
        if path is None:
            return Found(None)
        try:
            return Found(load_standard(path))
        except DiagnosticError as err:
            return Found(err)

    @staticmethod
    def _path(doc: TextDocument) -> str:
        return doc.path if doc.uri.startswith("file:") else doc.uri

    # ---- positions --------------------------------------------------------------------------

    def uri_of(self, path: str) -> str:
        """The URI of a file as messages name it (`spec/...` for a bundled standard)."""
        for uri, a in self.analyses.items():
            if a.path == path:
                return uri
        bundled = spec.by_name(path) if not os.path.isabs(path) else None
        return (bundled or Path(path)).resolve().as_uri()

    def position(self, source: Source, offset: int) -> lsp.Position:
        line, col = source.line_col(min(offset, len(source.text)))
        before = source.line_text(line)[: col - 1]
        units = self.workspace.position_codec.client_num_units(before)
        return lsp.Position(line=line - 1, character=units)

    def range(self, span: Span) -> lsp.Range:
        return lsp.Range(
            start=self.position(span.source, span.start), end=self.position(span.source, span.end)
        )

    def location(self, span: Span) -> lsp.Location:
        return lsp.Location(uri=self.uri_of(span.path), range=self.range(span))

    def offset(self, uri: str, position: lsp.Position) -> int:
        return self.workspace.get_text_document(uri).offset_at_position(position)

    # ---- diagnostics ------------------------------------------------------------------------

    def _publish(self, uri: str, a: Analysis) -> None:
        found = [self.diagnostic(d, a) for d in a.diagnostics]
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=found)
        )

    def diagnostic(self, d: Diagnostic, a: Analysis) -> lsp.Diagnostic:
        span = d.span or Span(Source(a.path, a.text), 0, 0)
        message = f"{d.message}\nhelp: {d.help}" if d.help else d.message
        related = [r for note in d.notes if (r := self._note(note, a)) is not None]
        return lsp.Diagnostic(
            range=self.range(span),
            message=message,
            severity=lsp.DiagnosticSeverity.Error
            if d.severity is Severity.ERROR
            else lsp.DiagnosticSeverity.Warning,
            code=d.code,
            source="aicxs",
            related_information=related or None,
            data={"help": d.help, "notes": list(d.notes)},
        )

    def _note(self, note: str, a: Analysis) -> lsp.DiagnosticRelatedInformation | None:
        """A note that names a place (`declared at spec/aicxs-2024.aicx:88:1`) as a related
        location; found by the files' own names, so no pattern runs over the note."""
        sources = [a.module.span.source] if a.module else []
        if a.standard is not None:
            sources.append(a.standard.span.source)
        for source in sources:
            at = note.find(source.path + ":")
            if at < 0:
                continue
            line, _, rest = note[at + len(source.path) + 1 :].partition(":")
            col = "".join(c for c in rest[:9] if c.isdigit()) if rest[:1].isdigit() else ""
            if not line.isdigit() or not col or not 0 < int(line) <= len(source.line_starts):
                continue
            start = source.line_starts[int(line) - 1] + int(col) - 1
            where = Span(source, min(start, len(source.text)), min(start, len(source.text)))
            return lsp.DiagnosticRelatedInformation(location=self.location(where), message=note)
        return None

    # ---- features ---------------------------------------------------------------------------

    def occurrence(self, uri: str, position: lsp.Position) -> tuple[Analysis, Occurrence] | None:
        a = self.analysis(uri)
        found = at_offset(a.occurrences, self.offset(uri, position))
        return (a, found) if found is not None else None

    def definitions(self, a: Analysis, o: Occurrence) -> list[Occurrence]:
        everywhere = [*a.occurrences, *(a.standard_occurrences if a.kind == "policy" else [])]
        return [x for x in everywhere if x.definition and x.key == o.key]

    def references(self, uri: str, a: Analysis, o: Occurrence) -> list[Occurrence]:
        """Uses of a name in this document, in its standard and in the open documents that
        read the same standard."""
        found = list(a.occurrences)
        if a.kind == "policy":
            found += a.standard_occurrences
        for other_uri, b in self.analyses.items():
            same = b.standard is not None and a.standard is not None
            if other_uri != uri and same and b.standard_path == a.standard_path:
                found += b.occurrences
        unique = {(x.span.path, x.span.start): x for x in found if x.key == o.key}
        return sorted(unique.values(), key=lambda x: (x.span.path, x.span.start))

    def completions(self, uri: str, position: lsp.Position) -> list[lsp.CompletionItem]:
        doc = self.workspace.get_text_document(uri)
        a = self.analysis(uri)
        known = a if a.standard is not None else self.last_known.get(uri, a)
        items = complete(doc.source, doc.offset_at_position(position), known)
        return [
            lsp.CompletionItem(
                label=c.label,
                kind=COMPLETION_KINDS[c.kind],
                detail=c.detail or None,
                documentation=c.documentation or None,
            )
            for c in items
        ]

    def formatting(self, uri: str) -> list[lsp.TextEdit] | None:
        doc = self.workspace.get_text_document(uri)
        try:
            formatted = format_module(parse_text(doc.source, self._path(doc)))
        except DiagnosticError:
            return None  # the diagnostics already say why
        if formatted == doc.source:
            return []
        whole = Span(Source(doc.path, doc.source), 0, len(doc.source))
        return [lsp.TextEdit(range=self.range(whole), new_text=formatted)]

    def code_actions(self, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        uri = params.text_document.uri
        a = self.analysis(uri)
        wanted = params.range
        actions = []
        for d in a.diagnostics:
            shown = self.diagnostic(d, a)
            if not _overlaps(shown.range, wanted):
                continue
            for fix in fixes_for(d, a):
                edit = lsp.TextEdit(range=self.range(fix.span), new_text=fix.new_text)
                actions.append(
                    lsp.CodeAction(
                        title=fix.title,
                        kind=lsp.CodeActionKind.QuickFix,
                        diagnostics=[shown],
                        edit=lsp.WorkspaceEdit(changes={uri: [edit]}),
                        is_preferred=True,
                    )
                )
        return actions

    def symbols(self, uri: str) -> list[lsp.DocumentSymbol]:
        a = self.analysis(uri)
        return lsp_symbols.outline(a.module, self.range) if a.module else []


def _overlaps(a: lsp.Range, b: lsp.Range) -> bool:
    def key(p: lsp.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def create_server(version: str) -> AicxsLanguageServer:
    """The server with every feature registered."""
    server = AicxsLanguageServer(version)
    _register(server)
    return server


def _register(s: AicxsLanguageServer) -> None:
    @s.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: AicxsLanguageServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.refresh(params.text_document.uri)

    @s.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: AicxsLanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.refresh(params.text_document.uri)

    @s.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: AicxsLanguageServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.refresh(params.text_document.uri)

    @s.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: AicxsLanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    @s.feature(lsp.TEXT_DOCUMENT_HOVER)
    def hover(ls: AicxsLanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
        found = ls.occurrence(params.text_document.uri, params.position)
        if found is None:
            return None
        a, o = found
        text = hover_markdown(o.kind, o.name, a)
        if text is None:
            return None
        content = lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text)
        return lsp.Hover(contents=content, range=ls.range(o.span))

    @s.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: AicxsLanguageServer, params: lsp.DefinitionParams) -> list[lsp.Location]:
        found = ls.occurrence(params.text_document.uri, params.position)
        return [ls.location(d.span) for d in ls.definitions(*found)] if found else []

    @s.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    def references(ls: AicxsLanguageServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
        uri = params.text_document.uri
        found = ls.occurrence(uri, params.position)
        if found is None:
            return []
        every = ls.references(uri, *found)
        keep = params.context.include_declaration
        return [ls.location(x.span) for x in every if keep or not x.definition]

    @s.feature(lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=[".", " "]))
    def completion(ls: AicxsLanguageServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        items = ls.completions(params.text_document.uri, params.position)
        return lsp.CompletionList(is_incomplete=False, items=items)

    @s.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def formatting(
        ls: AicxsLanguageServer, params: lsp.DocumentFormattingParams
    ) -> list[lsp.TextEdit] | None:
        return ls.formatting(params.text_document.uri)

    @s.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def document_symbol(
        ls: AicxsLanguageServer, params: lsp.DocumentSymbolParams
    ) -> list[lsp.DocumentSymbol]:
        return ls.symbols(params.text_document.uri)

    @s.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]),
    )
    def code_action(ls: AicxsLanguageServer, params: lsp.CodeActionParams) -> list[Any]:
        return list(ls.code_actions(params))


def serve_stdio(version: str) -> None:
    """Run the server on stdin and stdout until the client says `exit`."""
    create_server(version).start_io()
