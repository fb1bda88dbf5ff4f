"""Batch evaluation: many facts documents against one policy, in parallel, results in order.

Documents come from a folder of facts files or a JSON Lines file (one document a line), read
lazily. They go to the workers in chunks, with a bounded number of chunks in flight, and the
results come back in input order, one JSON line per document: memory stays flat however many
documents there are. Workers compile the policy once (from its text, so they need no access
to the policy file) and return finished JSON lines, so the parent only reads and writes.
Runners: in this process (`local`), a process pool (`processes`), or Dask (`engine.distributed`).

Reading stays within the folder and within the limits: a link that leads out of the folder is
skipped (and named to the caller) unless links are to be followed; a folder reached twice (a
link to a parent) is read once; a JSON Lines file must be a regular file, and a line longer
than `AICXS_MAX_FACTS_BYTES` is refused as it is read, never held whole.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import io
import itertools
import multiprocessing
import os
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from aicxs.aicxs_dsl import DiagnosticError, parse_text
from aicxs.aicxs_dsl.diagnostics import Diagnostic
from aicxs.aicxs_dsl.escape import json_dumps, printable
from aicxs.aicxs_dsl.limits import max_facts_bytes
from aicxs.aicxs_dsl.parser import decode
from aicxs.aicxs_dsl.reading import open_regular, read_limited
from aicxs.engine.loader import CompiledPolicy, compile_policy
from aicxs.engine.outcome import Explain
from aicxs.engine.render import report_json

FACTS_SUFFIXES = (".yaml", ".yml", ".json")
CHUNK = 16  # documents per task: enough to make the cost of a round trip small


@dataclass(frozen=True)
class PolicySource:
    """What a worker needs to compile the policy: its text, its name, the standard's path."""

    name: str
    text: str
    spec_path: str | None = None
    key: str = field(init=False, default="")

    def __post_init__(self) -> None:
        digest = hashlib.sha256(f"{self.name}\0{self.spec_path}\0{self.text}".encode())
        object.__setattr__(self, "key", digest.hexdigest())

    @classmethod
    def of(cls, compiled: CompiledPolicy, spec_path: str | None) -> PolicySource:
        source = compiled.policy.span.source
        return cls(source.path, source.text, spec_path)


