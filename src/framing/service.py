"""The use-cases every shell calls: validate, train, evaluate, load, predict, score, compare, ingest.

The command line and the dashboard parse or render, then call one function here.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from . import artifacts
from .codebook import Codebook, load_codebook
from .config import TrainingConfig, corpus_dir, models_dir
from .corpus import ValidationReport, load_corpus, validate_corpus
from .errors import ArtifactError, CorpusError, IncompatibleArtifactError, InputError, ModelNotFoundError
from .model import FramingModel, build_pipeline
from .retrain import HOLDOUT_SHARE
from .scoring import DEFAULT_MAX_CHARS, ScoreOptions, ScoreSummary
from .scoring import score_file as _score_file
from .scoring import score_frame as _score_frame

__all__ = [
    "DEFAULT_MAX_CHARS",
    "NO_HOLDOUT",
    "ScoreOptions",
    "ScoreSummary",
    "active_model_fingerprint",
    "agreement",
    "compare_file",
    "corpus_codebook",
    "corpus_frame",
    "ensure_model",
    "evaluate",
    "ingest",
    "ingest_text",
    "label_queue",
    "label_store",
    "load_model",
    "model_card",
    "predict",
    "promote",
    "prune",
    "read_scored",
    "read_upload",
    "retrain",
    "rollback",
    "score_file",
    "score_frame",
    "source_registry",
    "table_bytes",
    "train",
    "train_splitter",
    "validate",
]

#: How :func:`retrain`'s warning begins when no new labelled passages could be held out for a comparison.
NO_HOLDOUT = "too few new labelled passages to hold out"


def _corpus_paths(corpus: str | os.PathLike | None) -> tuple[Path, Path]:
    folder = corpus_dir(corpus)
    return folder / "codebook.toml", folder / "passages.jsonl"


def validate(corpus: str | os.PathLike | None = None, near_threshold: float = 0.5) -> ValidationReport:
    """Validate the corpus folder's passages against its codebook."""
    codebook_path, passages_path = _corpus_paths(corpus)
    return validate_corpus(passages_path, load_codebook(codebook_path), near_threshold)


def evaluate(corpus: str | os.PathLike | None = None, config: TrainingConfig | None = None, *, n_jobs: int = -1,
             folds: int | None = None, progress=None):
    """Leave-one-story-out (or ``folds``-fold) evaluation of ``config`` on the corpus.

    See :func:`framing.evaluation.evaluate_corpus`; ``progress`` is called with a line per finished fold.
    """
    from .evaluation import evaluate_corpus

    codebook_path, passages_path = _corpus_paths(corpus)
    codebook = load_codebook(codebook_path)
    config = config or TrainingConfig()
    with _learnable(config):
        return evaluate_corpus(load_corpus(passages_path, codebook), codebook, config, n_jobs=n_jobs, folds=folds,
                               progress=progress)


@contextmanager
def _learnable(config: TrainingConfig):
    """Turn the vectorizer's "no terms remain" into a sentence about the passages (it happens on too few of them)."""
    try:
        yield
    except ValueError as exc:
        if "no terms remain" not in str(exc):
            raise
        raise CorpusError(f"too few passages to learn from: no word occurs in {config.min_df} or more of them (min_df); "
                          "label more passages or lower --min-df") from None


def train(
    corpus: str | os.PathLike | None = None,
    models: str | os.PathLike | None = None,
    config: TrainingConfig | None = None,
    *,
    run_evaluation: bool = True,
    activate: bool = True,
    n_jobs: int = -1,
    folds: int | None = None,
    progress=None,
) -> tuple[str, dict | None]:
    """Train on the whole corpus, evaluate it (leave-one-story-out, or ``folds``-fold), save a verified artifact.

    Passages too few to train on, or to evaluate as asked, are refused before any training
    (:func:`framing.evaluation.check_enough_passages`); ``progress`` hears of each step and fold.

    Returns
    -------
    model_id : str
    report : dict or None
        The evaluation report (also stored in the manifest and beside the model).
    """
    config = config or TrainingConfig()
    codebook_path, passages_path = _corpus_paths(corpus)
    codebook = load_codebook(codebook_path)
    frame = load_corpus(passages_path, codebook)
    return _fit_and_save(frame, codebook, passages_path, config, models, run_evaluation=run_evaluation,
                         activate=activate, n_jobs=n_jobs, folds=folds, progress=progress)


