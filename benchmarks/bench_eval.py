"""Evaluation speed, as ratios to a hand-written Python floor measured in the same run.

The workload is the peer benchmark's (../shared/bench-peers): an estate of N AI systems from
its deterministic generator (`factgen.py`, fixed seed) and the rule "every customer-facing
system discloses AI at the first turn, offers a human within 120 s, had a bias test within 90
days (30 for high risk), and has recorded consent", written for aicxs in
`benchmarks/workload/estate-standard.aicx`. The floor is the peers' baseline: one list
comprehension over the dicts giving the violating systems and their failed conditions.

Measured, each paired with a floor timing taken just before it (ratio = median of the pairs):
  decide      `evaluate(explain="none")`: the verdict and every status, from a loaded document;
              it stops at the first counterexample, so it is also timed on a compliant estate
              of the same size (every system scanned): `decide (compliant)`
  explain     `evaluate()` + `report_json()`: every result explained (the default JSON output);
              the violators and their failed conditions are read back and checked against the
              floor's
  from-dicts  `facts_from_data()` (validate + type) + explain: from parsed dicts, as the peers
  end-to-end  JSON text → JSON text (parse, validate, evaluate, explain, serialise) against
              `json.loads` + `json.dumps` of the same facts, with the breakdown
plus peak memory at 100,000 systems (a child process each), load time of standard + policy,
how load grows with generated standards, and `aicxs check` as a whole process against the
import floor.

    python benchmarks/bench_eval.py                      # 1,000 / 10,000 / 100,000 systems
    python benchmarks/bench_eval.py --sizes 1000,10000 --repeat 5
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT.parent / "shared" / "bench-peers"
WORKLOAD = ROOT / "benchmarks" / "workload"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(PEERS))

import factgen  # noqa: E402

from aicxs import engine  # noqa: E402
from aicxs.engine.explain import operands  # noqa: E402
from aicxs.engine.render import report_json  # noqa: E402

AS_OF = dt.date(2026, 11, 27)
CHECKS = ("disclosure", "escalation", "bias_test", "consent")
# The conjuncts of the workload clause, in order, named as the peers name them.
CONJUNCT_NAMES = (
    "disclosure",
    "disclosure",
    "escalation",
    "escalation",
    "bias_test",
    "bias_test",
    "consent",
)


def floor(systems: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """The peers' baseline, verbatim: one list comprehension over the dicts."""
    return [
        (s["id"], f)
        for s in systems
        if s["customer_facing"]
        and (
            f := [
                name
                for name, bad in (
                    ("disclosure", not (s["discloses_ai"] and s["disclosure_turn"] <= 1)),
                    (
                        "escalation",
                        not (
                            s["escalation"]["available"]
                            and s["escalation"]["max_wait_seconds"] <= 120
                        ),
                    ),
                    (
                        "bias_test",
                        s["last_bias_test_days_ago"] > (30 if s["risk"] == "high" else 90),
                    ),
                    ("consent", not s["consent"]["recorded"]),
                )
                if bad
            ]
        )
    ]


def load_policy() -> engine.CompiledPolicy:
    return engine.load_policy(WORKLOAD / "estate-policy.aicx", WORKLOAD / "estate-standard.aicx")