@dataclass(frozen=True)
class Document:
    """One facts document to evaluate; `data` is None when it could not even be read."""

    index: int
    source: str  # how the output names it: the file, or `estate.jsonl:3` (file:line)
    data: bytes | None
    line: int = 0  # for a JSON Lines document, its line in the file
    unreadable: tuple[Diagnostic, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """One output line, and what it counts as: a verdict, `invalid` or `internal_error`."""

    line: str
    kind: str


# ---- reading documents, lazily --------------------------------------------------------------


def documents(
    path: Path, follow_links: bool = False, skipped: list[str] | None = None
) -> Iterator[Document]:
    """The documents of a folder (facts files, sorted, recursively) or a JSON Lines file.
    Links that lead out of the folder are added to `skipped` unless `follow_links`."""
    if path.is_dir():
        files = _facts_files(path, follow_links, skipped if skipped is not None else [])
        return _folder_documents(files)
    return _jsonl_documents(path)


def count_documents(path: Path, follow_links: bool = False) -> int:
    """How many documents `documents(path)` will give (for a progress bar)."""
    if path.is_dir():
        return len(_facts_files(path, follow_links, []))
    count, blank = 0, True  # whether the line read so far is blank
    with open_regular(path) as f:
        while chunk := f.read(1 << 20):  # lines of any length, in pieces
            *ended, rest = chunk.split(b"\n")
            for piece in ended:
                count += not (blank and not piece.strip())
                blank = True
            blank = blank and not rest.strip()
    return count + (not blank)


def _facts_files(folder: Path, follow_links: bool, skipped: list[str]) -> list[Path]:
    """The facts files under `folder`, sorted; links out of it skipped (unless followed)
    and named in `skipped`; each folder read once however many links lead to it."""
    root, found, seen = folder.resolve(), [], set()
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            st = current.stat()
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            entries = list(os.scandir(current))
        except OSError:
            continue  # gone, or not ours to read: not a document
        for entry in entries:
            path = Path(entry.path)
            # policy test files (`*.tests.yaml`, issue 4) live beside facts but are not facts
            wanted = path.suffix in FACTS_SUFFIXES and ".tests." not in path.name
            is_dir = entry.is_dir()  # through a link
            if not (is_dir or wanted):
                continue
            if entry.is_symlink() and not follow_links and not _inside(path, root):
                skipped.append(str(path))
            elif is_dir:
                stack.append(path)
            elif entry.is_file():
                found.append(path)
    skipped.sort()
    return sorted(found)


def _inside(path: Path, root: Path) -> bool:
    return path.resolve().is_relative_to(root)


def _folder_documents(files: list[Path]) -> Iterator[Document]:
    limit = max_facts_bytes()
    for index, path in enumerate(files):
        name = printable(str(path))
        try:
            data = read_limited(path, limit, name)
            if data is None:
                yield _unreadable(index, name, f"facts file is larger than {limit:,} bytes")
                continue
            yield Document(index, name, data)
        except DiagnosticError as err:  # not a regular file
            yield Document(index, name, None, 0, tuple(err.diagnostics))
        except OSError as err:
            reason = (err.strerror or str(err)).lower()
            yield _unreadable(index, name, f"cannot read `{name}`: {reason}")


def _unreadable(index: int, name: str, message: str) -> Document:
    help = "check the file, or remove it from the folder"
    return Document(
        index, name, None, 0, (Diagnostic("aicxs_file_error", message, None, help, path=name),)
    )


def _jsonl_documents(path: Path) -> Iterator[Document]:
    """One document a line; a line over the limit is refused as it is read (its bytes past
    the limit are skipped, never kept), so no line can take more memory than the limit."""
    limit, name = max_facts_bytes(), printable(str(path))
    index = 0
    with open_regular(path, name) as raw:
        f = io.BufferedReader(raw, 1 << 16)
        for number in itertools.count(1):
            line = f.readline(limit + 1)
            if not line:
                return
            if len(line) > limit and not line.endswith(b"\n"):
                while (rest := f.readline(1 << 16)) and not rest.endswith(b"\n"):
                    pass  # the rest of the line, piece by piece
                yield _too_large(index, f"{name}:{number}", number, limit)
            elif line.strip():
                yield Document(index, f"{name}:{number}", line, number)
            else:
                continue
            index += 1


def _too_large(index: int, source: str, line: int, limit: int) -> Document:
    help = (
        "split the estate into smaller documents, or raise the limit with the environment "
        "variable `AICXS_MAX_FACTS_BYTES`"
    )
    diagnostic = Diagnostic(
        "aicxs_limit_file_size",
        f"document is larger than {limit:,} bytes",
        None,
        help,
        path=source.rsplit(":", 1)[0],
    )
    return Document(index, source, None, line, (diagnostic,))


# ---- evaluating, in a worker ----------------------------------------------------------------

_COMPILED: dict[str, CompiledPolicy] = {}  # per process: policy key → compiled policy


def compiled_for(policy: PolicySource) -> CompiledPolicy:
    """The policy compiled in this process, once."""
    compiled = _COMPILED.get(policy.key)
    if compiled is None:
        compiled = compile_policy(parse_text(policy.text, policy.name), policy.spec_path)
        _COMPILED[policy.key] = compiled
    return compiled


def evaluate_chunk(
    policy: PolicySource, chunk: list[Document], as_of: Any, explain: Explain
) -> list[Outcome]:
    """Evaluate each document of a chunk into its output line; a bad one never stops the rest."""
    compiled = compiled_for(policy)
    return [_evaluate(compiled, doc, as_of, explain) for doc in chunk]


def _evaluate(compiled: CompiledPolicy, doc: Document, as_of: Any, explain: Explain) -> Outcome:
    head: dict[str, Any] = {"source": doc.source, "index": doc.index}
    try:
        if doc.data is None:
            raise DiagnosticError(doc.unreadable)
        facts = compiled.parse_facts(*_text_and_name(doc))
        report = compiled.evaluate(facts, as_of, explain=explain)
        data = report_json(report, explain)
        if doc.line:
            _relocate(data, facts.path, doc)
        head |= {"verdict": report.verdict, "report": data}
        return Outcome(_dumps(head), report.verdict)
    except DiagnosticError as err:
        head["error"] = {
            "kind": "invalid_facts",
            "diagnostics": [_diagnostic(d, doc) for d in err.diagnostics],
        }
        return Outcome(_dumps(head), "invalid")
    except Exception as err:  # a bug in aicxs: say so on this line, carry on with the rest
        head["error"] = {
            "kind": "internal_error",
            "message": f"{type(err).__name__}: {err}",
            "traceback": traceback.format_exc(),
        }
        return Outcome(_dumps(head), "internal_error")


def _text_and_name(doc: Document) -> tuple[str, str]:
    assert doc.data is not None
    if doc.line:  # a JSON Lines document is JSON, whatever its file is called
        return decode(doc.source, doc.data), f"{doc.source}.json"
    return decode(doc.source, doc.data), doc.source


def _relocate(report: dict[str, Any], name: str, doc: Document) -> None:
    """Name a JSON Lines document as `estate.jsonl:3`, and locate its facts on line 3 of
    `estate.jsonl` (the parser saw the line alone, as `estate.jsonl:3.json`)."""
    report["facts"]["source"] = doc.source
    file = doc.source.rsplit(":", 1)[0]
    stack: list[Any] = [report["results"]]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            where = value.get("location")
            if isinstance(where, dict) and where.get("file") == name:
                value["location"] = {**where, "file": file, "line": doc.line}
            stack.extend(v for v in value.values() if isinstance(v, (dict, list)))


def _diagnostic(d: Diagnostic, doc: Document) -> dict[str, Any]:
    """A diagnostic as JSON; for a JSON Lines document, located in the JSON Lines file."""
    out = d.as_dict()
    if doc.line:
        out["file"] = doc.source.rsplit(":", 1)[0]
        out["line"] = doc.line
    return out


def _dumps(data: dict[str, Any]) -> str:
    return json_dumps(data, indent=None, compact=True)


# ---- runners: where chunks are evaluated ----------------------------------------------------


class Future(Protocol):
    def result(self) -> list[Outcome]: ...


Submit = Callable[[list[Document]], Future]


def run(
    submit: Submit, docs: Iterable[Document], window: int, chunk: int = CHUNK
) -> Iterator[Outcome]:
    """Outcomes in input order, with at most `window` chunks in flight."""
    pending: deque[Future] = deque()
    batch: list[Document] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) == chunk:
            pending.append(submit(batch))
            batch = []
            while len(pending) >= window:
                yield from pending.popleft().result()
    if batch:
        pending.append(submit(batch))
    while pending:
        yield from pending.popleft().result()


