"""Batch evaluation beyond one machine, on Dask distributed (the `distributed` extra).

The same chunks as `engine.batch` go to a Dask cluster: an existing one (`scheduler`, e.g.
`tcp://10.0.0.5:8786`) or a `LocalCluster` started for the run. The policy travels as text,
scattered once to every worker, and each worker process compiles it once; documents travel as
bytes, so workers need no shared filesystem (except the standard, if `--spec` names one: it
must be at the same path on every worker). Results come back in input order, as with processes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterable, Iterator
from typing import Any

from aicxs.engine.outcome import Explain
from aicxs.engine.service.batch import CHUNK, Document, Outcome, PolicySource, evaluate_chunk, run

CONNECT_TIMEOUT = "10s"


class ClusterUnavailable(Exception):
    """The scheduler named cannot be reached."""


def run_dask(
    policy: PolicySource,
    docs: Iterable[Document],
    as_of: dt.date,
    explain: Explain,
    scheduler: str | None = None,
    workers: int | None = None,
    chunk: int = CHUNK * 4,
) -> Iterator[Outcome]:
    """Documents over a Dask cluster: the one at `scheduler`, or a local one of `workers`
    single-threaded worker processes."""
    with contextlib.ExitStack() as stack:
        if scheduler is None:
            cluster = stack.enter_context(_local_cluster(workers or os.cpu_count() or 1))
            client = stack.enter_context(_dask().Client(cluster))
        else:
            client = stack.enter_context(_connect(scheduler))
        shared = client.scatter(policy, broadcast=True)
        slots = max(1, sum(client.nthreads().values()))

        def submit(batch: list[Document]) -> Any:
            return client.submit(evaluate_chunk, shared, batch, as_of, explain, pure=False)

        yield from run(submit, docs, slots * 4, chunk)


def _dask() -> Any:
    """The `distributed` package, imported only when used (it is an optional extra)."""
    import distributed

    return distributed


def _connect(scheduler: str) -> Any:
    try:
        return _dask().Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as err:
        raise ClusterUnavailable(
            f"cannot reach a Dask scheduler at `{scheduler}` ({err}); start one with "
            "`dask scheduler`, or leave out --scheduler to start a local cluster"
        ) from None


def _local_cluster(workers: int) -> Any:
    return _dask().LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=40,  # logging.ERROR: a local cluster's chatter is not the user's business
    )
