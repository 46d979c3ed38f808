"""Throughput and memory of `framing score`, side by side with the floor and a hand-written pipeline.

Builds a synthetic collection (passages recombined from sentences of the bundled
corpus, one to three sentences each), then in one run measures:

  (a) floor: read the file with pyarrow and run the model's regex tokenizer over every passage
  (b) `framing score` with 1 process
  (c) `framing score` with all cores
  (d) the Dask engine on a local cluster (all cores)
  (e) by hand: TfidfVectorizer(ngram_range=(1, 2)) + LogisticRegression trained on the same corpus,
      predict_proba over the whole file loaded with pandas

each as passages/s (the median of --repeat runs after one untimed warm-up) and as a ratio to the
floor; the leave-one-story-out macro-F1 of the
shipped model and of the hand-written pipeline; and the peak RSS of `framing score`
(1 process) on 50k and on 2M passages.

    python benchmarks/score_throughput.py [--n 1000000] [--big 2000000] [--repeat 3] [--skip-rss]

The default collection has a million passages: starting worker processes costs a
fixed ~0.4 s, which a 200k run (about four seconds on one core) cannot amortise.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from statistics import median


def build_collection(n: int, path: Path, seed: int = 0) -> None:
    from framing import service

    corpus = service.corpus_frame()
    sentences = [s for t in corpus["text"] for s in re.split(r"(?<=[.!?”])\s+", t) if len(s) > 20]
    outlets = sorted(corpus["outlet"].unique())
    rng = random.Random(seed)
    block = 100_000
    with open(path, "w", encoding="utf-8", newline="") as out:
        for start in range(0, n, block):
            size = min(block, n - start)
            frame = pd.DataFrame(
                {
                    "id": np.arange(start, start + size),
                    "text": [" ".join(rng.sample(sentences, rng.choice((1, 2, 2, 3)))) for _ in range(size)],
                    "outlet": [rng.choice(outlets) for _ in range(size)],
                }
            )
            frame.to_csv(out, index=False, header=start == 0)


def floor(path: Path) -> float:
    import pyarrow.csv as pacsv

    from framing.text import tokenize

    start = time.perf_counter()
    texts = pacsv.read_csv(path).column("text").to_pylist()
    for text in texts:
        tokenize(text)
    return len(texts) / (time.perf_counter() - start)


def framing_score(path: Path, out: Path, jobs: int, n: int) -> float:
    from framing.cli import main

    start = time.perf_counter()
    code = main(["score", str(path), "-o", str(out), "--jobs", str(jobs), "-q"])
    assert code == 0
    return n / (time.perf_counter() - start)


def dask_engine(path: Path, out: Path, n: int) -> float:
    from framing import service
    from framing.distributed import score_dataset

    model = service.load_model()
    start = time.perf_counter()
    score_dataset(str(path), str(out), model, blocksize="8MB")
    return n / (time.perf_counter() - start)


def hand_pipeline():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    return make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(max_iter=2000))


def by_hand(path: Path, n: int) -> float:
    from framing import service

    corpus = service.corpus_frame()
    pipeline = hand_pipeline().fit(corpus["text"], corpus["label"].to_numpy(dtype=object))
    start = time.perf_counter()
    frame = pd.read_csv(path)
    pipeline.predict_proba(frame["text"])
    return n / (time.perf_counter() - start)


def hand_accuracy() -> float:
    from sklearn.metrics import f1_score
    from sklearn.model_selection import LeaveOneGroupOut, cross_val_predict

    from framing import service

    corpus = service.corpus_frame()
    y = corpus["label"].to_numpy(dtype=object)
    predicted = cross_val_predict(hand_pipeline(), corpus["text"], y, groups=corpus["story"], cv=LeaveOneGroupOut(), n_jobs=-1)
    return f1_score(y, predicted, average="macro")


RSS_CHILD = """
import resource, sys
from framing.cli import main
code = main(["score", sys.argv[1], "-o", sys.argv[2], "--jobs", "1", "-q"])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
sys.exit(code)
"""


def peak_rss_mb(path: Path, out: Path) -> float:
    result = subprocess.run([sys.executable, "-c", RSS_CHILD, str(path), str(out)], capture_output=True, text=True, check=True)
    return int(result.stdout.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="passages for the throughput runs (at least 200k)")
    parser.add_argument("--small", type=int, default=50_000, help="passages for the small memory run")
    parser.add_argument("--big", type=int, default=2_000_000, help="passages for the large memory run")
    parser.add_argument("--skip-rss", action="store_true", help="skip the memory runs")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement; the median is shown")
    args = parser.parse_args()

    from framing import service

    cores = os.cpu_count() or 1
    work = Path(tempfile.mkdtemp(prefix="framing-bench-"))
    try:
        data = work / "collection.csv"
        build_collection(args.n, data)
        size = data.stat().st_size
        print(f"{args.n:,} passages, {size / args.n:.0f} bytes per row, {cores} cores\n")

        # one untimed warm-up pass (imports, file cache), then the median of --repeat timed runs
        framing_score(data, work / "warm.csv", 1, args.n)
        rates = {
            "a": median(floor(data) for _ in range(args.repeat)),
            "b": median(framing_score(data, work / "b.csv", 1, args.n) for _ in range(args.repeat)),
            "c": median(framing_score(data, work / "c.csv", -1, args.n) for _ in range(args.repeat)),
        }
        assert (work / "b.csv").read_bytes() == (work / "c.csv").read_bytes(), "1 and all cores disagree"
        rates["d"] = dask_engine(data, work / "d", args.n)
        rates["e"] = median(by_hand(data, args.n) for _ in range(args.repeat))
        names = {
            "a": "(a) floor: pyarrow read + model tokenizer",
            "b": "(b) framing score, 1 process",
            "c": f"(c) framing score, {cores} processes",
            "d": f"(d) framing score --engine dask, local cluster of {cores}",
            "e": "(e) by hand: pandas + TfidfVectorizer(1,2) + LR",
        }
        for key, rate in rates.items():
            print(f"{names[key]:<58} {rate:>10,.0f} passages/s  {rate / rates['a']:.3f} x floor")
        print()
        shipped = service.load_model().manifest["metrics"]["macro_f1"]
        print(f"(b)/(a) = {rates['b'] / rates['a']:.2f}   target >= 0.35")
        print(f"(b)/(e) = {rates['b'] / rates['e']:.2f}   target >= 2")
        print(f"(c)/(b) = {rates['c'] / rates['b']:.2f}   target >= 1.7")
        print(f"leave-one-story-out macro-F1: shipped model {shipped:.3f}, hand-written pipeline {hand_accuracy():.3f}")

        if not args.skip_rss:
            print()
            rss = {}
            for n in (args.small, args.big):
                path = work / f"rss-{n}.csv"
                build_collection(n, path, seed=1)
                rss[n] = peak_rss_mb(path, work / f"rss-{n}-out.csv")
                print(f"peak RSS of framing score (1 process) on {n:,} passages: {rss[n]:,.0f} MB")
                path.unlink()
                (work / f"rss-{n}-out.csv").unlink()
            print(f"peak RSS {args.big:,} / {args.small:,} = {rss[args.big] / rss[args.small]:.2f}   target <= 1.2")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
