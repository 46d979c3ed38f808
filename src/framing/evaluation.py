"""Honest evaluation: leave-one-story-out and leave-one-writer-out cross-validation against two baselines.

Every passage is predicted by a model that never saw its story, and again by one that never saw its writer (a
model that has learnt its writers' habits instead of the frame is found out there). The framing model
is compared with the majority label and with a keyword lexicon built from the
codebook's cue words. A probe measures how well the model's features predict the
*source type*: a high score warns that the model may learn who speaks instead of how.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import LeaveOneGroupOut, StratifiedKFold

from .codebook import Codebook
from .config import TrainingConfig
from .errors import CorpusError
from .language import profile
from .model import CueLexiconClassifier, build_pipeline

__all__ = [
    "check_enough_passages",
    "classification_report",
    "evaluate_corpus",
    "expected_calibration_error",
    "fold_minimum",
    "report_to_markdown",
]

#: Above this macro-F1 (chance is 1 / number of source types) the probe's warning is raised.
PROBE_WARNING = 0.6
#: ... and the warning stands when against-type passages score this much below all passages.
AGAINST_TYPE_GAP = 0.05


def _confidence_bins(proba: np.ndarray, y_true: np.ndarray, bins: int):
    """Top-label confidence, correctness and equal-width bin of each row."""
    proba = np.asarray(proba, dtype=float)
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == np.asarray(y_true)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    return confidence, correct, which, edges


def expected_calibration_error(proba: np.ndarray, y_true: np.ndarray, bins: int = 10) -> float:
    """Top-label expected calibration error with equal-width confidence bins.

    Parameters
    ----------
    proba : array of shape (n, k)
        Predicted probabilities.
    y_true : array of shape (n,)
        Index of the true class of each row.
    """
    if len(proba) == 0:
        return 0.0
    confidence, correct, which, _ = _confidence_bins(proba, y_true, bins)
    ece = 0.0
    for b in np.unique(which):
        mask = which == b
        ece += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(ece)


def reliability_table(proba: np.ndarray, y_true: np.ndarray, bins: int = 10) -> list[dict]:
    """Per confidence bin: count, mean confidence, accuracy (for a reliability diagram)."""
    confidence, correct, which, edges = _confidence_bins(proba, y_true, bins)
    rows = []
    for b in np.unique(which):
        mask = which == b
        rows.append(
            {
                "bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}",
                "n": int(mask.sum()),
                "confidence": round(float(confidence[mask].mean()), 4),
                "accuracy": round(float(correct[mask].mean()), 4),
            }
        )
    return rows


def classification_report(y_true: Sequence[str], proba: np.ndarray, labels: Sequence[str]) -> dict:
    """Macro-F1, accuracy, per-label precision/recall/F1, confusion matrix and ECE.

    ``proba`` has one column per entry of ``labels``; the prediction is its argmax.
    """
    labels = list(labels)
    y_true = np.asarray(list(y_true), dtype=object)
    index = {l: i for i, l in enumerate(labels)}
    true_idx = np.array([index[y] for y in y_true])
    y_pred = np.asarray(labels, dtype=object)[np.asarray(proba).argmax(axis=1)]
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    return {
        "n": len(y_true),
        "macro_f1": round(float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)), 4),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "ece": round(expected_calibration_error(proba, true_idx), 4),
        "per_label": {
            l: {
                "precision": round(float(p), 4),
                "recall": round(float(r), 4),
                "f1": round(float(f), 4),
                "support": int(s),
            }
            for l, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
        "confusion_matrix": {
            "labels": labels,
            "rows_true_columns_predicted": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        },
    }


def _aligned(proba: np.ndarray, classes: Sequence[str], labels: Sequence[str]) -> np.ndarray:
    out = np.zeros((proba.shape[0], len(labels)))
    for j, label in enumerate(labels):
        if label in list(classes):
            out[:, j] = proba[:, list(classes).index(label)]
    return out


def _fold(train: pd.DataFrame, test: pd.DataFrame, codebook: Codebook, config: TrainingConfig) -> dict:
    labels = list(codebook.label_names)
    texts, y = train["text"].tolist(), train["label"].to_numpy(dtype=object)
    pipeline = build_pipeline(config).fit(texts, y)
    model = _aligned(pipeline.predict_proba(test["text"].tolist()), pipeline.classes_, labels)

    lexicon = CueLexiconClassifier(
        cues={l.name: list(l.cues) for l in codebook.labels}, fallback=codebook.fallback_label
    ).fit(texts, y)
    keyword = _aligned(lexicon.predict_proba(test["text"].tolist()), lexicon.classes_, labels)

    prior = train["label"].value_counts(normalize=True)
    majority = np.tile([prior.get(l, 0.0) for l in labels], (len(test), 1))

    features = pipeline.named_steps["features"]
    sources = train["source_type"].to_numpy(dtype=object)
    if len(set(sources)) > 1:
        probe = LogisticRegression(C=config.C, max_iter=5000).fit(features.transform(texts), sources)
        probe_pred = probe.predict(features.transform(test["text"].tolist()))
    else:  # one source type: nothing to probe
        probe_pred = np.full(len(test), sources[0] if len(sources) else "", dtype=object)
    return {"index": test.index, "model": model, "keyword": keyword, "majority": majority, "probe": probe_pred}


def _cross_validate(corpus: pd.DataFrame, splits, codebook: Codebook, config: TrainingConfig, n_jobs: int, *,
                    progress: Callable[[str], None] | None = None, method: str = "", groups: np.ndarray | None = None,
                    group_name: str = "") -> dict:
    """Out-of-fold probabilities of the model and the baselines, and the source-type probe's predictions.

    ``progress``, when given, hears of each finished fold: ``"<method> 3/12 (<group_name> <held-out group>)"``.
    """
    labels = list(codebook.label_names)
    splits = list(splits)
    if progress:
        progress(f"{method}: {len(splits)} folds over {len(corpus):,} passages")
    folds = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_fold)(corpus.iloc[train], corpus.iloc[test], codebook, config) for train, test in splits
    )
    n = len(corpus)
    out = {name: np.zeros((n, len(labels))) for name in ("model", "keyword", "majority")}
    out["probe"] = np.empty(n, dtype=object)
    for number, ((_, test), fold) in enumerate(zip(splits, folds), start=1):
        for name, values in out.items():
            values[fold["index"]] = fold[name]
        if progress:
            held_out = f" ({group_name} {groups[test[0]]})" if groups is not None and len(test) else ""
            progress(f"{method} fold {number}/{len(splits)}{held_out}")
    return out


def fold_minimum(calibration_folds: int, folds: int) -> int:
    """The fewest passages a label needs for ``folds``-fold cross-validation of a model calibrated over ``calibration_folds``.

    Stratified folds hold out ``ceil(n / folds)`` of a label's ``n`` passages at most, and the training part that is
    left must still give each of the calibration's folds one passage of the label; the folds also need ``n >= folds``.

    Examples
    --------
    >>> fold_minimum(5, 5)
    7
    """
    if folds < 2:
        raise ValueError(f"cross-validation needs at least 2 folds, not {folds}")
    n = max(folds, calibration_folds)
    while n - math.ceil(n / folds) < calibration_folds:
        n += 1
    return n


def _counted(counts: dict[str, int]) -> str:
    return ", ".join(f"{label} {n}" for label, n in counts.items())


def _thin_fold(corpus: pd.DataFrame, labels: Sequence[str], minimum: int, groups: np.ndarray) -> str | None:
    """Why leaving one group out would leave too little to train on (a label with 1 to ``minimum - 1`` passages, or
    a single label), or None when every group can be left out."""
    y = corpus["label"].to_numpy(dtype=object)
    table = pd.crosstab(pd.Series(groups, name="group"), pd.Series(y, name="label")).reindex(columns=list(labels), fill_value=0)
    left = table.sum(axis=0) - table  # per group left out: each label's passages in the training part
    for group, row in left.iterrows():
        thin = [(label, int(n)) for label, n in row.items() if 0 < n < minimum]
        if thin:
            label, n = thin[0]
            return f"without {group!r}, {label} has {n}"
        if (row > 0).sum() < 2:
            return f"without {group!r}, only {', '.join(row[row > 0].index) or 'no label'} is left"
    return None


def check_enough_passages(corpus: pd.DataFrame, labels: Sequence[str], config: TrainingConfig | None = None, *,
                          evaluate: bool = True, folds: int | None = None) -> None:
    """Refuse, in one sentence, labelled passages too few to train a model on, or to evaluate it as asked.

    The minimums are the model's own: every label needs ``config.calibration_folds`` passages, because its
    probabilities are calibrated over that many stratified folds; ``folds``-fold cross-validation needs
    :func:`fold_minimum` passages of each label, so that every training fold keeps that many; leave-one-story-out
    (``folds`` None) needs, for every story, each label either absent or that many times outside it.

    Raises
    ------
    CorpusError
        Saying how many passages each label needs and how many it has.
    """
    config = config or TrainingConfig()
    minimum = config.calibration_folds
    y = corpus["label"]
    counts = {label: int((y == label).sum()) for label in labels}
    if min(counts.values(), default=0) < minimum:
        raise CorpusError(f"too few labelled passages to train: each label needs at least {minimum} (the model calibrates "
                          f"its probabilities over {minimum} folds), and there are {_counted(counts)}; label more passages")
    if len(corpus) < config.min_df:
        raise CorpusError(f"too few passages to train: a term must occur in {config.min_df} passages (min_df) and there "
                          f"are {len(corpus)}")
    if not evaluate:
        return
    if folds:
        need = fold_minimum(minimum, folds)
        if min(counts.values()) < need:
            raise CorpusError(f"too few labelled passages for {folds}-fold cross-validation: each label needs at least "
                              f"{need} (one for each fold, and {minimum} left in every training part to calibrate on), and there are "
                              f"{_counted(counts)}; label more passages or skip the evaluation (--no-evaluate)")
        return
    stories = corpus["story"].to_numpy(dtype=object)
    if len(set(stories)) < 2:
        raise CorpusError("leave-one-story-out evaluation needs passages from at least two stories; use k-fold "
                          "cross-validation (--folds K)")
    thin = _thin_fold(corpus, labels, minimum, stories)
    if thin:
        raise CorpusError(f"too few labelled passages for leave-one-story-out evaluation: outside every story, each label "
                          f"needs at least {minimum} passages (to calibrate on) or none, and {thin}; label more passages, "
                          "use k-fold cross-validation (--folds K) or skip the evaluation (--no-evaluate)")


def _scoped(y: np.ndarray, proba: np.ndarray, labels: list[str], mask: np.ndarray) -> dict:
    """Macro-F1, accuracy and ECE of the rows in ``mask``."""
    y, proba = y[mask], proba[mask]
    predicted = np.asarray(labels, dtype=object)[proba.argmax(axis=1)] if len(proba) else np.array([], dtype=object)
    true_idx = np.array([labels.index(v) for v in y], dtype=int)
    return {
        "n": int(mask.sum()),
        "macro_f1": round(float(f1_score(y, predicted, labels=labels, average="macro", zero_division=0)), 4) if len(y) else None,
        "accuracy": round(float(accuracy_score(y, predicted)), 4) if len(y) else None,
        "ece": round(expected_calibration_error(proba, true_idx), 4) if len(y) else None,
    }


def passage_languages(corpus: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Language and script of each passage: as recorded in the corpus, else as detected."""
    detected = profile(corpus["text"].tolist())
    language = np.array([p.language for p in detected], dtype=object)
    script = np.array([p.script for p in detected], dtype=object)
    for column, values in (("language", language), ("script", script)):
        if column in corpus.columns:
            recorded = corpus[column].fillna("").astype(str).to_numpy(dtype=object)
            values[recorded != ""] = recorded[recorded != ""]
    return language, script


