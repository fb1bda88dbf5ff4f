"""Batch throughput: documents per second for 10,000 small documents, and peak memory.

Writes `estate.small_documents(N)` (the bank's organisation facts and two varied systems each;
most certified, some not, some undetermined, 1 % invalid; deterministic) as a JSON Lines file,
then times the real command on it for each engine:

    aicxs check policies/retail-bank.aicx --batch DOCS.jsonl --as-of 2026-11-27 \
        --explain MODE --engine local|processes|dask  > /dev/null

`local` is one process; `processes` a pool over all cores; `dask` a Dask `LocalCluster` of one
single-threaded worker process per core (started by the command, and counted in its time).
Peak memory is the command's own maximum resident set (`wait4` rusage) and the largest total
of its whole process tree (workers included), sampled every 50 ms with psutil. A run with a
tenth of the documents shows that the command's own memory does not grow with their number.
Each run is repeated (`--repeat`, default 3) and the fastest shown, as a shared machine is noisy.

    python benchmarks/bench_batch.py [--documents 10000] [--modes none,fails] [--engines ...]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from estate import AS_OF, ROOT, small_documents, write_jsonl

POLICY = ROOT / "policies" / "retail-bank.aicx"


def tree_peak(pid: int, stop: threading.Event, out: list[int]) -> None:
    """The largest total RSS of `pid` and its descendants, sampled until `stop`."""
    try:
        import psutil
    except ImportError:
        return
    peak = 0
    while not stop.is_set():
        try:
            root = psutil.Process(pid)
            procs = [root, *root.children(recursive=True)]
            total = 0
            for p in procs:
                with contextlib.suppress(psutil.Error):  # a worker that just ended
                    total += p.memory_info().rss
            peak = max(peak, total)
        except psutil.Error:
            pass
        stop.wait(0.05)
    out.append(peak)


def run(docs: Path, mode: str, engine: str) -> tuple[float, int, int, str]:
    """(seconds, own peak RSS bytes, tree peak RSS bytes, the summary line) of one run."""
    aicxs = Path(sys.executable).with_name("aicxs")
    command = [str(aicxs), "check", str(POLICY), "--batch", str(docs), "--as-of", AS_OF,
               "--explain", mode, "--engine", engine]  # fmt: skip
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err)
        stop, peaks = threading.Event(), []  # type: ignore[var-annotated]
        sampler = threading.Thread(target=tree_peak, args=(process.pid, stop, peaks))
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        stop.set()
        sampler.join()
        err.seek(0)
        summary = err.read().decode().strip().splitlines()[-1]
    if process.returncode not in (0, 1, 2):
        raise SystemExit(f"{' '.join(command)} failed: {summary}")
    return seconds, usage.ru_maxrss * 1024, peaks[0] if peaks else 0, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--modes", default="none,fails")
    parser.add_argument("--engines", default="local,processes,dask")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the fastest is shown")
    args = parser.parse_args()

    def best(docs: Path, mode: str, engine: str) -> tuple[float, int, int, str]:
        runs = [run(docs, mode, engine) for _ in range(args.repeat)]
        fastest = min(runs)
        return fastest[0], max(r[1] for r in runs), max(r[2] for r in runs), fastest[3]

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        docs = Path(tmp) / "estate.jsonl"
        small = Path(tmp) / "estate-small.jsonl"
        write_jsonl(docs, small_documents(args.documents))
        write_jsonl(small, small_documents(args.documents // 10))
        size = docs.stat().st_size
        for mode in args.modes.split(","):
            for engine in args.engines.split(","):
                rows.append((mode, engine, args.documents, *best(docs, mode, engine)))
        rows.append(("none", "local", args.documents // 10, *best(small, "none", "local")))

    print(f"`{' '.join(['python', *sys.argv])}`  ")
    print(
        f"{args.documents:,} documents ({size / 1e6:.0f} MB of JSON Lines, "
        f"{size / args.documents / 1000:.1f} kB each); {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores, {dt.date.today()}\n"
    )
    print("| explain | engine | documents | seconds | documents/s | peak RSS, command | "
          "peak RSS, all processes |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---:|")
    for mode, engine, n, seconds, own, tree, _ in rows:
        print(
            f"| `{mode}` | {engine} | {n:,} | {seconds:.1f} | {n / seconds:,.0f} "
            f"| {own / 2**20:.0f} MiB | {tree / 2**20:.0f} MiB |"
        )
    print(f"\nfastest of {args.repeat} runs each; peak memory the largest of them")
    print(f"verdicts: {rows[0][-1]}")


if __name__ == "__main__":
    main()
