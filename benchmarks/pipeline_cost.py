"""What each stage of the shipped pipeline costs, side by side in one run.

Builds N synthetic passages by recombining sentences of the bundled corpus, then
times, on one process: the floor (lower-case + regex tokens), the shipped analyzer
(tokenize, negation, stemming, n-grams), the shipped model's predict_proba, and a
plain TfidfVectorizer(1-2) + LogisticRegression trained on the same corpus.

    python benchmarks/pipeline_cost.py [--n 50000]
"""

from __future__ import annotations

import argparse
import random
import re
import time

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from framing import service
from framing.text import analyze


def synthetic(n: int, seed: int = 0) -> list[str]:
    corpus = service.corpus_frame()
    sentences = [s for t in corpus["text"] for s in re.split(r"(?<=[.!?”])\s+", t) if len(s) > 20]
    rng = random.Random(seed)
    return [" ".join(rng.sample(sentences, rng.choice([1, 1, 2, 2, 3]))) for _ in range(n)]


def timed(label: str, fn, n: int, floor: float | None) -> float:
    start = time.perf_counter()
    fn()
    rate = n / (time.perf_counter() - start)
    ratio = f"{rate / floor:6.3f} x floor" if floor else "   1.000 x floor"
    print(f"{label:<48} {rate:>10,.0f} passages/s  {ratio}")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=50_000)
    args = parser.parse_args()
    texts = synthetic(args.n)
    print(f"{args.n} passages, mean {np.mean([len(t) for t in texts]):.0f} characters\n")
    pattern = re.compile(r"(?u)\b\w\w+\b")
    floor = timed("floor: lower + re.findall", lambda: [pattern.findall(t.lower()) for t in texts], args.n, None)
    timed("shipped analyzer (tokens, negation, stems, 1-2-grams)", lambda: [analyze(t) for t in texts], args.n, floor)
    model = service.load_model()
    timed("shipped model predict_proba", lambda: model.predict_proba(texts), args.n, floor)
    corpus = service.corpus_frame()
    plain = make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(max_iter=2000))
    plain.fit(corpus["text"], corpus["label"].to_numpy(dtype=object))
    timed("hand-written TfidfVectorizer(1,2) + LR", lambda: plain.predict_proba(texts), args.n, floor)


if __name__ == "__main__":
    main()
