"""Load test of the decision service: requests per second and latency for a 42-system bank.

Starts `aicxs serve` (the real command: uvicorn, with `--workers N` for each N of `--workers`,
one after the other) on 127.0.0.1 and a free port,
serving `policies/retail-bank.aicx`, then sends `POST /v1/evaluate` with one facts document of
a 42-system organisation (`estate.organisation(42)`: the bank's 8 systems copied and varied,
deterministically) from C client threads, each with its own keep-alive connection, for a
bounded number of requests per explain mode, after a warm-up. Loopback only; it stops by
itself. Prints a Markdown table (req/s, p50, p99, response size) and the command.

Also times, in this process, each step of one request: the facts (the JSON of the body, back
to text, through `parse_facts`; or validated directly, where the engine offers
`facts_from_data`), then evaluating and writing the report.

    python benchmarks/bench_serve.py [--requests 2000] [--clients 8] [--modes none,fails]
                                     [--workers 1,2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from estate import AS_OF, ROOT, organisation

SYSTEMS = 42


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(folder: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    aicxs = Path(sys.executable).with_name("aicxs")
    process = subprocess.Popen(
        [
            str(aicxs),
            "serve",
            "--policies",
            str(folder),
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # uvicorn's access log is written, as in production
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).raise_for_status()
            return process
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the server did not start") from None
            time.sleep(0.1)


def load(url: str, body: bytes, requests: int, clients: int) -> tuple[float, list[float], int]:
    """Send `requests` requests from `clients` threads; (seconds, latencies, response bytes)."""
    latencies: list[float] = []
    sizes: list[int] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def client() -> None:
        with httpx.Client(timeout=60, headers={"content-type": "application/json"}) as c:
            for _ in counter:  # each request is taken once, by whichever thread is free
                start = time.perf_counter()
                response = c.post(url, content=body)
                elapsed = time.perf_counter() - start
                response.raise_for_status()
                with lock:
                    latencies.append(elapsed)
                    sizes.append(len(response.content))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start, latencies, sizes[0] if sizes else 0


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def server_cost(facts: dict[str, Any], repeat: int = 30) -> list[tuple[str, float]]:
    """Milliseconds per request for each step the server takes, in this process: the facts
    (JSON text through `parse_facts`, as the service does, or `facts_from_data` where the engine
    has it, with and without the document's `evidence` list), then evaluating and writing the
    report."""
    from aicxs import engine
    from aicxs.engine.render import report_json

    compiled = engine.load_policy(ROOT / "policies" / "retail-bank.aicx")
    bare = {k: v for k, v in facts.items() if k != "evidence"}

    def via_text(doc: dict[str, Any]) -> Any:
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        text.encode("utf-8")
        return compiled.parse_facts(text, "request.json")

    def report(mode: str) -> Any:
        def step() -> None:
            out = compiled.evaluate(parsed, dt.date.fromisoformat(AS_OF), explain=mode)
            json.dumps(report_json(out, mode), indent=2, ensure_ascii=False).encode("utf-8")

        return step

    parsed = via_text(facts)
    steps = [
        ("facts: JSON text → `parse_facts` (what the service does)", lambda: via_text(facts)),
        ("facts: the same, without the `evidence` list", lambda: via_text(bare)),
    ]
    direct = getattr(compiled, "facts_from_data", None)
    if direct is not None:
        steps.append(("facts: `facts_from_data` (no text)", lambda: direct(facts)))
        steps.append(("facts: `facts_from_data`, without `evidence`", lambda: direct(bare)))
    steps += [(f"evaluate + report JSON, explain `{m}`", report(m)) for m in ("none", "fails")]
    out = []
    for name, fn in steps:
        fn()
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        out.append((name, (time.perf_counter() - start) / repeat * 1000))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="per explain mode")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--modes", default="none,fails", help="explain modes to measure")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--workers", default="1,2", help="server processes, one run each")
    args = parser.parse_args()

    facts = organisation(SYSTEMS)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "retail-bank.aicx").write_bytes(
            (ROOT / "policies" / "retail-bank.aicx").read_bytes()
        )
        for workers in [int(n) for n in args.workers.split(",")]:
            port = free_port()
            url = f"http://127.0.0.1:{port}/v1/evaluate"
            server = start_server(folder, port, workers)
            try:
                for mode in args.modes.split(","):
                    body = json.dumps(
                        {"policy": "retail_bank", "facts": facts, "as_of": AS_OF, "explain": mode}
                    ).encode()
                    load(url, body, args.warmup, args.clients)
                    seconds, latencies, size = load(url, body, args.requests, args.clients)
                    rows.append((workers, mode, len(body), size, seconds, latencies))
            finally:
                server.terminate()
                server.wait(30)

    print(f"`{' '.join(['python', *sys.argv])}`  ")
    print(
        f"{SYSTEMS}-system organisation, {args.requests} requests per mode, {args.clients} "
        f"client threads on the same machine; {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores, {dt.date.today()}\n"
    )
    print("| workers | explain | request | response | requests/s | p50 | p99 |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for workers, mode, request, response, seconds, latencies in rows:
        print(
            f"| {workers} | `{mode}` | {request / 1000:.0f} kB | {response / 1000:.0f} kB "
            f"| {len(latencies) / seconds:.0f} | {percentile(latencies, 50) * 1000:.1f} ms "
            f"| {percentile(latencies, 99) * 1000:.1f} ms |"
        )
    print("\n| one request's work, in one process | ms |")
    print("|---|---:|")
    for name, ms in server_cost(facts):
        print(f"| {name} | {ms:.2f} |")


if __name__ == "__main__":
    main()
