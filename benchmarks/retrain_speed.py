"""How long retraining takes on 10,000 passages.

A corpus folder holds the bundled corpus; a label store holds new passages up to the
wanted total (passages recombined from sentences of the bundled corpus, each labelled
with its first sentence's passage label). Times, side by side in one run:

- training alone (`framing train --no-evaluate` on the same 10,000 passages written as a corpus),
- `framing retrain --no-evaluate` (a comparison model without the held-out share, the
  candidate on everything, both saved with their reports),
- the same retrain with its cross-validated evaluation (leave-one-story-out).

Prints seconds and the ratio to the 10 s target.

    python benchmarks/retrain_speed.py [--n 10000]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--with-evaluation", action="store_true", help="also time a retrain with its cross-validated evaluation")
    args = parser.parse_args()

    from framing import service
    from framing.config import PROJECT_ROOT
    from framing.store import LabelStore

    work = Path(tempfile.mkdtemp(prefix="framing-retrain-"))
    try:
        corpus = service.corpus_frame()
        shutil.copytree(PROJECT_ROOT / "corpus", work / "corpus", ignore=shutil.ignore_patterns("labels.db*"))
        pieces = [(s, row) for row in corpus.itertuples() for s in re.split(r"(?<=[.!?”])\s+", row.text) if len(s) > 20]
        rng = random.Random(0)
        records, seen = [], set(corpus["text"])
        while len(records) < args.n - len(corpus):
            first, row = rng.choice(pieces)
            text = " ".join([first] + [p for p, r in rng.sample(pieces, 20) if r.source_type == row.source_type][:2])
            if text not in seen:
                seen.add(text)
                records.append({"text": text, "label": row.label, "annotator": "bench", "source_type": row.source_type,
                                "story": row.story, "outlet": row.outlet})
        LabelStore(work / "labels.db").add_many(records)
        big = work / "big"
        big.mkdir()
        shutil.copy(work / "corpus" / "codebook.toml", big / "codebook.toml")
        with open(big / "passages.jsonl", "w", encoding="utf-8") as out:
            for r in corpus.to_dict("records"):
                out.write(json.dumps(r, ensure_ascii=False) + "\n")
            for i, r in enumerate(records):
                out.write(json.dumps({"id": f"bench-{i}", "text": r["text"], "label": r["label"], "source_type": r["source_type"],
                                      "outlet": r["outlet"], "speaker": "bench", "story": r["story"], "date": "2025-01-01",
                                      "annotator": "bench", "note": ""}, ensure_ascii=False) + "\n")
        service.train(work / "corpus", work / "models", run_evaluation=False)
        total = len(corpus) + len(records)
        print(f"{total:,} passages: {len(corpus):,} in the corpus, {len(records):,} in the label store\n")

        start = time.perf_counter()
        service.train(big, work / "models-train", run_evaluation=False)
        train = time.perf_counter() - start
        start = time.perf_counter()
        result = service.retrain(work / "corpus", work / "models", work / "labels.db", run_evaluation=False)
        retrain = time.perf_counter() - start
        print(f"{'training alone':<44} {train:6.1f} s   ratio to 10 s {train / 10:.2f}")
        print(f"{'retrain (held-out comparison + candidate)':<44} {retrain:6.1f} s   ratio to 10 s {retrain / 10:.2f}")
        print(f"  held-out: {result['comparison']['held_out']} passages, macro-F1 current "
              f"{result['comparison']['current']['macro_f1']:.3f}, candidate {result['comparison']['candidate']['macro_f1']:.3f}")
        if args.with_evaluation:
            start = time.perf_counter()
            service.retrain(work / "corpus", work / "models", work / "labels.db")
            print(f"{'retrain with leave-one-story-out evaluation':<44} {time.perf_counter() - start:6.1f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
