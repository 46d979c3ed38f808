"""Does the labelling queue reach the random strategy's final macro-F1 with fewer labels?

A simulated active-learning experiment on the bundled corpus, whose passages all
carry a label already: "labelling" a passage means revealing its label.

Method
------
Each repetition splits the corpus by story into a test set (``--test-share`` of the
stories, drawn with the repetition's seed) and a pool (the rest), so every test
passage comes from a story no model has seen; the split changes from one repetition
to the next, so the result does not hang on which stories happen to be held out.
Within a repetition both strategies start from the same random sample of the pool,
``--start`` of its mean size over repetitions and stratified by label so that every
label of the codebook is present, and then grow the labelled set by ``--batch``
passages per round in two ways:

queue
    The ``--batch`` passages that :func:`framing.active.label_queue` ranks first
    (``--strategy``, ``--max-similarity``, quotas per source type), using the model
    trained on the labels so far. Should the queue return fewer passages than asked
    (its similarity filter skips near-copies), the rest are the most uncertain of the
    passages it left out, and the number of such passages is reported.
random
    ``--batch`` passages drawn at random from the unlabelled pool.

After every round a pipeline from ``build_pipeline(TrainingConfig())`` is trained on
the labelled passages and its macro-F1 on the test set is recorded. A run stops when
the pool is exhausted or after ``--rounds`` rounds (by default enough to reach about
``--budget`` labels; only numbers of labels reached by every repetition are kept). ``--repeats`` repetitions, each with its own split, start and random
draws, are averaged into one learning curve per strategy.

The answer is read off the mean curves: the random strategy's final macro-F1, the
first point at which the queue's curve reaches it, and the ratio of the labels the
queue needed to the labels random used (below 1: the queue saves labels). Since both
strategies share each repetition's start, the gap between them is also given paired:
the mean over the rounds of queue minus random, per repetition, with its standard
error over repetitions. For each point of the queue's curve the table also shows how
many labels random needed to do as well. The curves, these figures and a chart are
written next to this script as ``active_learning.json`` and ``active_learning.png``.

    python benchmarks/active_learning.py [--repeats 10] [--budget 800] [--strategy margin] [--max-similarity 0.6]
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

STRATEGIES = ("queue", "random")


def split_by_story(corpus: pd.DataFrame, test_share: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(pool, test): ``test_share`` of the stories, drawn at random, make the test set."""
    stories = np.array(sorted(corpus["story"].unique()))
    rng = np.random.default_rng(seed)
    test_stories = set(rng.choice(stories, size=max(1, round(test_share * len(stories))), replace=False))
    in_test = corpus["story"].isin(test_stories)
    return corpus[~in_test].reset_index(drop=True), corpus[in_test].reset_index(drop=True)


def stratified_start(pool: pd.DataFrame, n: int, seed: int) -> list[int]:
    """Row positions of ``n`` passages of ``pool`` drawn at random, stratified by label."""
    from sklearn.model_selection import train_test_split

    start, _ = train_test_split(np.arange(len(pool)), train_size=n, stratify=pool["label"], random_state=seed)
    return sorted(start.tolist())


def fit(labelled: pd.DataFrame, labels: tuple[str, ...], codebook):
    """A :class:`framing.model.FramingModel` trained on ``labelled`` with the default settings."""
    from framing.config import TrainingConfig
    from framing.model import FramingModel, build_pipeline

    missing = sorted(set(labels) - set(labelled["label"]))
    if missing:
        raise ValueError(f"the labelled passages lack the labels {missing}")
    pipeline = build_pipeline(TrainingConfig()).fit(labelled["text"].tolist(), labelled["label"].to_numpy(dtype=object))
    return FramingModel(pipeline, labels=labels, index_positive=codebook.index_positive,
                        index_negative=codebook.index_negative)


