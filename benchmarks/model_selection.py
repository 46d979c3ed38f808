"""Which features to ship: each candidate's leave-one-writer-out macro-F1 per language beside its scoring speed.

The bundled corpus records who wrote each passage. Every candidate is trained with one writer left out and
scores that writer's passages (what a passage written by someone new meets), then scores synthetic passages
for speed, all in one run on the same machine, so the figures sit side by side:

- ``words``: stemmed word 1-2-grams with negation, language-aware;
- ``words + prefixes``: plus the first five letters of each word (folded, Latin), a cheap guard against inflection
  (the shipped features, ``FramingVectorizer(prefix=5)``);
- ``words + char 3-5``: plus character 3-5-grams within words (``char_wb``), the usual guard against inflection;
- each at two regularisation strengths.

    python benchmarks/model_selection.py [--n-speed 20000] [--configs words:10,words:3,...]
"""

from __future__ import annotations

import argparse
import random
import re
import time

import numpy as np
from joblib import Parallel, delayed
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import LeaveOneGroupOut, StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline

from framing import service
from framing.features import FramingVectorizer
from framing.language import fold, transliterate


def normalised(text: str) -> str:
    return fold(transliterate(text).lower())


def pipeline(kind: str, C: float) -> Pipeline:
    words = FramingVectorizer(min_df=2)
    if kind == "words":
        features = words
    elif kind == "prefix":
        features = FramingVectorizer(min_df=2, prefix=5)
    elif kind == "char":
        features = FeatureUnion([("words", words), ("char", TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), min_df=3, sublinear_tf=True, preprocessor=normalised))])
    else:
        raise ValueError(kind)
    classifier = CalibratedClassifierCV(LogisticRegression(C=C, max_iter=5000), method="sigmoid",
                                        cv=StratifiedKFold(5, shuffle=True, random_state=13))
    return Pipeline([("features", features), ("classifier", classifier)])


def held_out(kind, C, texts, y, train, test):
    fitted = pipeline(kind, C).fit([texts[i] for i in train], y[train])
    return test, fitted.predict([texts[i] for i in test])


def synthetic(texts: list[str], n: int, seed: int = 0) -> list[str]:
    sentences = [s for t in texts for s in re.split(r"(?<=[.!?”])\s+", t) if len(s) > 20]
    rng = random.Random(seed)
    return [" ".join(rng.sample(sentences, rng.choice([1, 1, 2, 2, 3]))) for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-speed", type=int, default=20_000)
    parser.add_argument("--configs", default="words:10,words:3,prefix:10,prefix:3,char:10,char:3")
    args = parser.parse_args()
    corpus = service.corpus_frame()
    texts = corpus["text"].tolist()
    y = corpus["label"].to_numpy(dtype=object)
    writers = corpus["writer"].replace("", "(unrecorded)").to_numpy(dtype=object)
    language = corpus["language"].to_numpy(dtype=object)
    sample = synthetic(texts, args.n_speed)
    print(f"{len(texts):,} passages by {len(set(writers))} writers; speed on {len(sample):,} synthetic passages, one process")
    print(f"{'features':<18} {'C':>4} {'LOWO all':>9} {'English':>8} {'Serbian':>8} {'passages/s':>11} {'x words':>8}")
    base = None
    for item in args.configs.split(","):
        kind, C = item.split(":")
        C = float(C)
        folds = Parallel(n_jobs=-1)(
            delayed(held_out)(kind, C, texts, y, train, test) for train, test in LeaveOneGroupOut().split(texts, y, writers)
        )
        predicted = np.empty(len(y), dtype=object)
        for test, p in folds:
            predicted[test] = p
        scores = [f1_score(y[m], predicted[m], average="macro") for m in (np.ones(len(y), bool), language == "en", language == "sr")]
        fitted = pipeline(kind, C).fit(texts, y)
        fitted.predict_proba(sample[:200])  # warm caches
        start = time.perf_counter()
        fitted.predict_proba(sample)
        rate = len(sample) / (time.perf_counter() - start)
        base = base or (rate if kind == "words" else None)
        ratio = f"{rate / base:8.2f}" if base else "       -"
        name = {"words": "words", "prefix": "words + prefixes", "char": "words + char 3-5"}[kind]
        print(f"{name:<18} {C:>4g} {scores[0]:>9.3f} {scores[1]:>8.3f} {scores[2]:>8.3f} {rate:>11,.0f} {ratio}", flush=True)


if __name__ == "__main__":
    main()