def contrast_pairs(corpus: pd.DataFrame, predicted: np.ndarray) -> dict:
    """Contrast-pair consistency: the share of pairs (two passages one minimal edit apart, with different labels)
    whose members are both predicted right, overall and per kind of hard case."""
    if "pair" not in corpus.columns:
        return {"n_pairs": 0}
    y = corpus["label"].to_numpy(dtype=object)
    pair = corpus["pair"].fillna("").astype(str).to_numpy(dtype=object)
    kind = corpus["contrast"].fillna("").astype(str).to_numpy(dtype=object) if "contrast" in corpus.columns else np.full(len(y), "")
    rows = []
    for name in sorted(set(pair) - {""}):
        members = np.flatnonzero(pair == name)
        if len(members) != 2 or y[members[0]] == y[members[1]]:
            continue
        rows.append((kind[members[0]] or "other", bool((predicted[members] == y[members]).all()),
                     bool(predicted[members[0]] != predicted[members[1]])))
    if not rows:
        return {"n_pairs": 0}
    table = pd.DataFrame(rows, columns=["contrast", "both_right", "flipped"])

    def summary(part: pd.DataFrame) -> dict:
        return {"n_pairs": len(part), "consistency": round(float(part["both_right"].mean()), 4),
                "prediction_flips": round(float(part["flipped"].mean()), 4)}

    return {**summary(table), "by_contrast": {k: summary(g) for k, g in table.groupby("contrast", sort=True)}}