def _evaluation_folds(frame: pd.DataFrame, folds: int | None) -> int | None:
    """``folds``, else None (leave-one-story-out), or 5-fold when the passages come from too few stories for it."""
    if not folds and frame["story"].nunique() < 3:
        return 5
    return folds


def _fit_and_save(frame: pd.DataFrame, codebook: Codebook, passages_path: Path, config: TrainingConfig,
                  models: str | os.PathLike | None, *, run_evaluation: bool, activate: bool, n_jobs: int,
                  folds: int | None, manifest_extra: dict | None = None, extra_files: dict[str, str] | None = None,
                  progress=None, pipeline=None) -> tuple[str, dict | None]:
    """Evaluate, fit on all of ``frame`` (unless ``pipeline`` was fitted on it already) and save the model with its reports."""
    from .evaluation import check_enough_passages, evaluate_corpus, report_to_markdown

    folds = _evaluation_folds(frame, folds)
    check_enough_passages(frame, codebook.label_names, config, evaluate=run_evaluation, folds=folds)
    started = time.perf_counter()
    if run_evaluation and progress:
        progress("evaluating (" + (f"{folds}-fold" if folds else "leave-one-story-out") + ")")
    with _learnable(config):
        report = evaluate_corpus(frame, codebook, config, n_jobs=n_jobs, folds=folds, progress=progress)[0] \
            if run_evaluation else None
        if pipeline is None:
            if progress:
                progress(f"training on {len(frame):,} passages")
            pipeline = build_pipeline(config).fit(frame["text"].tolist(), frame["label"].to_numpy(dtype=object))
    manifest = {
        "labels": list(codebook.label_names),
        "index": {"name": f"{codebook.index_positive}_index", "positive": codebook.index_positive, "negative": codebook.index_negative},
        "source_types": list(codebook.source_type_names),
        "codebook": {"name": codebook.name, "version": codebook.version, "sha256": codebook.sha256},
        "corpus": {
            "file": passages_path.name,
            "sha256": artifacts.file_sha256(passages_path),
            "n_passages": len(frame),
            "n_stories": int(frame["story"].nunique()),
            "label_counts": {k: int(v) for k, v in frame["label"].value_counts().items()},
        },
        "training_config": config.to_dict(),
        "pipeline": "FramingVectorizer(Cyrillic read as Latin, English/Serbian Snowball stems, word 1-2-grams, negation scope) "
                    "-> CalibratedClassifierCV(LogisticRegression)",
        "n_features": len(pipeline.named_steps["features"].vocabulary_),
        "metrics": _headline_metrics(report),
        "training_seconds": round(time.perf_counter() - started, 2),
        **(manifest_extra or {}),
    }
    files = dict(extra_files or {})
    if report is not None:
        files["evaluation.json"] = json.dumps(report, indent=2) + "\n"
        files["evaluation.md"] = report_to_markdown(report)
    model_id = artifacts.save_artifact(pipeline, manifest, models_dir(models), activate=activate, extra_files=files)
    return model_id, report


def _headline_metrics(report: dict | None) -> dict:
    if report is None:
        return {}
    return {
        "method": report["method"],
        "macro_f1": report["model"]["macro_f1"],
        "accuracy": report["model"]["accuracy"],
        "ece": report["model"]["ece"],
        "per_label_f1": {k: v["f1"] for k, v in report["model"]["per_label"].items()},
        "keyword_lexicon_macro_f1": report["baselines"]["keyword_lexicon"]["macro_f1"],
        "n_passages": report["n_passages"],
        "majority_macro_f1": report["baselines"]["majority"]["macro_f1"],
        "source_type_probe_macro_f1": report["source_type_probe"]["macro_f1"],
        **_writer_metrics(report.get("leave_one_writer_out")),
    }