def violators(report: engine.Report) -> list[tuple[str, list[str]]]:
    """(system id, failed conditions) read back from the explanation of clause E1.1."""
    result = report.result("E1.1")
    assert result is not None and result.node is not None
    out = []
    for item in result.node.items or []:
        if item.truth is False and item.body is not None:
            failed = [
                CONJUNCT_NAMES[i] for i, c in enumerate(operands(item.body)) if c.value is False
            ]
            out.append((item.name, sorted(set(failed), key=CHECKS.index)))
    return out


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def paired(fn: Callable[[], Any], base: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median time of `fn` and the median of its ratios to `base` timed just before each."""
    times, ratios, out = [], [], None
    for _ in range(repeat):
        tb, _ = timed(base)
        t, out = timed(fn)
        times.append(t)
        ratios.append(t / tb)
    return statistics.median(times), statistics.median(ratios), out


def run_size(n: int, repeat: int) -> dict[str, Any]:
    policy = load_policy()
    systems = factgen.generate_estate(n)
    data = {"systems": systems}
    text = json.dumps(data)
    doc = policy.parse_facts(text, "estate.json")
    expected = {sid: sorted(f, key=CHECKS.index) for sid, f in floor(systems)}

    def explain() -> Any:
        report = policy.evaluate(doc, AS_OF)
        return report, report_json(report)

    # warm up, and check the results against the floor's
    got = dict(violators(explain()[0]))
    assert got == expected, f"N={n}: {len(got)} violators vs {len(expected)} from the floor"
    decided = policy.evaluate(doc, AS_OF, explain="none")
    assert decided.verdict == "not_certified"

    compliant = policy.facts_from_data({"systems": factgen.generate_estate(n, violation_rate=0.0)})
    assert policy.evaluate(compliant, AS_OF, explain="none").verdict == "certified"
    base = lambda: floor(systems)  # noqa: E731
    row: dict[str, Any] = {"n": n, "violators": len(expected)}
    t_floor = statistics.median(timed(base)[0] for _ in range(repeat))
    row["floor_us"] = t_floor / n * 1e6
    for key, fn in (
        ("decide", lambda: policy.evaluate(doc, AS_OF, explain="none")),
        ("decide (compliant)", lambda: policy.evaluate(compliant, AS_OF, explain="none")),
        ("explain", explain),
        ("from-dicts", lambda: policy.evaluate(policy.facts_from_data(data), AS_OF)),
    ):
        t, ratio, _ = paired(fn, base, repeat)
        row[key] = (t / n * 1e6, ratio)

    def reference() -> str:
        return json.dumps(json.loads(text))

    def end_to_end() -> str:
        d = policy.parse_facts(text, "estate.json")
        return json.dumps(report_json(policy.evaluate(d, AS_OF)), indent=2, ensure_ascii=False)

    t, ratio, _ = paired(end_to_end, reference, repeat)
    row["end-to-end"] = (t / n * 1e6, ratio)
    row["breakdown"] = breakdown(policy, text, repeat)
    return row


def breakdown(policy: engine.CompiledPolicy, text: str, repeat: int) -> dict[str, float]:
    """Milliseconds per stage of the end-to-end run (medians)."""
    from aicxs.aicxs_dsl.source import Source
    from aicxs.engine.facts import FactsDocument, facts_from_data
    from aicxs.engine.facts.json_text import _parse_json

    stages: dict[str, list[float]] = {
        k: [] for k in ("parse", "validate", "evaluate", "explain", "serialise")
    }
    for _ in range(repeat):
        t, raw = timed(lambda: _parse_json(text, Source("estate.json", text)))
        stages["parse"].append(t)
        t, doc = timed(
            lambda raw=raw: facts_from_data(
                raw,
                FactsDocument("estate.json", {}, text),
                Source("estate.json", text),
                policy.validator,
                policy.vocabulary,
            )
        )
        stages["validate"].append(t)
        t, report = timed(lambda doc=doc: policy.evaluate(doc, AS_OF))
        stages["evaluate"].append(t)
        t, data = timed(lambda report=report: report_json(report))
        stages["explain"].append(t)
        t, _ = timed(lambda data=data: json.dumps(data, indent=2, ensure_ascii=False))
        stages["serialise"].append(t)
    return {k: statistics.median(v) * 1e3 for k, v in stages.items()}


def peak_memory(n: int) -> float:
    """Peak RSS (MB) of a child process that runs the end-to-end job on N systems."""
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip())


def memory_child(n: int) -> None:
    policy = load_policy()
    text = json.dumps({"systems": factgen.generate_estate(n)})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    doc = policy.parse_facts(text, "estate.json")
    out = json.dumps(report_json(policy.evaluate(doc, AS_OF)), indent=2)
    assert out
    del before
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def load_times(repeat: int) -> dict[str, float]:
    """Milliseconds to parse + check the standard and compile a policy (no caches)."""
    from aicxs.engine.loader import _load_standard_cached

    def bundled() -> Any:
        _load_standard_cached.cache_clear()
        return engine.load_policy(ROOT / "policies" / "retail-bank.aicx")

    def workload() -> Any:
        _load_standard_cached.cache_clear()
        return load_policy()

    return {
        "AICXS 2024 + retail-bank policy": statistics.median(
            timed(bundled)[0] for _ in range(repeat)
        )
        * 1e3,
        "workload standard + policy": statistics.median(timed(workload)[0] for _ in range(repeat))
        * 1e3,
    }


def process_times(repeat: int) -> tuple[float, float]:
    """Seconds for `aicxs check` on the bank example, and for the import floor (medians)."""
    aicxs = Path(sys.executable).with_name("aicxs")
    check = [
        str(aicxs),
        "check",
        "policies/retail-bank.aicx",
        "--facts",
        "policies/retail-bank.facts.yaml",
        "--as-of",
        "2026-11-27",
    ]
    imports = [sys.executable, "-c", "import lark, yaml, jsonschema, networkx, click"]

    def run(cmd: list[str]) -> float:
        t0 = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, capture_output=True, check=False)
        return time.perf_counter() - t0

    run(check), run(imports)  # warm the file cache
    return (
        statistics.median(run(check) for _ in range(repeat)),
        statistics.median(run(imports) for _ in range(repeat)),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"# aicxs evaluation benchmark — {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores, {platform.machine()}"
    )
    print(f"    python benchmarks/bench_eval.py --sizes {args.sizes} --repeat {args.repeat}\n")
    rows = [run_size(n, args.repeat if n < 100_000 else max(3, args.repeat // 2)) for n in sizes]
    print(
        "| N | floor µs/system | decide (x floor) | decide, compliant estate (x floor) "
        "| explain (x floor) | from dicts (x floor) | end-to-end (x loads+dumps) |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        cells = [
            f"{r[k][0]:.2f} µs ({r[k][1]:.1f}x)"
            for k in ("decide", "decide (compliant)", "explain", "from-dicts", "end-to-end")
        ]
        print(f"| {r['n']:,} | {r['floor_us']:.2f} | " + " | ".join(cells) + " |")
    print("\nEnd-to-end breakdown (ms): | N | parse | validate | evaluate | explain | serialise |")
    for r in rows:
        b = r["breakdown"]
        print(
            f"| {r['n']:,} | "
            + " | ".join(
                f"{b[k]:.1f}" for k in ("parse", "validate", "evaluate", "explain", "serialise")
            )
            + " |"
        )
    if 100_000 in sizes:
        print(f"\nPeak memory, end to end at 100,000 systems: {peak_memory(100_000):.0f} MB")
    print("\nLoad (ms, no cache):")
    for k, v in load_times(args.repeat).items():
        print(f"  {k}: {v:.1f}")
    check, imports = process_times(args.repeat)
    print(
        f"\n`aicxs check` on the bank example, whole process: {check * 1e3:.0f} ms; import "
        f"floor {imports * 1e3:.0f} ms; ratio {check / imports:.2f}x"
    )


if __name__ == "__main__":
    main()