def _method_report(corpus: pd.DataFrame, out: dict, codebook: Codebook, language: np.ndarray, script: np.ndarray,
                   method: str, groups: np.ndarray, group_name: str) -> dict:
    labels = list(codebook.label_names)
    y = corpus["label"].to_numpy(dtype=object)
    predicted = np.asarray(labels, dtype=object)[out["model"].argmax(axis=1)]
    everything = np.ones(len(y), dtype=bool)
    scopes = {"all": everything}
    for value in sorted(set(language)):
        scopes[f"language={value}"] = language == value
    for value in sorted(set(script)):
        scopes[f"script={value}"] = script == value
    return {
        "method": method,
        "n_passages": len(y),
        {"story": "n_stories", "writer": "n_writers"}.get(group_name, f"n_{group_name}s"): len(set(groups)),
        "model": classification_report(y, out["model"], labels),
        "baselines": {
            "majority": classification_report(y, out["majority"], labels),
            "keyword_lexicon": classification_report(y, out["keyword"], labels),
        },
        "scopes": {
            name: {"model": _scoped(y, out["model"], labels, mask), "keyword_lexicon": _scoped(y, out["keyword"], labels, mask)}
            for name, mask in scopes.items() if mask.any()
        },
        f"by_{group_name}": {
            g: {
                "n": int(mask.sum()),
                "accuracy": round(float(accuracy_score(y[mask], predicted[mask])), 4),
                "macro_f1": round(float(f1_score(y[mask], predicted[mask], labels=labels, average="macro", zero_division=0)), 4),
            }
            for g in sorted(set(groups))
            for mask in [groups == g]
        },
        "contrast_pairs": contrast_pairs(corpus, predicted),
    }