def _writer_metrics(lowo: dict | None) -> dict:
    """Headline figures of the leave-one-writer-out evaluation, when the corpus records writers."""
    if not lowo:
        return {}
    languages = {name.removeprefix("language="): scope["model"] for name, scope in lowo["scopes"].items()
                 if name.startswith("language=")}
    return {
        "unseen_writer_macro_f1": lowo["model"]["macro_f1"],
        "unseen_writer_macro_f1_by_language": {l: m["macro_f1"] for l, m in languages.items()},
        "unseen_writer_ece_by_language": {l: m["ece"] for l, m in languages.items()},
        "contrast_pair_consistency": lowo["contrast_pairs"].get("consistency"),
    }


def load_model(model_id: str | None = None, models: str | os.PathLike | None = None) -> FramingModel:
    """Load and verify a model (the active one when ``model_id`` is None)."""
    folder = models_dir(models)
    model_id = model_id or artifacts.active_model_id(folder)
    pipeline, manifest = artifacts.load_artifact(artifacts.model_dir(folder, model_id))
    model_id = manifest["model_id"]
    config = TrainingConfig.from_dict(manifest.get("training_config", {}))
    index = manifest.get("index", {})
    try:
        return FramingModel(
            pipeline,
            labels=tuple(manifest["labels"]),
            index_positive=index["positive"],
            index_negative=index["negative"],
            model_id=model_id,
            ngram_max=config.ngram_max,
            negation=config.negation,
            manifest=manifest,
        )
    except (KeyError, ValueError) as exc:
        raise ArtifactError(f"{folder / model_id}: manifest and model disagree ({exc})") from None


def active_model_fingerprint(models: str | os.PathLike | None = None) -> tuple[str, str]:
    """``(model_id, sha256 of its model file)`` of the active model, read from its manifest without unpickling.

    A cheap key for caching a loaded model: it changes when another model becomes active.
    """
    folder = models_dir(models)
    model_id = artifacts.active_model_id(folder)
    return model_id, artifacts.read_manifest(artifacts.model_dir(folder, model_id))["model_file"]["sha256"]


def ensure_model(models: str | os.PathLike | None = None, corpus: str | os.PathLike | None = None) -> tuple[str, bool]:
    """Make sure a usable active model exists, training one when none is; return ``(model_id, trained)``.

    A model that cannot be loaded here (missing, or written by another
    scikit-learn) is replaced by a freshly trained one; a tampered model is not
    silently replaced: its error is raised.
    """
    try:
        return load_model(models=models).model_id, False
    except (ModelNotFoundError, IncompatibleArtifactError):
        pass
    model_id, _ = train(corpus, models)
    return model_id, True


def predict(texts: Sequence[str], model: FramingModel, explain: int = 0) -> pd.DataFrame:
    """Score texts; with ``explain`` > 0 add a ``terms`` column of (term, push) pairs.

    ``language`` and ``script`` say how each text was read (:mod:`framing.language`), from the same reading as the
    scores. A text in another language, or with no words, is still scored here, but its ``status`` is ``error``
    and ``error`` says why (``framing score`` leaves such rows unscored).
    """
    from .language import SCORED, unsupported_reason

    proba, language, script = model.predict_proba_profiled(texts)
    frame = model.frame_of(proba)
    frame["language"], frame["script"] = language, script
    supported = np.isin(language, SCORED)
    frame["status"] = np.where(supported, "ok", "error").astype(object)
    frame["error"] = np.array(["" if ok else unsupported_reason(l) for l, ok in zip(language, supported)], dtype=object)
    if explain:
        frame["terms"] = model.explain(texts, explain, frame["label"].tolist())
    return frame


