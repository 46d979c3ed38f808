"""How long a full comparison of a large scored collection takes.

Builds a synthetic collection (passages recombined from sentences of the bundled
corpus, each keeping its source type and story), scores it with `framing score`,
then times `framing.report.compare_scored` (shares with cluster-robust intervals,
the omnibus and pairwise permutation tests over articles, distinctive terms with
their article-permutation test and keywords in context, claim alignment) and
prints the time per step.

    python benchmarks/compare_speed.py [--n 200000]
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd


def build(n: int, path: Path, seed: int = 0) -> None:
    from framing import service

    corpus = service.corpus_frame()
    pieces = [
        (sentence, row.source_type, row.story, row.outlet)
        for row in corpus.itertuples()
        for sentence in re.split(r"(?<=[.!?”])\s+", row.text)
        if len(sentence) > 20
    ]
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        first = rng.choice(pieces)
        same = [p for p in rng.sample(pieces, 30) if p[1] == first[1]][:2]
        rows.append({"id": i, "text": " ".join(p[0] for p in [first, *same]), "source_type": first[1],
                     "story": first[2], "outlet": first[3], "article": f"{first[3]}-{i // 8}"})
    pd.DataFrame(rows).to_csv(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200_000)
    args = parser.parse_args()

    from framing import service
    from framing.cli import main as cli
    from framing import compare, report

    work = Path(tempfile.mkdtemp(prefix="framing-compare-"))
    try:
        build(args.n, work / "collection.csv")
        cli(["score", str(work / "collection.csv"), "-o", str(work / "scored.parquet"), "-q"])
        scored = service.read_scored(str(work / "scored.parquet"))
        print(f"{len(scored):,} scored passages, {scored['story'].nunique()} stories\n")
        labels, index = report.scored_labels(scored)
        steps = {
            "frame shares, cluster-robust t intervals": lambda: compare.frame_shares(scored, labels, cluster="article", index=index),
            "omnibus and pairwise tests, 999 article permutations": lambda: compare.group_tests(
                scored, labels, "hype", cluster="article"),
            "distinctive terms, 199 article permutations": lambda: compare.distinctive_terms(
                scored["text"].tolist(), scored["source_type"].tolist(), clusters=scored["article"].to_numpy()),
            "claim alignment": lambda: compare.align_claims(scored, index=index),
        }
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            print(f"{name:<52} {time.perf_counter() - start:6.1f} s")
        start = time.perf_counter()
        result = report.compare_scored(scored, cluster="article")
        (work / "report.html").write_text(report.render_html(result), encoding="utf-8")
        print(f"{'whole comparison and HTML report':<52} {time.perf_counter() - start:6.1f} s   target < 60 s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
