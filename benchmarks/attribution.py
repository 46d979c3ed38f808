"""Attribution accuracy of `framing ingest` on the gold set of articles written apart from the tool.

The articles in ``attribution_gold/articles/<writer>/`` were written and annotated by separate writers from real
coverage (English and Serbian, Latin and Cyrillic), every passage with its speaker and source type
(``attribution_gold/gold/<writer>.jsonl``). This prints the accuracy per article, per writer and over the set,
against the targets: at least 90% of source types and 85% of speakers right over the set, no article below 75%.

    python benchmarks/attribution.py [--errors]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from framing import service
from framing.ingest import gold_report, read_gold

GOLD = Path(__file__).resolve().parent / "attribution_gold"
TARGETS = {"source_type_accuracy": 0.90, "speaker_accuracy": 0.85, "worst_article": 0.75}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--errors", action="store_true", help="print every passage attributed wrongly")
    parser.add_argument("--writer", action="append", help="only this writer's articles (repeatable)")
    args = parser.parse_args()
    gold = pd.concat([read_gold(p) for p in sorted((GOLD / "gold").glob("*.jsonl"))], ignore_index=True)
    if args.writer:
        gold = gold[gold["article_id"].str.split("/").str[0].isin(args.writer)]
    predicted = service.ingest([GOLD / "articles"])
    report = gold_report(predicted, gold)
    print(f"{'article':58} {'n':>3} {'type':>6} {'speaker':>8}")
    for article in report["articles"]:
        print(f"{article['article_id']:58} {article['n']:3d} {article['source_type_accuracy']:6.1%} {article['speaker_accuracy']:8.1%}")
        if args.errors:
            for error in article["errors"]:
                print(f"    gold {error.get('gold')} got {error.get('predicted')} [{error.get('cue', error.get('problem'))}]")
                print(f"      {error['text'][:150]}")
    gold["writer"] = gold["article_id"].str.split("/").str[0]
    print()
    for writer, rows in gold.groupby("writer"):
        part = gold_report(predicted, rows)["overall"]
        print(f"writer {writer:14} {part['articles']:2d} articles {part['n']:4d} passages: source type "
              f"{part['source_type_accuracy']:.1%}, speaker {part['speaker_accuracy']:.1%}, worst article {part['worst_article']:.1%}")
    overall = report["overall"]
    print()
    for key, target in TARGETS.items():
        mark = "meets" if overall[key] >= target else "BELOW"
        print(f"{key:22} {overall[key]:6.1%}  target {target:.0%}  {mark}")
    print(f"{overall['articles']} articles, {overall['n']} gold passages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