def next_batch(model, unlabelled: pd.DataFrame, batch: int, strategy: str, max_similarity: float) -> tuple[list[int], int]:
    """Positions in ``unlabelled`` chosen by the labelling queue, and how many had to be topped up."""
    from framing.active import label_queue, uncertainty

    queue = label_queue(model, unlabelled.assign(position=np.arange(len(unlabelled))), k=batch,
                        strategy=strategy, max_similarity=max_similarity)
    chosen = queue["position"].astype(int).tolist()
    wanted = min(batch, len(unlabelled))
    if len(chosen) >= wanted:
        return chosen, 0
    unsure = uncertainty(model.predict_proba(unlabelled["text"].tolist()), strategy)
    taken = set(chosen)
    rest = [int(i) for i in np.argsort(-unsure, kind="stable") if int(i) not in taken]
    return chosen + rest[: wanted - len(chosen)], wanted - len(chosen)


def learning_curve(pool: pd.DataFrame, test: pd.DataFrame, start: list[int], *, strategy: str, rounds: int,
                   batch: int, seed: int, queue_strategy: str, max_similarity: float) -> dict:
    """Macro-F1 on ``test`` after each round of one strategy, starting from the labelled rows ``start``."""
    from framing import service
    from framing.evaluation import classification_report

    codebook = service.corpus_codebook()
    labels = tuple(codebook.label_names)
    rng = np.random.default_rng(seed)
    labelled = list(start)
    points, topped_up = [], 0
    for round_ in range(rounds + 1):
        model = fit(pool.iloc[labelled], labels, codebook)
        proba = model.predict_proba(test["text"].tolist())
        points.append((len(labelled), classification_report(test["label"], proba, labels)["macro_f1"]))
        unlabelled = np.setdiff1d(np.arange(len(pool)), labelled)
        if round_ == rounds or not len(unlabelled):
            break
        if strategy == "queue":
            chosen, extra = next_batch(model, pool.iloc[unlabelled], batch, queue_strategy, max_similarity)
            topped_up += extra
            labelled += unlabelled[chosen].tolist()
        else:
            labelled += rng.choice(unlabelled, size=min(batch, len(unlabelled)), replace=False).tolist()
    return {"strategy": strategy, "points": points, "topped_up": topped_up}


def labels_to_reach(curve: pd.Series, target: float) -> int | None:
    """The first number of labels at which ``curve`` (macro-F1 by labels) reaches ``target``."""
    reached = curve[curve >= target]
    return int(reached.index[0]) if len(reached) else None