class _Done:
    """A finished result, for the in-process runner."""

    def __init__(self, outcomes: list[Outcome]) -> None:
        self.outcomes = outcomes

    def result(self) -> list[Outcome]:
        return self.outcomes


def run_local(
    policy: PolicySource, docs: Iterable[Document], as_of: Any, explain: Explain
) -> Iterator[Outcome]:
    """Every document in this process, one after another."""
    return run(lambda chunk: _Done(evaluate_chunk(policy, chunk, as_of, explain)), docs, 1)


_WORKER_POLICY: list[PolicySource] = []  # set in each pool worker by its initializer


def _init_worker(policy: PolicySource) -> None:
    compiled_for(policy)  # compile now, once, before the first chunk arrives
    _WORKER_POLICY[:] = [policy]


def _pool_chunk(chunk: list[Document], as_of: Any, explain: Explain) -> list[Outcome]:
    return evaluate_chunk(_WORKER_POLICY[0], chunk, as_of, explain)


def run_processes(
    policy: PolicySource, docs: Iterable[Document], as_of: Any, explain: Explain, workers: int
) -> Iterator[Outcome]:
    """Documents over a pool of `workers` processes, each compiling the policy once."""
    context = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
    with cf.ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(policy,)
    ) as pool:
        yield from run(
            lambda chunk: pool.submit(_pool_chunk, chunk, as_of, explain), docs, workers * 4
        )
