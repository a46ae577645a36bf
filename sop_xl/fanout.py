"""Fan-out of independent pieces of core work (forecast blocks, scenario chunks) through joblib: in this
process by default, to worker processes with `n_jobs`, or to a cluster behind a joblib backend such as
"dask" (next to a dask.distributed Client). Forecasting and the scenarios share it, so `--jobs` and
`--dask` mean the same for both."""

from __future__ import annotations

import os
from contextlib import nullcontext
from typing import Callable, Iterator


def workers(n_jobs: int | None, backend: str | None, tasks: int | None = None) -> int:
    """Worker processes to use: n_jobs < 0 means every core; a cluster backend sizes itself (the work is
    cut for two at least); never more than `tasks`."""
    if backend:
        n = 2
    elif n_jobs is None or n_jobs == 1:
        n = 1
    else:
        n = (os.cpu_count() or 1) if n_jobs < 0 else max(1, int(n_jobs))
    return n if tasks is None else max(1, min(n, tasks))


def fan_out(fn: Callable, args: list[tuple], n_workers: int, backend: str | None) -> Iterator:
    """fn(*a) for each `a` of `args`, in order, as they finish; in this process for one worker and no backend."""
    if n_workers == 1 and not backend:
        for a in args:
            yield fn(*a)
        return
    from joblib import Parallel, delayed, parallel_config

    with parallel_config(backend=backend) if backend else nullcontext():
        yield from Parallel(n_jobs=-1 if backend == "dask" else n_workers, return_as="generator")(
            delayed(fn)(*a) for a in args)