def score_frame(
    frame: pd.DataFrame,
    model: FramingModel,
    *,
    text_column: str = "text",
    explain: int = 0,
    max_chars: int = DEFAULT_MAX_CHARS,
    source: str = "input",
) -> pd.DataFrame:
    """Score every row of an in-memory table; rows that cannot be scored get ``status`` = ``error`` and a reason.

    The output keeps every input row, in order, and every input column. Input columns
    whose names the scores use are kept under ``input_<name>``.
    """
    options = ScoreOptions(text_column=text_column, explain=explain, max_chars=max_chars)
    return _score_frame(frame, model, options, source=source)


def score_file(
    source: str,
    target: str,
    model: FramingModel,
    options: ScoreOptions | None = None,
    *,
    engine: str = "local",
    scheduler: str | None = None,
    **kwargs,
) -> ScoreSummary:
    """Score a file (or, with the Dask engine, a dataset) into ``target``.

    ``engine="local"`` streams chunks over local processes
    (:func:`framing.scoring.score_file`, whose keyword arguments pass through);
    ``engine="dask"`` runs the same scoring on a dask.distributed cluster
    (:func:`framing.distributed.score_dataset`).
    """
    if engine == "dask":
        from .distributed import score_dataset

        flags = {"resume": "--resume", "input_format": "--format", "output_format": "--output-format"}
        local_only = [flag for name, flag in flags.items() if kwargs.get(name)]
        if local_only:
            raise InputError(f"{', '.join(local_only)} work with the local engine only; the Dask engine reads "
                             "Parquet or CSV datasets and writes a Parquet folder")
        return score_dataset(source, target, model, options, scheduler=scheduler, jobs=kwargs.get("jobs"))
    if engine != "local":
        raise ValueError(f"unknown engine {engine!r}; choose 'local' or 'dask'")
    if scheduler:
        raise ValueError("--scheduler needs --engine dask")
    return _score_file(source, target, model, options, **kwargs)


def read_scored(source: str, input_format: str | None = None) -> pd.DataFrame:
    """A whole table (any format framing reads) as one DataFrame."""
    from .scoring import read_chunks
    from .tables import table_format

    chunks = [c if isinstance(c, pd.DataFrame) else c.to_pandas() for c in read_chunks(source, table_format(source, input_format))]
    return pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]


def read_upload(name: str, data: bytes, input_format: str | None = None) -> pd.DataFrame:
    """A table uploaded as bytes (CSV, TSV, JSONL or Parquet, by its name's extension), as one DataFrame.

    Errors name the uploaded file, not where its bytes were kept while reading.
    """
    import tempfile

    from .tables import table_format

    fmt = table_format(name, input_format)
    with tempfile.TemporaryDirectory(prefix="framing-upload-") as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(data)
        try:
            return read_scored(str(path), fmt)
        except InputError as exc:
            raise InputError(exc.problem.replace(str(path), name), path=name, row=exc.row, line=exc.line) from None


def table_bytes(frame: pd.DataFrame, fmt: str) -> bytes:
    """A table as the bytes of a CSV, TSV, JSONL or Parquet file."""
    import io

    from .tables import _serialise

    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()
    if fmt not in ("csv", "tsv", "jsonl"):
        raise InputError(f"unknown table format {fmt!r}; choose csv, tsv, jsonl or parquet")
    return _serialise(frame, fmt).encode("utf-8")


