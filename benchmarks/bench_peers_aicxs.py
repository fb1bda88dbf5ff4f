"""aicxs beside the established policy engines, measured in one run by the peers' own harness.

Loads `../shared/bench-peers/bench_peers.py` (OPA, Cedar, regorus, rego-cpp, ZEN, rule-engine
and the plain-Python baseline on one workload), adds aicxs as one more engine with its
variants, and runs the harness unchanged: same generator, same interleaved rounds, every
variant's violating systems and failed conditions checked against the baseline's, and ratios
to the baseline timed just before each run.

    ../shared/bench-peers/setup_venv.sh                       # the peers, at $PEERS_VENV
    $PEERS_VENV/bin/pip install .                             # aicxs beside them
    $PEERS_VENV/bin/python benchmarks/bench_peers_aicxs.py --sizes 1000,10000

aicxs variants (the workload written as benchmarks/workload/estate-standard.aicx):
  aicxs-explain   facts from the dicts (validated and typed), evaluation with compact
                  explanations, `report.to_dict()` (the default JSON output) built, and the
                  violators with their failed conditions read back from the explanation
  aicxs-eval      the same from an already loaded document (validation excluded)
  aicxs-decide    decisions only (`explain="none"`): the verdict and statuses; not the
                  violator list, so not verified against the baseline
"""

from __future__ import annotations

import datetime as dt
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT.parent / "shared" / "bench-peers"
sys.path.insert(0, str(PEERS))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_peers  # noqa: E402
from bench_eval import violators  # noqa: E402

import aicxs  # noqa: E402

AS_OF = dt.date(2026, 11, 27)
WORKLOAD = ROOT / "benchmarks" / "workload"


class AicxsState:
    def __init__(self) -> None:
        self.policy = aicxs.load_policy(
            WORKLOAD / "estate-policy.aicx", standard=WORKLOAD / "estate-standard.aicx"
        )
        self.docs: dict[int, Any] = {}

    def doc(self, systems: list[dict[str, Any]]) -> aicxs.Facts:
        key = id(systems)
        if key not in self.docs:  # loaded untimed, in the verified warm-up
            self.docs = {key: self.policy.facts_from({"systems": systems})}
        return self.docs[key]


def load_aicxs() -> AicxsState:
    st = AicxsState()
    aicxs_explain(st, [bench_peers.PROBE_SYSTEM])
    return st


def aicxs_explain(st: AicxsState, systems: list[dict[str, Any]]) -> list[Any]:
    report = st.policy.evaluate({"systems": systems}, as_of=AS_OF)
    report.to_dict()
    return violators(report)


def aicxs_eval(st: AicxsState, systems: list[dict[str, Any]]) -> list[Any]:
    report = st.policy.evaluate(st.doc(systems), as_of=AS_OF)
    report.to_dict()
    return violators(report)


def aicxs_decide(st: AicxsState, systems: list[dict[str, Any]]) -> str:
    return st.policy.evaluate(st.doc(systems), as_of=AS_OF, explain="none").verdict.value


def register() -> None:
    bench_peers.ENGINES["aicxs"] = bench_peers.Engine(
        "aicxs",
        "aicxs (this project)",
        "aicxs",
        "aicxs",
        load_aicxs,
        lambda: "aicxs " + metadata.version("aicxs"),
    )
    bench_peers.VARIANTS[2:2] = [
        bench_peers.Variant(
            "aicxs-explain", "aicxs: from dicts, explained, JSON built", "aicxs", "b", aicxs_explain
        ),
        bench_peers.Variant(
            "aicxs-eval", "aicxs: loaded document, explained, JSON built", "aicxs", "b", aicxs_eval
        ),
        bench_peers.Variant(
            "aicxs-decide",
            "aicxs: decisions only (explain=none)",
            "aicxs",
            "b",
            aicxs_decide,
            verify=False,
        ),
    ]


if __name__ == "__main__":
    register()
    sys.exit(bench_peers.main(sys.argv[1:]))