def evaluate_corpus(
    corpus: pd.DataFrame, codebook: Codebook, config: TrainingConfig | None = None, *, n_jobs: int = -1,
    folds: int | None = None, writers: bool = True, progress: Callable[[str], None] | None = None,
) -> tuple[dict, pd.DataFrame]:
    """Leave-one-story-out and leave-one-writer-out cross-validation of the framing model and the baselines.

    Every passage is predicted by a model that never saw its story; and, when the corpus records who wrote each
    passage (a ``writer`` column with at least two writers), again by a model that never saw its writer, which is
    what a passage written by someone new will meet. Each is broken down by language and script, with contrast-pair
    consistency and calibration. With ``folds``, stratified k-fold cross-validation (shuffled with the config's seed)
    replaces leave-one-story-out: for collections without stories, such as headlines. Passages too few for either
    are refused up front (:func:`check_enough_passages`); the leave-one-writer-out part is left out, and the report
    says why, when some writer's passages hold too many of a label. ``progress``, when given, hears of each fold.

    Returns
    -------
    report : dict
        The main method's metrics of the model and both baselines at the top level (macro-F1 by source type and on
        against-type passages, the source-type probe, a reliability table), ``scopes`` (all, per language, per
        script), ``contrast_pairs``, ``leave_one_writer_out`` when there are writers, and ``summary``: one row per
        method and scope, side by side.
    predictions : DataFrame
        One row per passage: id, story, source type, true label, the model's out-of-story prediction and
        probabilities (and its out-of-writer prediction, when there are writers).
    """
    config = config or TrainingConfig()
    labels = list(codebook.label_names)
    corpus = corpus.reset_index(drop=True)
    stories = corpus["story"].to_numpy(dtype=object)
    check_enough_passages(corpus, labels, config, folds=folds)
    if folds:
        splits = StratifiedKFold(folds, shuffle=True, random_state=config.seed).split(corpus, corpus["label"].to_numpy(dtype=object))
        method = f"{folds}-fold cross-validation"
        out = _cross_validate(corpus, splits, codebook, config, n_jobs, progress=progress, method=method)
    else:
        splits = LeaveOneGroupOut().split(corpus, groups=stories)
        method = "leave-one-story-out"
        out = _cross_validate(corpus, splits, codebook, config, n_jobs, progress=progress, method=method, groups=stories,
                              group_name="story")
    language, script = passage_languages(corpus)
    report = _method_report(corpus, out, codebook, language, script, method, stories, "story")
    report["labels"] = labels
    probe = out["probe"]

    y = corpus["label"].to_numpy(dtype=object)
    predicted = np.asarray(labels, dtype=object)[out["model"].argmax(axis=1)]
    by_source = {}
    for source in codebook.source_type_names:
        mask = corpus["source_type"].to_numpy(dtype=object) == source
        if mask.any():
            by_source[source] = {
                "n": int(mask.sum()),
                "macro_f1": round(float(f1_score(y[mask], predicted[mask], labels=labels, average="macro", zero_division=0)), 4),
                "accuracy": round(float(accuracy_score(y[mask], predicted[mask])), 4),
            }
    report["by_source_type"] = by_source
    against = np.array([codebook.is_against_type(s, l) for s, l in zip(corpus["source_type"], y)])
    if against.any():
        report["against_type"] = {
            "n": int(against.sum()),
            "macro_f1": round(float(f1_score(y[against], predicted[against], labels=labels, average="macro", zero_division=0)), 4),
        }
    sources = corpus["source_type"].to_numpy(dtype=object)
    majority_share = pd.Series(sources).value_counts(normalize=True).max()
    probe_f1 = float(f1_score(sources, probe, average="macro", zero_division=0))
    gap = report["model"]["macro_f1"] - report.get("against_type", {}).get("macro_f1", report["model"]["macro_f1"])
    report["source_type_probe"] = {
        "macro_f1": round(probe_f1, 4),
        "accuracy": round(float(accuracy_score(sources, probe)), 4),
        "majority_accuracy": round(float(majority_share), 4),
        "chance_macro_f1": round(1 / max(len(set(sources)), 1), 4),
        "identifies_speaker": probe_f1 > PROBE_WARNING,
        "against_type_gap": round(float(gap), 4),
        "warning": bool(probe_f1 > PROBE_WARNING and gap > AGAINST_TYPE_GAP),
    }
    true_idx = np.array([labels.index(v) for v in y])
    report["reliability"] = reliability_table(out["model"], true_idx)
    report["config"] = config.to_dict()

    predictions = corpus[["id", "story", "source_type", "label"]].copy()
    predictions["language"], predictions["script"] = language, script
    predictions["predicted"] = predicted
    for j, label in enumerate(labels):
        predictions[f"p_{label}"] = out["model"][:, j]

    methods = [report]
    writer = corpus["writer"].fillna("").astype(str).replace("", "(unrecorded)").to_numpy(dtype=object) \
        if "writer" in corpus.columns else None
    by_writers = writers and writer is not None and len(set(writer)) >= 2
    thin = _thin_fold(corpus, labels, config.calibration_folds, writer) if by_writers else None
    if thin:
        report["leave_one_writer_out_skipped"] = (f"too few passages of a label outside some writer's to calibrate on "
                                                  f"({thin})")
    elif by_writers:
        by_writer = _cross_validate(corpus, LeaveOneGroupOut().split(corpus, groups=writer), codebook, config, n_jobs,
                                    progress=progress, method="leave-one-writer-out", groups=writer, group_name="writer")
        lowo = _method_report(corpus, by_writer, codebook, language, script, "leave-one-writer-out", writer, "writer")
        report["leave_one_writer_out"] = lowo
        methods.append(lowo)
        predictions["writer"] = writer
        predictions["predicted_unseen_writer"] = np.asarray(labels, dtype=object)[by_writer["model"].argmax(axis=1)]
        for j, label in enumerate(labels):
            predictions[f"p_{label}_unseen_writer"] = by_writer["model"][:, j]
    report["summary"] = [
        {"method": m["method"], "scope": scope, "n": v["model"]["n"], "macro_f1": v["model"]["macro_f1"],
         "ece": v["model"]["ece"], "keyword_macro_f1": v["keyword_lexicon"]["macro_f1"],
         "contrast_pair_consistency": m["contrast_pairs"].get("consistency") if scope == "all" else None}
        for m in methods for scope, v in m["scopes"].items()
    ]
    return report, predictions