def compare_file(
    source: str,
    target: str,
    *,
    group: str = "source_type",
    cluster: str | None = None,
    permutations: int = 999,
    min_n: int = 10,
    min_clusters: int = 5,
    seed: int = 0,
    input_format: str | None = None,
    corrected: bool = False,
    models: str | os.PathLike | None = None,
) -> dict:
    """Compare the groups of a scored file and write the report (``.html``, ``.md`` or ``.json``, by extension).

    ``corrected`` adds label shares corrected for the misclassification of the model that
    scored the file (its ``model_id`` column), from that model's held-out confusion matrix.
    """
    from .report import compare_scored, render

    fmt = Path(target).suffix.lower().lstrip(".")
    fmt = {"markdown": "md", "htm": "html"}.get(fmt, fmt)
    if fmt not in ("html", "md", "json"):
        raise InputError("the report is written as .html, .md or .json", path=target)
    scored = read_scored(source, input_format)
    confusion = scoring_confusion(scored, source, models) if corrected else None
    result = compare_scored(scored, group=group, cluster=cluster, permutations=permutations, min_n=min_n,
                            min_clusters=min_clusters, seed=seed, source=source, confusion=confusion)
    tmp = Path(target).with_name(f".{Path(target).name}.partial")
    tmp.write_text(render(result, fmt), encoding="utf-8")
    os.replace(tmp, target)
    return result


def scoring_confusion(scored, source: str, models: str | os.PathLike | None = None) -> dict:
    """The held-out confusion matrix of the model that scored a table: unseen writers' when measured, else unseen stories'."""
    ids = sorted(set(scored["model_id"].dropna().astype(str)) - {""}) if "model_id" in scored.columns else []
    if len(ids) != 1:
        raise InputError("correcting shares needs the model that scored the table: one model_id in its model_id column, "
                         f"not {ids or 'none'}", path=source)
    known = {m["model_id"] for m in artifacts.list_models(models_dir(models))}
    if ids[0] not in known:
        raise InputError(f"the table was scored by model {ids[0]!r}, which is not in the models folder", path=source)
    evaluation = model_card(ids[0], models)["evaluation"]
    if not evaluation:
        raise InputError(f"model {ids[0]!r} has no evaluation to take its confusion matrix from", path=source)
    held_out = evaluation.get("leave_one_writer_out", {}).get("model", {}).get("confusion_matrix")
    what = "unseen writers (leave-one-writer-out)"
    if not held_out:
        held_out, what = evaluation["model"]["confusion_matrix"], "unseen stories (leave-one-story-out)"
    return {**held_out, "source": f"model {ids[0]}'s passages by {what}"}


def corpus_codebook(corpus: str | os.PathLike | None = None) -> Codebook:
    """The codebook of a corpus folder."""
    return load_codebook(_corpus_paths(corpus)[0])


def corpus_frame(corpus: str | os.PathLike | None = None) -> pd.DataFrame:
    """The checked passages of a corpus folder."""
    codebook_path, passages_path = _corpus_paths(corpus)
    return load_corpus(passages_path, load_codebook(codebook_path))


def model_card(model_id: str | None = None, models: str | os.PathLike | None = None) -> dict:
    """What a model is: its manifest, its evaluation report (when it was evaluated) and whether it is active.

    Read from the model's folder without unpickling the model.
    """
    folder = models_dir(models)
    active = artifacts.active_model_id(folder)
    model_id = model_id or active
    path = artifacts.model_dir(folder, model_id)
    manifest = artifacts.read_manifest(path)
    model_id = manifest["model_id"]
    evaluation = path / "evaluation.json"
    return {
        "model_id": model_id,
        "active": model_id == active,
        "manifest": manifest,
        "evaluation": json.loads(evaluation.read_text(encoding="utf-8")) if evaluation.exists() else None,
        "models": [{"model_id": m["model_id"], "created_at": m.get("created_at", ""), "active": m["model_id"] == active,
                    "macro_f1": m.get("metrics", {}).get("macro_f1"), "n_passages": m.get("corpus", {}).get("n_passages")}
                   for m in artifacts.list_models(folder)],
    }


# -- labelling and retraining -------------------------------------------------------------------
def label_store(store: str | os.PathLike | None = None, corpus: str | os.PathLike | None = None):
    """The label store (created on first use): ``store``, else ``FRAMING_LABEL_STORE``, else the corpus folder's ``labels.db``."""
    from .config import label_store_path
    from .store import LabelStore

    return LabelStore(label_store_path(store, corpus), labels=corpus_codebook(corpus).label_names)


