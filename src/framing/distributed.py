"""The Dask engine: the same scoring over the partitions of a dataset, on a dask.distributed cluster.

``score_dataset`` reads a Parquet or CSV dataset (a file, a folder or a glob) with
dask.dataframe, maps :func:`framing.scoring.score_texts` over its partitions and
writes a partitioned Parquet dataset. It connects to the scheduler at
``scheduler`` (for example ``tcp://10.0.0.5:8786``), or starts a local cluster
with one single-threaded worker process per core when none is given.
"""

from __future__ import annotations

import glob
import os
import shutil
import time
from pathlib import Path

import pandas as pd

from .errors import InputError
from .model import FramingModel
from .scoring import ScoreOptions, ScoreSummary, carried_columns, resolve_jobs, score_frame

__all__ = ["score_dataset", "dataset_format"]


def dataset_format(source: str) -> tuple[str, list[str]]:
    """``(format, files)`` of a dataset given as a file, a folder or a glob.

    A URL (``s3://…``, ``gs://…``) is handed to Dask as it is; its format comes from its ending.
    """
    if "://" in source:
        for ending, kind in ((".parquet", "parquet"), (".csv", "csv"), (".csv.gz", "csv")):
            if source.rstrip("/").endswith(ending):
                return kind, [source]
        raise InputError("a remote dataset must name its files by extension, e.g. s3://bucket/news/*.parquet", path=source)
    path = Path(source)
    if path.is_dir():
        files = sorted(str(p) for p in path.rglob("*") if p.is_file() and not p.name.startswith((".", "_")))
    else:
        files = sorted(glob.glob(source)) if any(ch in source for ch in "*?[") else ([source] if path.exists() else [])
    if not files:
        raise InputError("no input files found", path=source)
    kinds = {"parquet" if f.endswith(".parquet") else "csv" if f.endswith((".csv", ".csv.gz")) else None for f in files}
    if None in kinds or len(kinds) != 1:
        odd = [f for f in files if not f.endswith((".parquet", ".csv", ".csv.gz"))][:3]
        raise InputError(f"the Dask engine reads a dataset of only .parquet or only .csv files; found {odd or sorted(kinds)}", path=source)
    return kinds.pop(), files


_TEXT_SCORES = ("label", "model_id", "language", "script", "status", "error", "terms")


def _score_partition(frame: pd.DataFrame, model: FramingModel, options: ScoreOptions, carried: list[str]) -> pd.DataFrame:
    out = score_frame(frame, model, options, carried)
    # typed text columns, so that every partition writes the same Parquet schema
    return out.astype({c: "string" for c in _TEXT_SCORES if c in out.columns})


def score_dataset(
    source: str,
    target: str,
    model: FramingModel,
    options: ScoreOptions | None = None,
    *,
    scheduler: str | None = None,
    jobs: int | None = None,
    blocksize: str = "64MB",
) -> ScoreSummary:
    """Score a dataset on a Dask cluster and write partitioned Parquet to the folder ``target``."""
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    options = options or ScoreOptions()
    started = time.perf_counter()
    fmt, files = dataset_format(source)
    remote = "://" in target
    if target == "-" or Path(target).suffix in (".csv", ".jsonl", ".tsv"):
        raise InputError("the Dask engine writes a folder of Parquet files; give a folder name as output", path=target)
    if not remote and Path(target).exists():
        raise InputError("the output exists already; remove it or choose another folder", path=target)
    if fmt == "parquet":
        frame = dd.read_parquet(files)
    else:
        frame = dd.read_csv(files, dtype="string", keep_default_na=False, na_filter=False, blocksize=blocksize)
    carried = carried_columns(frame.columns, options, source)
    meta = _score_partition(frame._meta.iloc[:0], model, options, carried)
    scored = frame.map_partitions(_score_partition, model, options, carried, meta=meta)

    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=resolve_jobs(jobs), threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        if remote:  # object storage has no rename: write in place
            scored.to_parquet(target, write_index=False)
            counts = dd.read_parquet(target, columns=["status"])["status"].value_counts().compute()
        else:  # a local or shared file system: write under a temporary name, rename when complete
            tmp = Path(target).with_name(f".{Path(target).name}.partial")
            shutil.rmtree(tmp, ignore_errors=True)
            scored.to_parquet(str(tmp), write_index=False)
            counts = pd.read_parquet(tmp, columns=["status"])["status"].value_counts()
            os.replace(tmp, target)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    errors = int(counts.get("error", 0))
    ok = int(counts.get("ok", 0))
    return ScoreSummary(ok + errors, ok, errors, time.perf_counter() - started, meta.attrs.get("renamed_columns", {}))