def _probe_verdict(probe: dict) -> str:
    if probe["warning"]:
        return (
            "**Warning: the features identify the speaker, and against-type passages score "
            f"{probe['against_type_gap']:.3f} below the rest: the model may be learning who speaks rather than how.**"
        )
    if probe["identifies_speaker"]:
        return (
            "The features do identify the speaker (each source type has its own style), but against-type passages "
            f"score within {max(probe['against_type_gap'], 0):.3f} of the rest, so the labels do not ride on who speaks."
        )
    return "The features carry little of who speaks, so labels are not a proxy for source type."


def _number(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def report_to_markdown(report: dict) -> str:
    """A readable Markdown rendering of :func:`evaluate_corpus`'s report."""
    labels = report["labels"]
    model = report["model"]
    lines = [
        "# Evaluation",
        "",
        (f"{report['method']} cross-validation over {report['n_passages']} passages from {report['n_stories']} stories: "
         "each passage is predicted by a model that never saw its story."
         if report["method"] == "leave-one-story-out" else
         f"{report['method']} over {report['n_passages']} passages: each passage is predicted by a model that never saw it."),
        "",
        "| system | macro-F1 | accuracy | ECE |",
        "|---|---|---|---|",
        f"| framing model | {model['macro_f1']:.3f} | {model['accuracy']:.3f} | {model['ece']:.3f} |",
    ]
    for name, base in report["baselines"].items():
        lines.append(f"| baseline: {name.replace('_', ' ')} | {base['macro_f1']:.3f} | {base['accuracy']:.3f} | {base['ece']:.3f} |")
    if report.get("summary"):
        lines += ["", "## Side by side", "",
                  ("Each passage predicted by a model that never saw its story, and by one that never saw its writer (what "
                   "a passage written by someone new meets), overall, per language and per script; the keyword lexicon "
                   "built from the codebook's cue words is the baseline."), "",
                  "| evaluation | passages | macro-F1 | ECE | keyword baseline macro-F1 | contrast pairs both right |",
                  "|---|---|---|---|---|---|"]
        for row in report["summary"]:
            pairs = row.get("contrast_pair_consistency")
            lines.append(
                f"| {row['method']}, {row['scope']} | {row['n']} | {_number(row['macro_f1'])} | {_number(row['ece'])} | "
                f"{_number(row['keyword_macro_f1'])} | {_number(pairs) if pairs is not None else ''} |"
            )
    for block in (report, report.get("leave_one_writer_out")):
        pairs = (block or {}).get("contrast_pairs", {})
        if pairs.get("n_pairs"):
            lines += ["", f"## Contrast pairs ({block['method']})", "",
                      (f"{pairs['n_pairs']} pairs of passages one minimal edit apart with different labels: both members "
                       f"right in {pairs['consistency']:.1%}; the prediction changes between the members in "
                       f"{pairs['prediction_flips']:.1%}."), "",
                      "| hard case | pairs | both right | prediction changes |", "|---|---|---|---|"]
            for kind, m in pairs["by_contrast"].items():
                lines.append(f"| {kind} | {m['n_pairs']} | {m['consistency']:.3f} | {m['prediction_flips']:.3f} |")
    lowo = report.get("leave_one_writer_out")
    if lowo:
        lines += ["", "## By writer (each predicted by a model that never saw the writer)", "",
                  "| writer | passages | macro-F1 | accuracy |", "|---|---|---|---|"]
        for writer, m in lowo["by_writer"].items():
            lines.append(f"| {writer} | {m['n']} | {m['macro_f1']:.3f} | {m['accuracy']:.3f} |")
    if report.get("leave_one_writer_out_skipped"):
        lines += ["", f"Leave-one-writer-out evaluation left out: {report['leave_one_writer_out_skipped']}."]
    lines += ["", "## Per label (framing model)", "", "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for label in labels:
        m = model["per_label"][label]
        lines.append(f"| {label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |")
    lines += ["", "## Confusion matrix (rows: true, columns: predicted)", "", "| | " + " | ".join(labels) + " |",
              "|---" * (len(labels) + 1) + "|"]
    for label, row in zip(labels, model["confusion_matrix"]["rows_true_columns_predicted"]):
        lines.append(f"| **{label}** | " + " | ".join(str(v) for v in row) + " |")
    lines += ["", "## By source type", "", "| source type | passages | macro-F1 | accuracy |", "|---|---|---|---|"]
    for source, m in report["by_source_type"].items():
        lines.append(f"| {source} | {m['n']} | {m['macro_f1']:.3f} | {m['accuracy']:.3f} |")
    if "against_type" in report:
        a = report["against_type"]
        lines += ["", f"Against-type passages (a label other than the source type's usual one): {a['n']}, macro-F1 {a['macro_f1']:.3f}."]
    lines += ["", "## By story (each predicted by a model that never saw it)", "", "| story | passages | macro-F1 | accuracy |", "|---|---|---|---|"]
    for story, m in report["by_story"].items():
        lines.append(f"| {story} | {m['n']} | {m['macro_f1']:.3f} | {m['accuracy']:.3f} |")
    p = report["source_type_probe"]
    lines += [
        "",
        "## Source-type probe",
        "",
        (f"A logistic regression on the model's features predicts the source type with macro-F1 {p['macro_f1']:.3f} "
         f"(accuracy {p['accuracy']:.3f}; chance macro-F1 {p['chance_macro_f1']:.3f}, majority accuracy "
         f"{p['majority_accuracy']:.3f})."),
        _probe_verdict(p),
        "",
        "## Reliability (framing model)",
        "",
        "| confidence | passages | mean confidence | accuracy |",
        "|---|---|---|---|",
    ]
    for row in report["reliability"]:
        lines.append(f"| {row['bin']} | {row['n']} | {row['confidence']:.3f} | {row['accuracy']:.3f} |")
    return "\n".join(lines) + "\n"