def agreement(store: str | os.PathLike | None = None, corpus: str | os.PathLike | None = None) -> dict:
    """Krippendorff's alpha of the store's labels: overall, per label and per annotator pair."""
    from .agreement import agreement_report

    return agreement_report(label_store(store, corpus).current())


def label_queue(passages: pd.DataFrame, model: FramingModel, *, k: int = 50, strategy: str = "margin",
                store: str | os.PathLike | None = None, corpus: str | os.PathLike | None = None,
                quota_column: str | None = "source_type") -> pd.DataFrame:
    """The ``k`` passages of ``passages`` most worth labelling next, leaving out those the store or corpus has labels for."""
    from .active import label_queue as queue
    from .store import content_hash

    if "text" not in passages.columns:
        raise InputError(f"no column 'text' to choose passages from; the columns are {list(passages.columns)}")
    known = set(label_store(store, corpus).current()["content_hash"]) | {content_hash(t) for t in corpus_frame(corpus)["text"]}
    hashes = passages["text"].astype(str).map(content_hash)
    return queue(model, passages[~hashes.isin(known)], k=k, strategy=strategy, quota_column=quota_column)


def retrain(
    corpus: str | os.PathLike | None = None,
    models: str | os.PathLike | None = None,
    store: str | os.PathLike | None = None,
    config: TrainingConfig | None = None,
    *,
    holdout: float = HOLDOUT_SHARE,
    folds: int | None = None,
    run_evaluation: bool = True,
    promote_if_better: bool = False,
    min_gain: float = 0.0,
    refuse_low_alpha: bool = False,
    n_jobs: int = -1,
    progress=None,
) -> dict:
    """Train a candidate on the corpus plus the label store, compare it with the active model, save it inactive.

    The candidate becomes active only with ``promote_if_better`` when, on the same
    held-out passages (new labels neither model trained on), its macro-F1 is at least
    the current model's plus ``min_gain``. The active model and its files are never
    touched otherwise, whatever happens during the run.

    Returns
    -------
    dict
        ``candidate`` (model id), ``current`` (id or None), ``comparison`` (metrics of both
        on the held-out passages and the passages whose label changed), ``evaluation``
        (the candidate's cross-validated metrics), ``agreement``, ``warnings``,
        ``promoted`` and ``decision`` (why it was or was not promoted).
    """
    from joblib import Parallel, delayed

    from .agreement import ALPHA_THRESHOLD, agreement_report
    from .errors import FramingError
    from .evaluation import check_enough_passages
    from .retrain import compare_on, fit, held_out, training_set
    from .store import resolve

    say = progress or (lambda message: None)
    config = config or TrainingConfig()
    codebook_path, passages_path = _corpus_paths(corpus)
    codebook = load_codebook(codebook_path)
    labels_db = label_store(store, corpus)
    current_labels = labels_db.current()
    report_agreement = agreement_report(current_labels)
    warnings = []
    if report_agreement["below_threshold"]:
        message = (f"annotators agree too little: Krippendorff's alpha {report_agreement['alpha']:.3f} on "
                   f"{report_agreement['passages']} passages labelled twice or more is below {ALPHA_THRESHOLD}")
        if refuse_low_alpha:
            raise FramingError(message + "; retraining refused (fix the codebook or the labels first)")
        warnings.append(message)
    data = training_set(load_corpus(passages_path, codebook), resolve(current_labels), codebook, store_path=str(labels_db.path))
    say(f"{data.n_corpus:,} corpus passages ({data.relabelled} relabelled) and {data.n_store:,} new passages from the label store")
    folds = _evaluation_folds(data.frame, folds)
    check_enough_passages(data.frame, codebook.label_names, config, evaluate=run_evaluation, folds=folds)

    folder = models_dir(models)
    current = None
    seen: set[str] = set()
    try:
        current = load_model(models=folder)
        hashes = folder / current.model_id / "training_hashes.txt"
        if hashes.exists():
            seen = set(hashes.read_text(encoding="utf-8").split())
    except (ModelNotFoundError, IncompatibleArtifactError):
        pass
    mask = held_out(data, seen, holdout, seed=config.seed)
    if mask.any():
        try:
            check_enough_passages(data.frame[~mask], codebook.label_names, config, evaluate=False)
        except CorpusError:
            mask[:] = False  # the comparison model could not be trained without them
    frames = [data.frame]
    if mask.any():
        frames.append(data.frame[~mask])
        say(f"training the candidate on {len(data.frame):,} passages and, without {int(mask.sum())} held-out new passages, "
            "a model to compare")
    else:
        say(f"training the candidate on {len(data.frame):,} passages")
        warnings.append(f"{NO_HOLDOUT}: the candidate is not compared with the current model "
                        "(its cross-validated scores, if any, describe it alone)")
    workers = min(len(frames), os.cpu_count() or 1) if n_jobs == -1 else max(1, min(len(frames), n_jobs))
    with _learnable(config):
        pipelines = Parallel(n_jobs=workers)(delayed(fit)(frame, config) for frame in frames)
    comparison = compare_on(data, mask, codebook, pipelines[1], current) if mask.any() else None
    manifest_extra = {"trained_on": {"corpus_passages": data.n_corpus, "store_passages": data.n_store, "relabelled": data.relabelled,
                                     "label_store": labels_db.path.name, "candidate_of": current.model_id if current else None}}
    files = {"training_hashes.txt": "\n".join(data.store_hashes) + ("\n" if data.n_store else "")}
    if comparison is not None:
        files["comparison.json"] = json.dumps(comparison, indent=2, ensure_ascii=False) + "\n"
    candidate, report = _fit_and_save(data.frame, codebook, passages_path, config, folder, run_evaluation=run_evaluation,
                                      activate=False, n_jobs=n_jobs, folds=folds, manifest_extra=manifest_extra,
                                      extra_files=files, progress=say, pipeline=pipelines[0])
    promoted, decision = False, "not promoted: promote it with `framing models promote " + candidate + "`"
    if promote_if_better:
        if current is None:
            artifacts.set_active(folder, candidate, reason="retrain: no model was active")
            promoted, decision = True, "promoted: no model was active"
        elif comparison is None:
            decision = "not promoted: no held-out passages to compare the two models on"
        else:
            new, old = comparison["candidate"]["macro_f1"], comparison["current"]["macro_f1"]
            if new >= old + min_gain:
                artifacts.set_active(folder, candidate, reason=f"retrain: held-out macro-F1 {new:.3f} vs {old:.3f}")
                promoted, decision = True, f"promoted: held-out macro-F1 {new:.3f} ≥ {old:.3f} + {min_gain}"
            else:
                decision = f"not promoted: held-out macro-F1 {new:.3f} < {old:.3f} + {min_gain}"
    return {"candidate": candidate, "current": current.model_id if current else None, "comparison": comparison,
            "evaluation": _headline_metrics(report), "agreement": report_agreement, "warnings": warnings,
            "promoted": promoted, "decision": decision, "training": manifest_extra["trained_on"]}


