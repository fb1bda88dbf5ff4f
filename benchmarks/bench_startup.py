"""Start-up: what an embedder pays before the first decision, each in a fresh process.

  import        `import aicxs` (the public API; median of the runs), against `import json`
  first load    the peers' workload policy and standard (benchmarks/workload) loaded and
                checked, plus the first decision on one system, right after the import
  bundled load  `aicxs.load_policy("policies/telecom.aicx")`: the bundled 31-clause standard
  command       `aicxs check` on the telecom example, the whole process

    python benchmarks/bench_startup.py [--runs 11]

The peers' figures for the same "import" and "first load" columns come from their own harness
(benchmarks/bench_peers_aicxs.py), which measures them in the same way.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKLOAD = ROOT / "benchmarks" / "workload"

TIMED = """\
import time
t0 = time.perf_counter()
{setup}
t1 = time.perf_counter()
{work}
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""

FIRST_LOAD = f"""\
policy = aicxs.load_policy({str(WORKLOAD / "estate-policy.aicx")!r},
                           standard={str(WORKLOAD / "estate-standard.aicx")!r})
probe = {{"id": "probe", "customer_facing": True, "channel": "chat"}}
policy.evaluate({{"systems": [probe]}}, as_of="2026-11-27", explain="none")
"""

BUNDLED = f"aicxs.load_policy({str(ROOT / 'policies' / 'telecom.aicx')!r})"


def fresh(setup: str, work: str = "pass") -> tuple[float, float]:
    code = TIMED.format(setup=setup, work=work)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    first, second = out.stdout.split()
    return float(first), float(second)


def command() -> float:
    args = [sys.executable, "-m", "aicxs", "check", str(ROOT / "policies" / "telecom.aicx")]
    args += ["--facts", str(ROOT / "policies" / "telecom.facts.yaml"), "--as-of", "2026-11-27"]
    code = (
        "import subprocess, sys, time; t = time.perf_counter(); "
        f"subprocess.run({args!r}, capture_output=True); print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout)


def median(samples: list[float]) -> str:
    return f"{statistics.median(samples) * 1000:7.1f} ms"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=11)
    runs = parser.parse_args(argv).runs
    floor = [fresh("import json")[0] for _ in range(runs)]
    imports, first, bundled, whole = [], [], [], []
    for _ in range(runs):
        t_import, t_first = fresh("import aicxs", FIRST_LOAD)
        imports.append(t_import)
        first.append(t_first)
        bundled.append(fresh("import aicxs", BUNDLED)[1])
        whole.append(command())
    print(f"python {sys.version.split()[0]}, {runs} fresh processes each (medians)")
    print(f"  import json (floor)          {median(floor)}")
    print(f"  import aicxs                 {median(imports)}")
    print(f"  first load + first decision  {median(first)}   (workload standard and policy)")
    print(f"  bundled policy load          {median(bundled)}   (telecom, AICXS 2024)")
    print(f"  aicxs check, whole process   {median(whole)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
