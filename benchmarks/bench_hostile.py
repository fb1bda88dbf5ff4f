"""Time and peak memory of every hostile input: no input may take more than a few seconds or a
few hundred MB.

Each input of the corpus (tests/hostile/aicx/*.aicx through `aicxs lint`, tests/hostile/facts/*
through `aicxs check` of a small policy) and each big generated one (a 50 MB policy, 10,000
nested brackets, 1,000,000 systems in YAML and in JSON, JSON nested 100,000 deep, ...) is run
in a child process of its own; its wall time and peak resident memory (ru_maxrss, from wait4)
are printed in a table, with the exit code and the error codes. So are the comparisons of
long texts (`diff`, `fmt --diff`), the special files
(`/dev/zero` as facts, policy and standard; a FIFO as facts and as a batch), the valid inputs
with hostile texts of tests/hostile/output/ in every format, and the 1,000,000 systems as a
`check --batch` document. The floor row is `aicxs
--version`: the cost of starting Python and importing the command. This process imports
nothing of aicxs and makes the big inputs in a child of its own: a child's peak memory counts
the pages of the parent it was forked from.

    python benchmarks/bench_hostile.py              # everything
    python benchmarks/bench_hostile.py --only systems   # inputs whose name contains "systems"
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "hostile"
POLICY = CORPUS / "aicx" / "ok-clean.aicx"
CODE = re.compile(r"(aicxs_[a-z_]+)(?: \(warning\))?: ")


def run(args: list[str]) -> tuple[int, float, float, str]:
    """Exit code, seconds, peak MB and output of `aicxs ARGS` in a child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "aicxs", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "NO_COLOR": "1"},
    )
    output = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, seconds, usage.ru_maxrss / 1024, output.decode("utf-8", "replace")


GENERATE = """
import sys
from pathlib import Path
from tests.test_hostile import GENERATED_AICX, GENERATED_FACTS
folder = Path(sys.argv[1])
for kind, makers in (("aicx", GENERATED_AICX), ("facts", GENERATED_FACTS)):
    for name, make in makers.items():
        print(kind, name, make(folder), sep="\t")
"""


def generated(folder: Path) -> list[tuple[str, str, str]]:
    """(kind, name, path) of each big input, made by the test suite's own generators."""
    out = subprocess.run(
        [sys.executable, "-c", GENERATE, str(folder)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [tuple(line.split("\t")) for line in out.splitlines()]  # type: ignore[misc]


def inputs(folder: Path) -> list[tuple[str, list[str]]]:
    big = generated(folder)
    cases: list[tuple[str, list[str]]] = [("(floor) aicxs --version", ["--version"])]
    for path in sorted((CORPUS / "aicx").glob("*.aicx")):
        cases.append((f"aicx/{path.name}", ["lint", str(path)]))
    for _, name, path in (b for b in big if b[0] == "aicx"):
        cases.append((f"aicx/{name} (generated)", ["lint", path]))
    check = ["check", str(POLICY), "--as-of", "2026-11-27", "--explain", "none", "--facts"]
    for path in sorted((CORPUS / "facts").iterdir()):
        if path.suffix in (".yaml", ".json"):
            cases.append((f"facts/{path.name}", [*check, str(path)]))
    for _, name, path in (b for b in big if b[0] == "facts"):
        cases.append((f"facts/{name} (generated)", [*check, path]))
    batch = ["check", str(POLICY), "--as-of", "2026-11-27", "--engine", "local", "--batch"]
    for _, name, path in (b for b in big if b[0] == "facts" and b[1].endswith(".json")):
        cases.append((f"facts/{name} (generated) as a --batch line", [*batch, path]))
    return cases + special(folder, check, batch)


def special(folder: Path, check: list[str], batch: list[str]) -> list[tuple[str, list[str]]]:
    """Devices and FIFOs where files are expected, and valid inputs with hostile texts."""
    fifo = folder / "facts-fifo.yaml"
    os.mkfifo(fifo)  # nobody ever writes to it: aicxs must not wait for a writer
    clean = str(CORPUS / "facts" / "ok-clean.yaml")
    cases = [
        ("special: --facts /dev/zero", [*check, "/dev/zero"]),
        ("special: lint /dev/zero", ["lint", "/dev/zero"]),
        ("special: --spec /dev/zero", [*check, clean, "--spec", "/dev/zero"]),
        ("special: --facts a FIFO", [*check, str(fifo)]),
        ("special: --batch a FIFO", [*batch, str(fifo)]),
    ]
    cases += comparisons(folder)
    output = CORPUS / "output"
    for fmt in ("text", "markdown", "html", "junit", "sarif", "oscal", "csv", "json"):
        for stem in ("escapes", "markdown"):
            args = ["check", str(output / f"{stem}.aicx"), "--facts", str(output / f"{stem}.yaml")]
            cases.append((f"output/{stem} --format {fmt}", [*args, "--format", fmt]))
    return cases


def comparisons(folder: Path) -> list[tuple[str, list[str]]]:
    """Comparisons whose work grows with the product of two lengths: `diff` of two standards
    whose P5.3 texts are 16,000 words each, drawn from eight (so that words match everywhere),
    `fmt --diff` of a 60,000-line file."""
    spec = (ROOT / "spec" / "aicxs-2024.aicx").read_text("utf-8")
    start = spec.index('  clause P5.3 "Trust-building practices" {')
    words = spec[spec.index('text """', start) : spec.index("evidence", start)]
    texts = []
    draw = random.Random(2024)  # the same words every run
    vocabulary = ("alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta")
    for name in ("old", "new"):
        path = folder / f"{name}-16000-words.aicx"
        text = " ".join(draw.choice(vocabulary) for _ in range(16_000))  # matches everywhere
        path.write_text(spec.replace(words, f'text """{text}"""\n    '))
        texts.append(str(path))
    lines = folder / "lines-60000.aicx"
    lines.write_text(
        "".join(
            f'role r{i} "R{i}" {{\n{"    " if i % 2 else "  "}text "t"\n}}\n' for i in range(20_000)
        )
    )
    return [
        ("comparison: diff of two 16,000-word texts", ["diff", *texts]),
        ("comparison: fmt --diff of 60,000 lines", ["fmt", "--diff", str(lines)]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="Only inputs whose name contains this.")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'input':58} {'exit':>4} {'seconds':>8} {'peak MB':>8}  codes")
        worst_time = worst_memory = 0.0
        for name, args in inputs(Path(tmp)):
            if options.only not in name:
                continue
            code, seconds, peak, output = run(args)
            codes = ", ".join(sorted(set(CODE.findall(output)))) or "-"
            if "Traceback" in output:
                codes += "  TRACEBACK"
            print(f"{name:58} {code:>4} {seconds:>8.2f} {peak:>8.0f}  {codes}")
            worst_time, worst_memory = max(worst_time, seconds), max(worst_memory, peak)
        print(f"\nslowest: {worst_time:.2f} s; largest peak: {worst_memory:.0f} MB")


if __name__ == "__main__":
    main()