def promote(model_id: str, models: str | os.PathLike | None = None) -> str:
    """Make a saved model (its id, or the start of one) the active one, checked first; return its id."""
    folder = models_dir(models)
    model_id = load_model(model_id, folder).model_id  # verified: id, hash, trust, versions, manifest
    artifacts.set_active(folder, model_id, reason="promoted")
    return model_id


def rollback(models: str | os.PathLike | None = None) -> str:
    """Make the previously active model active again; returns its id."""
    return artifacts.rollback(models_dir(models))


def prune(models: str | os.PathLike | None = None, *, keep: int = 3, dry_run: bool = False,
          include_history: bool = False) -> dict:
    """Remove old models; see :func:`framing.artifacts.prune`. The bundled model is always kept."""
    from .config import BUNDLED_MODEL

    return artifacts.prune(models_dir(models), keep=keep, dry_run=dry_run, include_history=include_history,
                           protect=(BUNDLED_MODEL,))


def _corpus_file(corpus: str | os.PathLike | None, name: str) -> Path:
    """A file of the corpus folder, or the bundled one when the folder has none."""
    from .config import PROJECT_ROOT

    own = corpus_dir(corpus) / name
    return own if own.exists() else PROJECT_ROOT / "corpus" / name


def source_registry(sources: Sequence[str | os.PathLike] = (), corpus: str | os.PathLike | None = None):
    """The corpus folder's ``sources.toml`` (else the bundled one), extended by ``sources`` in order.

    Source types are checked against the corpus codebook's.
    """
    from .sources import load_sources

    types = load_codebook(_corpus_file(corpus, "codebook.toml")).source_type_names
    return load_sources(_corpus_file(corpus, "sources.toml"), *sources, source_types=types)


