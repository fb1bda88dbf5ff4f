"""Unknown-heavy estates against complete ones: time, peak memory and report size.

The most common real input is an organisation half-way through its first assessment: many
systems, most facts not yet answered. This benchmark runs `aicxs check --format json` (the
real command, one child process per run) on the retail bank's policy over two estates of N
systems made by `estate.py` from the bank's facts: *dense* (every fact present) and *sparse*
(each system keeps its id and a fifth of its other facts). Each run's wall time, peak RSS
(`wait4`) and JSON size are printed, with the sparse/dense ratios and peak RSS as a multiple
of the facts file. With `--service`, it also starts `aicxs serve` and sends the request that
once took the service down: facts listing only 10,000 system ids.

    python benchmarks/bench_unknowns.py                          # 2,000 / 20,000 / 100,000
    python benchmarks/bench_unknowns.py --sizes 2000 --service
    /other/venv/bin/python benchmarks/bench_unknowns.py --timeout 180 --memory-cap 8000

Run with another installation's Python to measure it (e.g. an older commit, for before/after
figures); `--timeout` and `--memory-cap` (MB of address space) stop a run that would take the
whole machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from estate import AS_OF, ROOT, organisation, sparse_organisation

POLICY = ROOT / "policies" / "retail-bank.aicx"


@dataclass
class Run:
    n: int
    kind: str  # dense | sparse
    input_bytes: int
    seconds: float
    peak_mb: float
    output_bytes: int
    outcome: str  # exit code, or how it was stopped


def write_estate(folder: Path, n: int, kind: str) -> Path:
    data = organisation(n) if kind == "dense" else sparse_organisation(n)
    path = folder / f"{kind}-{n}.json"
    path.write_text(json.dumps(data), "utf-8")  # as `json.dumps` writes it: one line
    return path


def _limits(memory_cap_mb: int | None) -> None:
    if memory_cap_mb:
        cap = memory_cap_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def run_check(aicxs: str, facts: Path, n: int, kind: str, args: argparse.Namespace) -> Run:
    """One `aicxs check --format json -o FILE` in a child process, with its peak RSS."""
    out = facts.with_suffix(".report.json")
    out.unlink(missing_ok=True)
    cmd = [aicxs, "check", str(POLICY), "--facts", str(facts), "--as-of", AS_OF]
    cmd += ["--format", "json", "-o", str(out)]
    start = time.perf_counter()
    child = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: _limits(args.memory_cap),
    )
    outcome = ""
    deadline = start + args.timeout
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            child.send_signal(signal.SIGKILL)
            pid, status, usage = os.wait4(child.pid, 0)
            outcome = f"killed after {args.timeout:.0f} s"
            break
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if not outcome:
        outcome = f"exit {child.returncode}" if child.returncode >= 0 else "killed (memory cap)"
    size = out.stat().st_size if out.exists() else 0
    return Run(n, kind, facts.stat().st_size, seconds, usage.ru_maxrss / 1024, size, outcome)


def service_run(ids: int) -> dict[str, float | int | str]:
    """Start `aicxs serve` and post facts listing only `ids` system ids."""
    import httpx
    from bench_serve import free_port, start_server

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / POLICY.name).write_text(POLICY.read_text("utf-8"), "utf-8")
        port = free_port()
        server = start_server(folder, port)  # the `aicxs` beside this Python
        try:
            facts = {"systems": [{"id": f"s{i:06d}"} for i in range(ids)]}
            body = json.dumps({"policy": "retail_bank", "facts": facts, "as_of": AS_OF})
            start = time.perf_counter()
            response = httpx.post(
                f"http://127.0.0.1:{port}/v1/evaluate",
                content=body,
                headers={"content-type": "application/json"},
                timeout=600,
            )
            seconds = time.perf_counter() - start
            status = Path(f"/proc/{server.pid}/status").read_text()
            peak = next(line for line in status.splitlines() if line.startswith("VmHWM"))
            return {
                "request_bytes": len(body),
                "status": response.status_code,
                "seconds": seconds,
                "response_bytes": len(response.content),
                "server_peak_mb": int(peak.split()[1]) / 1024,
            }
        finally:
            server.terminate()
            server.wait()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="2000,20000,100000")
    ap.add_argument("--aicxs", default=str(Path(sys.executable).with_name("aicxs")))
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    ap.add_argument("--memory-cap", type=int, default=None, help="MB of address space per run")
    ap.add_argument("--service", action="store_true", help="also the 10,000-id service request")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"# aicxs unknown-heavy estates — {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}"
    )
    print(f"    python benchmarks/bench_unknowns.py --sizes {args.sizes}\n")
    runs: list[Run] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            for kind in ("dense", "sparse"):
                facts = write_estate(Path(tmp), n, kind)
                runs.append(run_check(args.aicxs, facts, n, kind, args))
                facts.unlink()
    print("| N | facts | facts file | time | peak RSS | RSS / facts file | JSON report |")
    print("|--:|---|--:|--:|--:|--:|--:|")
    for r in runs:
        mb = r.input_bytes / 1e6
        stopped = "" if r.outcome.startswith("exit") else f" ({r.outcome})"
        print(
            f"| {r.n:,} | {r.kind} | {mb:.1f} MB | {r.seconds:.2f} s{stopped} | "
            f"{r.peak_mb:.0f} MB | {r.peak_mb / mb:.1f}x | {r.output_bytes / 1e6:.2f} MB |"
        )
    print("\n| N | time, sparse / dense | JSON, sparse / dense |")
    print("|--:|--:|--:|")
    for n in sizes:
        dense, sparse = (
            next(r for r in runs if r.n == n and r.kind == k) for k in ("dense", "sparse")
        )
        size = sparse.output_bytes / dense.output_bytes if dense.output_bytes else float("nan")
        print(f"| {n:,} | {sparse.seconds / dense.seconds:.2f}x | {size:.2f}x |")
    if args.service:
        s = service_run(10_000)
        print(
            f"\nService, facts listing 10,000 system ids ({s['request_bytes']:,} bytes): "
            f"HTTP {s['status']} in {s['seconds']:.2f} s, response {s['response_bytes']:,} "
            f"bytes, server peak RSS {s['server_peak_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