def chart(curves: pd.DataFrame, target: float, reached: int | None, path: Path, title: str) -> None:
    """Mean macro-F1 by labels, one line per strategy with a band of ±1 sd, a rule at ``target``
    and, if the queue reached it, a mark at ``reached`` labels."""
    import altair as alt

    x = alt.X("labels:Q", title="labelled passages",
              scale=alt.Scale(domain=[int(curves["labels"].min()), int(curves["labels"].max())], nice=False))
    color = alt.Color("strategy:N", title="strategy", sort=list(STRATEGIES))
    band = alt.Chart(curves).mark_area(opacity=0.15).encode(
        x=x, y="low:Q", y2="high:Q", color=color)
    line = alt.Chart(curves).mark_line(point=True).encode(
        x=x, color=color,
        y=alt.Y("macro_f1:Q", title="macro-F1 on held-out stories", scale=alt.Scale(zero=False)),
        tooltip=["strategy", "labels", alt.Tooltip("macro_f1:Q", format=".4f")],
    )
    rule = alt.Chart(pd.DataFrame({"macro_f1": [target]})).mark_rule(strokeDash=[6, 4], color="gray").encode(y="macro_f1:Q")
    notes = [{"labels": curves["labels"].min(), "macro_f1": target,
              "text": f"random's final macro-F1 {target:.3f}"}]
    layers = [band, line, rule]
    if reached is not None:
        layers.append(alt.Chart(pd.DataFrame({"labels": [reached]})).mark_rule(strokeDash=[2, 3], color="gray")
                      .encode(x="labels:Q"))
        notes.append({"labels": reached, "macro_f1": curves["macro_f1"].min(),
                      "text": f"queue reaches it at {reached} labels"})
    layers.append(alt.Chart(pd.DataFrame(notes)).mark_text(align="left", dx=5, dy=-7, color="gray")
                  .encode(x="labels:Q", y="macro_f1:Q", text="text:N"))
    title = alt.TitleParams(title, subtitle="lines: mean over repetitions; bands: ±1 standard deviation")
    (alt.layer(*layers).properties(width=560, height=340, title=title)
     .configure_legend(symbolType="stroke", symbolStrokeWidth=3, symbolOpacity=1).save(str(path)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--batch", type=int, default=50, help="labels added per round")
    parser.add_argument("--start", type=float, default=0.10, help="share of the pool labelled at the start")
    parser.add_argument("--budget", type=int, default=800, help="labels to reach when --rounds is not given")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--test-share", type=float, default=0.30, help="share of the stories held out for testing")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--strategy", default="margin", help="uncertainty strategy of the queue")
    parser.add_argument("--max-similarity", type=float, default=0.6, help="the queue's near-copy filter")
    parser.add_argument("--jobs", type=int, default=-1, help="parallel runs (joblib)")
    parser.add_argument("--output", default=str(Path(__file__).with_name("active_learning")),
                        help="path stem of the .json and .png written")
    args = parser.parse_args()

    from joblib import Parallel, delayed

    from framing import service

    began = time.perf_counter()
    corpus = service.corpus_frame()
    labels = list(service.corpus_codebook().label_names)
    splits = [split_by_story(corpus, args.test_share, args.seed + r) for r in range(args.repeats)]
    n_start = round(args.start * np.mean([len(pool) for pool, _ in splits]))
    starts = [stratified_start(pool, n_start, args.seed + r) for r, (pool, _) in enumerate(splits)]
    rounds = args.rounds if args.rounds is not None else max(1, math.ceil((args.budget - n_start) / args.batch))
    pools, tests = [len(p) for p, _ in splits], [len(t) for _, t in splits]
    print(f"{len(corpus):,} passages, {corpus['story'].nunique()} stories, labels {', '.join(labels)}")
    print(f"per repeat: test {splits[0][1]['story'].nunique()} stories ({min(tests):,}-{max(tests):,} passages), "
          f"pool the other {splits[0][0]['story'].nunique()} ({min(pools):,}-{max(pools):,} passages)")
    print(f"start {n_start} labels (stratified), +{args.batch} per round, {rounds} rounds, {args.repeats} repeats; "
          f"queue: label_queue(strategy={args.strategy!r}, max_similarity={args.max_similarity})\n")

    runs = Parallel(n_jobs=args.jobs)(
        delayed(learning_curve)(*splits[r], starts[r], strategy=s, rounds=rounds, batch=args.batch,
                                seed=args.seed + 1000 + r, queue_strategy=args.strategy,
                                max_similarity=args.max_similarity)
        for r in range(args.repeats) for s in STRATEGIES
    )
    long = pd.DataFrame([{"strategy": run["strategy"], "repeat": i // len(STRATEGIES), "labels": n, "macro_f1": f1}
                         for i, run in enumerate(runs) for n, f1 in run["points"]])
    curves = (long.groupby(["strategy", "labels"])["macro_f1"].agg(macro_f1="mean", sd="std", runs="count")
              .reset_index().fillna({"sd": 0.0}))
    curves = curves[curves["runs"] == args.repeats]  # when pools of different sizes run out, keep the common points
    curves = curves.assign(low=curves["macro_f1"] - curves["sd"], high=curves["macro_f1"] + curves["sd"])
    mean = {s: curves[curves["strategy"] == s].set_index("labels")["macro_f1"] for s in STRATEGIES}

    random_labels = int(mean["random"].index[-1])
    random_final = float(mean["random"].iloc[-1])
    queue_labels = labels_to_reach(mean["queue"], random_final)
    ratio = queue_labels / random_labels if queue_labels is not None else None
    seconds = time.perf_counter() - began

    table = pd.DataFrame({s: mean[s] for s in STRATEGIES})
    table["queue - random"] = table["queue"] - table["random"]
    to_match = {int(n): labels_to_reach(mean["random"], f) for n, f in mean["queue"].items()}
    table["random labels to match queue"] = [f"> {random_labels}" if m is None else str(m) for m in to_match.values()]
    paired = long.pivot_table(index=["repeat", "labels"], columns="strategy", values="macro_f1")
    paired = paired[paired.index.get_level_values("labels") > paired.index.get_level_values("labels").min()]
    gaps = (paired["queue"] - paired["random"]).groupby(level="repeat").mean()
    gap, gap_se = float(gaps.mean()), float(gaps.std(ddof=1) / math.sqrt(len(gaps))) if len(gaps) > 1 else float("nan")
    print(f"mean macro-F1 on the test set over {args.repeats} repeats\n")
    print(table.rename_axis("labels").reset_index().to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    print(f"\nrandom's final macro-F1:        {random_final:.4f} at {random_labels} labels")
    if queue_labels is None:
        print(f"the queue never reaches it:     best {mean['queue'].max():.4f} at {int(mean['queue'].idxmax())} labels")
    else:
        print(f"labels the queue needs:         {queue_labels} (queue {mean['queue'][queue_labels]:.4f})")
        print(f"labels random used:             {random_labels}")
        print(f"ratio queue / random:           {ratio:.3f}")
    print(f"paired gap over the rounds:     {gap:+.4f} ± {gap_se:.4f} macro-F1 (queue - random, mean ± standard error; "
          f"queue ahead in {int((gaps > 0).sum())} of {len(gaps)} repeats)")
    topped_up = sum(run["topped_up"] for run in runs)
    if topped_up:
        print(f"queue returned fewer than {args.batch}: {topped_up} labels topped up with the most uncertain passages")
    print(f"\n{seconds:.1f} s")

    json_path, png_path = Path(args.output + ".json"), Path(args.output + ".png")
    json_path.write_text(json.dumps({
        "question": "does the labelling queue reach the random strategy's final macro-F1 with fewer labels?",
        "setup": {"passages": int(len(corpus)), "stories": int(corpus["story"].nunique()), "labels": labels,
                  "pool_passages": [min(pools), max(pools)], "pool_stories": int(splits[0][0]["story"].nunique()),
                  "test_passages": [min(tests), max(tests)], "test_stories": int(splits[0][1]["story"].nunique()),
                  "test_share": args.test_share, "start_labels": n_start, "batch": args.batch,
                  "rounds": rounds, "repeats": args.repeats, "seed": args.seed,
                  "queue": {"strategy": args.strategy, "max_similarity": args.max_similarity,
                            "quota_column": "source_type"}},
        "random_final_macro_f1": round(random_final, 4),
        "random_labels": random_labels,
        "queue_labels_to_reach_random_final": queue_labels,
        "ratio_queue_to_random": None if ratio is None else round(ratio, 3),
        "paired_gap_queue_minus_random": {"mean": round(gap, 4), "standard_error": round(gap_se, 4),
                                          "repeats_queue_ahead": int((gaps > 0).sum())},
        "random_labels_to_match_queue": to_match,
        "queue_labels_topped_up": topped_up,
        "curves": {s: [{"labels": int(n), "macro_f1": round(float(f), 4),
                        "sd": round(float(curves.set_index(["strategy", "labels"]).loc[(s, n), "sd"]), 4)}
                       for n, f in mean[s].items()] for s in STRATEGIES},
        "runs": {s: [[round(f, 4) for _, f in run["points"]] for run in runs if run["strategy"] == s]
                 for s in STRATEGIES},
        "seconds": round(seconds, 1),
    }, indent=2) + "\n")
    chart(curves, random_final, queue_labels, png_path,
          f"Labelling queue ({args.strategy}) against random labelling, mean of {args.repeats} repeats")
    print(f"wrote {json_path.name} and {png_path.name}")


if __name__ == "__main__":
    main()