def _check_source_type(source_type: str, corpus) -> None:
    types = load_codebook(_corpus_file(corpus, "codebook.toml")).source_type_names
    if source_type and source_type not in types:
        raise InputError(f"source type {source_type!r} is not one of the codebook's {list(types)}")


def ingest(
    inputs: Sequence[str | os.PathLike],
    *,
    text_column: str = "text",
    outlet: str = "",
    source_type: str = "",
    story: str = "",
    date: str = "",
    sources: Sequence[str | os.PathLike] = (),
    corpus: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Read raw articles and cut them into attributed passages; see :func:`framing.ingest.ingest_articles`.

    ``inputs`` are text or Markdown files, folders of them, or tables with a
    ``text_column`` (see :func:`framing.ingest.read_articles`); ``outlet``,
    ``source_type`` (of the outlet), ``story`` and ``date`` apply to articles that do
    not give their own. ``sources`` are TOML files extending the registry.
    """
    from .ingest import read_articles

    _check_source_type(source_type, corpus)
    articles = read_articles(inputs, text_column=text_column, outlet=outlet, source_type=source_type, story=story, date=date)
    return _cut(articles, sources, corpus)


def _cut(articles, sources: Sequence[str | os.PathLike], corpus: str | os.PathLike | None) -> pd.DataFrame:
    """Articles cut into attributed passages with the corpus folder's registry and sentence splitter."""
    from .ingest import ingest_articles
    from .segment import load_splitter

    return ingest_articles(articles, source_registry(sources, corpus), splitter=load_splitter(_corpus_file(corpus, "punkt.json")))


def ingest_text(
    text: str,
    *,
    outlet: str = "",
    source_type: str = "",
    title: str = "",
    story: str = "pasted",
    date: str = "",
    url: str = "",
    markdown: bool = False,
    sources: Sequence[str | os.PathLike] = (),
    corpus: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """Cut one pasted article into attributed passages (the dashboard's "Try it" page).

    Returns the same table as :func:`ingest`; an empty text gives an empty table.
    """
    from .ingest import COLUMNS, Article

    if not text.strip():
        return pd.DataFrame(columns=list(COLUMNS))
    _check_source_type(source_type, corpus)
    article = Article(text, id=story or "pasted", title=title, outlet=outlet, date=date, url=url,
                      source_type=source_type, story=story or "pasted", markdown=markdown)
    return _cut([article], sources, corpus)


def train_splitter(corpus: str | os.PathLike | None = None) -> Path:
    """Retrain the sentence splitter on the corpus folder's passages; save it as ``punkt.json`` there."""
    from .segment import load_splitter, save_splitter
    from .segment import train_splitter as _train

    folder = corpus_dir(corpus)
    path = save_splitter(_train(folder / "passages.jsonl"), folder / "punkt.json")
    load_splitter.cache_clear()
    return path
