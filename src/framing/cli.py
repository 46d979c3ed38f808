"""The ``framing`` command line: parse arguments, call one service function, print the result."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import __version__
from .errors import FramingError, InputError

__all__ = ["build_parser", "main"]


def _whole_number(low: int, high: int | None = None, *, out_of_range: str = "must be at least {low}, not {value}",
                  kind: str = "a whole number"):
    """An argparse type: a whole number from ``low`` to ``high``, with ``out_of_range`` (formatted with ``low``,
    ``high`` and ``value``) as the message for one outside."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {kind}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(out_of_range.format(low=low, high=high, value=value))
        return value

    return parse


_positive = _whole_number(1)
_count = _whole_number(0, out_of_range="must be 0 or more, not {value}")
_folds = _whole_number(2, out_of_range="cross-validation needs at least 2 folds, not {value}")
_port = _whole_number(1, 65535, out_of_range="a port is between {low} and {high}, not {value}", kind="a port number")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="framing", description="Measure how tabloids, officials, experts and the media frame the same story."
    )
    parser.add_argument("--version", action="version", version=f"framing {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def paths(p, corpus=True, models=True):
        if corpus:
            p.add_argument("--corpus", help="corpus folder with codebook.toml and passages.jsonl (default: the bundled one)")
        if models:
            p.add_argument("--models", help="folder of trained models (default: the bundled one)")

    p = sub.add_parser("validate", help="check the corpus: schema, duplicates, near-duplicates, balance")
    paths(p, models=False)
    p.add_argument("--near-threshold", type=float, default=0.5, help="word 3-gram Jaccard similarity that counts as near-duplicate")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--strict", action="store_true", help="fail on near-duplicates too")

    p = sub.add_parser("train", help="train a model on the corpus, evaluate it and save it as the active model")
    paths(p)
    p.add_argument("--no-evaluate", action="store_true", help="skip the leave-one-story-out evaluation")
    p.add_argument("--no-activate", action="store_true", help="save the model without making it active")
    p.add_argument("--C", type=float, help="inverse regularisation strength")
    p.add_argument("--ngram-max", type=int, help="longest word n-gram")
    p.add_argument("--min-df", type=int, help="minimum passages a term must occur in")
    p.add_argument("--calibration", choices=["sigmoid", "isotonic"])
    p.add_argument("--folds", type=_folds, help="k-fold cross-validation instead of leave-one-story-out")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on standard error")

    p = sub.add_parser("evaluate", help="leave-one-story-out evaluation against the baselines")
    paths(p, models=False)
    p.add_argument("--json", dest="json_path", help="write the report as JSON here")
    p.add_argument("--markdown", dest="markdown_path", help="write the report as Markdown here")
    p.add_argument("--predictions", help="write the out-of-story predictions (CSV/JSONL/Parquet) here")
    p.add_argument("--folds", type=_folds, help="k-fold cross-validation instead of leave-one-story-out")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on standard error")

    p = sub.add_parser("score", help="score a table of passages (CSV, TSV, JSONL, Parquet), streamed and in parallel")
    paths(p, corpus=False)
    p.add_argument("input", help="input file, or - for standard input (JSON Lines unless --format says otherwise); with --engine dask a folder or glob")
    p.add_argument("-o", "--output", required=True, help="output file, or - for standard output; with --engine dask a folder")
    p.add_argument("--text-column", default="text", help="column holding the passage text (default: text)")
    p.add_argument("--id-column", help="a column that must exist and is always carried to the output")
    p.add_argument("--keep", type=_names, help="carry only these input columns (comma-separated; text and id columns stay)")
    p.add_argument("--drop", type=_names, default=(), help="do not carry these input columns (comma-separated)")
    p.add_argument("--format", dest="input_format", choices=["csv", "tsv", "jsonl", "parquet"], help="input format (default: from the extension)")
    p.add_argument("--output-format", choices=["csv", "tsv", "jsonl", "parquet"], help="output format (default: from the extension)")
    p.add_argument("--model", help="model id (default: the active model)")
    p.add_argument("--explain", type=int, default=0, metavar="K", help="add the K terms that drove each label")
    p.add_argument("--max-chars", type=_positive, default=None, help="longest passage scored (longer rows get an error status)")
    p.add_argument("-j", "--jobs", type=int, default=-1, help="worker processes (default -1: all cores)")
    p.add_argument("--chunk-size", type=_positive, default=10_000, help="rows per chunk (default 10000)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from its last finished chunk")
    p.add_argument("--engine", choices=["local", "dask"], default="local", help="local processes, or a Dask cluster")
    p.add_argument("--scheduler", help="address of a Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a local cluster)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")

    p = sub.add_parser("compare", help="compare source types (or other groups) of a scored file: shares, tests, terms, claims")
    p.add_argument("input", help="a scored file (from framing score)")
    p.add_argument("-o", "--output", required=True, help="report file: .html, .md or .json")
    p.add_argument("--group", default="source_type", help="column to compare by (default: source_type; also outlet, story, speaker, ...; or week, month, quarter, year from the date column)")
    p.add_argument("--cluster", help="column naming the article each passage comes from: intervals and tests take each value as one independent unit (default: article_id, article or url when present; without one, passages are treated as independent and the report says so)")
    p.add_argument("--permutations", type=_positive, default=999, help="permutations for the tests and distinctive terms (default 999)")
    p.add_argument("--seed", type=int, default=0, help="seed of the permutations (default 0)")
    p.add_argument("--min-n", type=_positive, default=10, help="groups with fewer passages are reported as too small (default 10)")
    p.add_argument("--corrected", action="store_true", help="also report label shares corrected for the misclassification of the model that scored the file (from its held-out confusion matrix)")
    p.add_argument("--models", help="folder of trained models (default: the bundled one)")
    p.add_argument("--min-clusters", type=_positive, default=5, help="groups from fewer articles (cluster values) are reported as too small (default 5)")
    p.add_argument("--format", dest="input_format", choices=["csv", "tsv", "jsonl", "parquet"], help="input format")

    p = sub.add_parser("ingest", help="cut raw articles into passages with speakers and source types")
    p.add_argument("inputs", nargs="*", metavar="INPUT", help=".txt or .md articles, folders of them, CSV/TSV/JSONL/Parquet tables with an article text column, or - for one article on standard input")
    p.add_argument("-o", "--output", default="-", help="output file (default -: JSON Lines on standard output)")
    p.add_argument("--format", dest="output_format", choices=["csv", "tsv", "jsonl", "parquet"], help="output format (default: from the extension; jsonl on standard output)")
    p.add_argument("--sources", action="append", default=[], metavar="PATH", help="a sources TOML extending the bundled registry of outlets, people and roles (repeatable)")
    p.add_argument("--text-column", default="text", help="tables' column holding the article text (default: text)")
    p.add_argument("--outlet", default="", help="outlet of articles that do not name theirs")
    p.add_argument("--source-type", default="", help="source type of the outlet's own voice (default: from the sources registry)")
    p.add_argument("--story", default="", help="story of articles that do not name theirs (default: the article id)")
    p.add_argument("--date", default="", help="date of articles that do not give theirs")
    p.add_argument("--corpus", help="corpus folder: its codebook, sources.toml and punkt.json (default: the bundled one)")
    p.add_argument("--train-splitter", action="store_true", help="retrain the sentence splitter on the corpus passages, save it as punkt.json in the corpus folder, and exit")
    p.add_argument("--gold", metavar="PATH", help="a gold annotation (JSONL/CSV with article_id, text, speaker, source_type): print the attribution accuracy per article and over all")
    p.add_argument("-q", "--quiet", action="store_true", help="no summary")

    p = sub.add_parser("predict", help="score one or more passages given on the command line")
    paths(p, corpus=False)
    p.add_argument("texts", nargs="+", metavar="TEXT")
    p.add_argument("--model", help="model id (default: the active model)")
    p.add_argument("--explain", type=int, default=5, metavar="K", help="terms to show per passage (default 5)")
    p.add_argument("--json", action="store_true", help="print JSON lines")

    p = sub.add_parser("models", help="list trained models and the history of the active one; promote or roll back")
    paths(p, corpus=False)
    p.add_argument("action", nargs="?", choices=["list", "promote", "rollback", "trust", "prune"], default="list",
                   help="list (default); promote ID; rollback (one step back along the history); trust ID (accept a model "
                        "folder copied in from elsewhere: its file runs code when loaded); prune (remove old models)")
    p.add_argument("model_id", nargs="?", help="the model to promote or trust (its id, or the start of one)")
    p.add_argument("--keep", type=_count, default=3, metavar="N",
                   help="prune: keep the N most recent models besides the active and the bundled one (default 3)")
    p.add_argument("--dry-run", action="store_true", help="prune: only say what would be removed")
    p.add_argument("--include-history", action="store_true",
                   help="prune: also remove earlier active models that `framing models rollback` could return to")

    def store(p):
        p.add_argument("--store", help="label store file (default: FRAMING_LABEL_STORE, else labels.db in the corpus folder)")

    p = sub.add_parser("labels", help="the label store: add, undo, import, export, agreement, what to label next")
    labels = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    def label_action(name, help):
        q = labels.add_parser(name, help=help)
        paths(q, models=False)
        store(q)
        return q

    q = label_action("add", help="label one passage")
    q.add_argument("text")
    q.add_argument("--label", required=True)
    q.add_argument("--annotator", required=True)
    q = label_action("undo", help="take back an annotator's last label")
    q.add_argument("--annotator", required=True)
    q = label_action("retract", help="take back every label an annotator gave one passage")
    q.add_argument("passage", help="the passage's id, or its content hash (or the first 8+ characters of it)")
    q.add_argument("--annotator", required=True)
    q = label_action("import", help="add labels from JSONL/CSV (text and label columns), a filled-in queue file, or a text "
                                    "file of passages, one per line")
    q.add_argument("input")
    q.add_argument("--label", help="the label of every row (for a text file, or rows without one)")
    q.add_argument("--annotator", help="the annotator of rows without one")
    q.add_argument("--text-column", default="text")
    q = label_action("export", help="write every label to JSONL or CSV")
    q.add_argument("output")
    q = label_action("agreement", help="Krippendorff's alpha: overall, per label, per language, per annotator pair")
    q.add_argument("--json", action="store_true")
    q = label_action("queue", help="the passages of a table most worth labelling next, with an empty label column to fill "
                                   "in and import")
    q.add_argument("input", help="passages to choose from (CSV, TSV, JSONL, Parquet)")
    q.add_argument("-o", "--output", default="-", help="where to write the queue (default: standard output, CSV); a gold "
                                                       "label column of the input is kept as input_label")
    q.add_argument("-k", type=_positive, default=50, help="passages in the queue (default 50)")
    q.add_argument("--strategy", choices=["margin", "entropy"], default="margin")
    q.add_argument("--quota-column", default="source_type", help="share the queue among this column's values")
    q.add_argument("--models", help="folder of trained models (default: the bundled one)")
    q.add_argument("--model", help="model id (default: the active model)")

    p = sub.add_parser("retrain", help="train a candidate on the corpus plus the label store and compare it with the active model")
    paths(p)
    store(p)
    p.add_argument("--holdout", type=float, default=0.2, help="share of new labelled passages held out for the comparison (default 0.2)")
    p.add_argument("--folds", type=_folds, help="k-fold cross-validation instead of leave-one-story-out")
    p.add_argument("--no-evaluate", action="store_true", help="skip the cross-validated evaluation of the candidate")
    p.add_argument("--promote-if-better", action="store_true", help="make the candidate active when it beats the current model on the held-out passages")
    p.add_argument("--min-gain", type=float, default=0.0, help="macro-F1 the candidate must gain to be promoted (default 0)")
    p.add_argument("--refuse-low-agreement", action="store_true", help="refuse to retrain when Krippendorff's alpha is below 0.667")
    p.add_argument("--json", dest="json_path", help="write the whole result as JSON here")

    p = sub.add_parser("codebook", help="grow the codebook: add a label, or start a codebook for a label set of one's own")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = actions.add_parser("add-label", help="add a label to a corpus folder's codebook")
    q.add_argument("name")
    q.add_argument("--definition", required=True)
    q.add_argument("--frame", help="a short name for the frame")
    q.add_argument("--cues", type=_names, default=(), help="cue words, comma-separated")
    q.add_argument("--corpus", help="corpus folder (default: the bundled one)")
    q = actions.add_parser("init", help="a new corpus folder with a codebook for these labels and no passages yet")
    q.add_argument("folder")
    q.add_argument("--labels", type=_names, required=True, help="the labels, comma-separated")
    q.add_argument("--name", help="the codebook's name (default: the folder's)")
    q.add_argument("--positive", help="the index's positive label (default: the first)")
    q.add_argument("--negative", help="the index's negative label (default: the second)")
    q.add_argument("--source-types", type=_names, default=("unknown",), help="source types, comma-separated")

    p = sub.add_parser("dashboard", help="start the Streamlit dashboard (training a model first if none is usable)")
    paths(p)
    p.add_argument("--port", type=_port, default=8501, help="port to serve the dashboard on (default 8501)")
    p.add_argument("--headless", action="store_true", help="do not open a browser")
    p.add_argument("--data", help="a table of passages to show beside the bundled corpus (scored by framing score, or scored on load)")
    return parser


def _validate(args) -> int:
    from . import service

    report = service.validate(args.corpus, args.near_threshold)
    print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if args.json else report.to_text())
    failed = not report.ok or (args.strict and report.near_duplicates)
    return 1 if failed else 0


def _train(args) -> int:
    from dataclasses import replace

    from . import service
    from .config import TrainingConfig

    overrides = {k: v for k, v in {"C": args.C, "ngram_max": args.ngram_max, "min_df": args.min_df, "calibration": args.calibration}.items() if v is not None}
    config = replace(TrainingConfig(), **overrides)
    model_id, report = service.train(
        args.corpus, args.models, config, run_evaluation=not args.no_evaluate, activate=not args.no_activate,
        folds=args.folds, progress=_progress("train", args.quiet),
    )
    print(f"model {model_id} saved" + ("" if args.no_activate else " and active"))
    if report:
        m, k = report["model"], report["baselines"]["keyword_lexicon"]
        print(f"{report['method']} macro-F1 {m['macro_f1']:.3f} (keyword lexicon {k['macro_f1']:.3f}), ECE {m['ece']:.3f}")
    return 0


def _progress(command: str, quiet: bool):
    """A callback printing ``framing COMMAND: message`` lines on standard error, or None when ``quiet``."""
    if quiet:
        return None
    return lambda message: print(f"{command}: {message}", file=sys.stderr, flush=True)


def _evaluate(args) -> int:
    from . import service
    from .evaluation import report_to_markdown
    from .tables import write_table

    if args.predictions:
        _format_of(args.predictions, None, None, "predictions")
    report, predictions = service.evaluate(args.corpus, folds=args.folds, progress=_progress("evaluate", args.quiet))
    markdown = report_to_markdown(report)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if args.markdown_path:
        Path(args.markdown_path).write_text(markdown, encoding="utf-8")
    if args.predictions:
        write_table(predictions, args.predictions)
    print(markdown)
    return 0


def _format_of(path: str, explicit: str | None, option: str | None, what: str) -> str:
    """The table format of ``path`` (``explicit``, else its extension), or an error naming the option that sets it.

    ``option`` is the command's own option for the format (None when it has none); ``what`` names the file.
    """
    from .tables import table_format

    try:
        return table_format(path, explicit)
    except InputError:
        if explicit:
            raise
    if path == "-":
        stream = "standard input" if what == "input" else "standard output"
        hint = f"pass {option} csv or jsonl" if option else "give a file name ending in .csv, .tsv, .jsonl or .parquet"
        raise InputError(f"the {what} on {stream} needs a format: {hint}")
    hint = f", or pass {option}" if option else ""
    raise InputError(f"cannot tell the format from the {what} file's name: end it in .csv, .tsv, .jsonl or .parquet"
                     f"{hint}", path=path)


def _names(value: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in value.split(",") if name.strip())


def _score(args) -> int:
    from . import service

    input_format = args.input_format or ("jsonl" if args.input == "-" else None)
    if args.engine == "local":  # the Dask engine reads datasets and writes a Parquet folder
        _format_of(args.input, input_format, "--format", "input")
        _format_of(args.output, args.output_format, "--output-format", "output")
    model = service.load_model(args.model, args.models)
    try:
        options = service.ScoreOptions(
            text_column=args.text_column,
            id_column=args.id_column,
            keep=args.keep,
            drop=args.drop,
            explain=args.explain,
            max_chars=args.max_chars if args.max_chars is not None else service.DEFAULT_MAX_CHARS,
        )
    except ValueError as exc:
        raise FramingError(str(exc)) from None
    summary = service.score_file(
        args.input,
        args.output,
        model,
        options,
        engine=args.engine,
        scheduler=args.scheduler,
        input_format=input_format,
        output_format=args.output_format,
        jobs=args.jobs,
        chunk_size=args.chunk_size,
        resume=args.resume,
        progress=not args.quiet and sys.stderr.isatty(),
    )
    if not args.quiet:
        print(f"framing score: {summary} (model {model.model_id})", file=sys.stderr)
    return 0


def _compare(args) -> int:
    from . import service

    result = service.compare_file(args.input, args.output, group=args.group, cluster=args.cluster,
                                  permutations=args.permutations, min_n=args.min_n, min_clusters=args.min_clusters,
                                  seed=args.seed, input_format=args.input_format, corrected=args.corrected,
                                  models=args.models)
    for sentence in result["summary"]:
        print(sentence)
    print(f"report written to {args.output}", file=sys.stderr)
    return 0


def _ingest(args) -> int:
    from collections import Counter

    from . import service
    from .ingest import narration_without_type
    from .tables import write_table

    if args.train_splitter:
        path = service.train_splitter(args.corpus)
        print(f"sentence splitter trained and saved to {path}", file=sys.stderr)
        return 0
    if not args.inputs:
        raise FramingError("give at least one article file, folder or table (or - for standard input)")
    frame = service.ingest(args.inputs, text_column=args.text_column, outlet=args.outlet, source_type=args.source_type,
                           story=args.story, date=args.date, sources=args.sources, corpus=args.corpus)
    fmt = args.output_format or ("jsonl" if args.output == "-" else None)
    write_table(frame, args.output, fmt)
    if not args.quiet:
        types = ", ".join(f"{k} {v}" for k, v in Counter(frame["source_type"]).most_common())
        unknown = int((frame["source_type"] == "unknown").sum())
        print(f"framing ingest: {frame['article_id'].nunique()} article(s), {len(frame)} passages; source types: "
              f"{types or 'none'}; {unknown} passage(s) with an unknown source type", file=sys.stderr)
        articles, outlets = narration_without_type(frame)
        if articles:
            why = f"the outlet {', '.join(map(repr, outlets))} is not in the sources registry" if outlets else "no outlet is named"
            print(f"framing ingest: the narration of {articles} article(s) has no source type ({why}): "
                  "pass --source-type TYPE for the outlet's own voice, --outlet NAME for an outlet the registry knows, "
                  "or add the outlet to a sources file given with --sources", file=sys.stderr)
    if args.gold:
        _print_gold(frame, args.gold)
    return 0


def _print_gold(frame, path: str) -> None:
    from .ingest import gold_report, read_gold

    report = gold_report(frame, read_gold(path))
    width = max([len(a["article_id"]) for a in report["articles"]] + [7])
    print(f"{'article':{width}}  {'passages':>8}  {'source type':>11}  {'speaker':>7}", file=sys.stderr)
    for article in report["articles"]:
        print(f"{article['article_id']:{width}}  {article['n']:8d}  {article['source_type_accuracy']:11.1%}  "
              f"{article['speaker_accuracy']:7.1%}", file=sys.stderr)
    overall = report["overall"]
    print(f"{'all':{width}}  {overall['n']:8d}  {overall['source_type_accuracy']:11.1%}  {overall['speaker_accuracy']:7.1%}"
          f"  (lowest article {overall['worst_article']:.1%})", file=sys.stderr)
    if overall["missing"]:
        print(f"framing ingest: gold articles not among the inputs: {', '.join(overall['missing'])}", file=sys.stderr)


def _predict(args) -> int:
    from . import service

    model = service.load_model(args.model, args.models)
    frame = service.predict(args.texts, model, explain=args.explain)
    for text, row in zip(args.texts, frame.to_dict("records")):
        probabilities = {l: round(float(row[f"p_{l}"]), 4) for l in model.labels}
        if row["status"] != "ok":
            if args.json:
                print(json.dumps({"text": text, "status": "error", "error": row["error"], "language": row["language"],
                                  "model_id": model.model_id}, ensure_ascii=False))
            else:
                print(f"{'-':<10} {row['error']}")
            continue
        if args.json:
            record = {"text": text, "label": row["label"], **{f"p_{l}": p for l, p in probabilities.items()},
                      model.index_name: round(float(row[model.index_name]), 4), "language": row["language"],
                      "script": row["script"], "model_id": model.model_id}
            if args.explain:
                record["terms"] = [[t, round(w, 4)] for t, w in row["terms"]]
            print(json.dumps(record, ensure_ascii=False))
        else:
            shown = "  ".join(f"{l} {p:.2f}" for l, p in probabilities.items())
            print(f"{row['label']:<10} {model.index_name} {row[model.index_name]:+.2f}   {shown}")
            if args.explain and row["terms"]:
                print("  because of: " + ", ".join(f"{t} ({w:+.2f})" for t, w in row["terms"]))
    return 0


def _models(args) -> int:
    from . import artifacts, service
    from .config import models_dir

    folder = models_dir(args.models)
    if args.action in ("promote", "trust"):
        if not args.model_id:
            raise InputError(f"which model? `framing models {args.action} MODEL_ID`")
        if args.action == "trust":
            print(f"{artifacts.trust(folder, args.model_id)} is trusted: its file's sha256 is in {folder / artifacts.TRUSTED_FILE}")
            return 0
        print(f"{service.promote(args.model_id, folder)} is now the active model")
        return 0
    if args.action == "rollback":
        print(f"{service.rollback(folder)} is the active model again")
        return 0
    if args.action == "prune":
        result = service.prune(folder, keep=args.keep, dry_run=args.dry_run, include_history=args.include_history)
        verb = "would remove" if args.dry_run else "removed"
        size = f" ({result['bytes'] / 1e6:.1f} MB)" if result["removed"] else ""
        print(f"{verb} {len(result['removed'])} model{'s' if len(result['removed']) != 1 else ''}{size}"
              + (": " + ", ".join(result["removed"]) if result["removed"] else ""))
        for model_id, reason in result["reasons"].items():
            print(f"  kept {model_id} ({reason})")
        return 0
    models = artifacts.list_models(folder)
    if not models:
        print(f"no models in {folder}; run `framing train`")
        return 1
    try:
        active = artifacts.active_model_id(folder)
    except FramingError:
        active = None
    for m in models:
        metrics = m.get("metrics", {})
        f1 = f"macro-F1 {metrics['macro_f1']:.3f}" if "macro_f1" in metrics else "not evaluated"
        mark = "*" if m["model_id"] == active else " "
        trained = m.get("trained_on")
        extra = f"  +{trained['store_passages']} labelled" if trained else ""
        print(f"{mark} {m['model_id']}  {m['created_at']}  labels {','.join(m['labels'])}  {f1}  corpus {m.get('corpus', {}).get('sha256', '')[:12]}{extra}")
    changes = artifacts.history(folder)
    if changes:
        print("\nactive model history:")
        for h in changes:
            print(f"  {h['at']}  {h['model_id']}  ({h['reason']}" + (f", replacing {h['previous']})" if h["previous"] else ")"))
    return 0


def _labels(args) -> int:
    from . import service

    labels = service.label_store(args.store, args.corpus)
    if args.action == "add":
        record = labels.add(args.text, args.label, args.annotator, origin="command line")
        print(f"labelled {record['passage_id']} {record['label']} ({record['annotator']})")
    elif args.action == "undo":
        record = labels.undo(args.annotator)
        print(f"took back {record['label']} on {record['passage_id']}" if record else f"{args.annotator} has no label to take back")
    elif args.action == "retract":
        n = labels.retract(args.annotator, args.passage)
        print(f"took back {n} label{'s' if n != 1 else ''} of {args.annotator} on {args.passage}")
        if not n:
            return 1
    elif args.action == "import":
        n = labels.import_file(args.input, label=args.label, annotator=args.annotator, text_column=args.text_column)
        print(f"imported {n:,} labels into {labels.path} ({len(labels):,} in all)")
    elif args.action == "export":
        print(f"exported {labels.export(args.output):,} labels to {args.output}")
    elif args.action == "agreement":
        report = service.agreement(labels.path)
        if args.json:
            print(json.dumps(report, indent=2))
        else:
            print(_agreement_text(report))
    elif args.action == "queue":
        from .active import queue_sheet
        from .tables import write_table

        _format_of(args.input, None, None, "input")
        fmt = _format_of(args.output, "csv" if args.output == "-" else None, None, "queue")
        model = service.load_model(args.model, args.models)
        passages = service.read_scored(args.input)
        queue = service.label_queue(passages, model, k=args.k, strategy=args.strategy, store=labels.path, corpus=args.corpus,
                                    quota_column=args.quota_column)
        write_table(queue_sheet(queue, model.labels), args.output, fmt)
        if args.output != "-":
            print(f"{len(queue)} passages to label in {args.output}: fill in the label column, then "
                  f"`framing labels import {args.output} --annotator NAME`", file=sys.stderr)
    return 0


def _agreement_text(report: dict) -> str:
    if not report["passages"]:
        return "no passage is labelled by two or more annotators yet"
    lines = [f"Krippendorff's alpha {report['alpha']:.3f} on {report['passages']} passages labelled by two or more of "
             f"{report['annotators']} annotators" + (f" (below {report['threshold']})" if report["below_threshold"] else "")]
    lines += [f"  {label}: {alpha:.3f}" if alpha is not None else f"  {label}: -" for label, alpha in report["per_label"].items()]
    lines += [f"  language {language}: alpha {m['alpha']:.3f} on {m['passages']} passages" if m["alpha"] is not None
              else f"  language {language}: - on {m['passages']} passages" for language, m in report.get("by_language", {}).items()]
    lines += [f"  {p['a']} / {p['b']}: alpha {p['alpha']:.3f}, raw agreement {p['raw_agreement']:.0%} on {p['passages']} passages"
              for p in report["pairs"]]
    return "\n".join(lines)


def _retrain(args) -> int:
    from . import service

    result = service.retrain(args.corpus, args.models, args.store, holdout=args.holdout, folds=args.folds,
                             run_evaluation=not args.no_evaluate, promote_if_better=args.promote_if_better,
                             min_gain=args.min_gain, refuse_low_alpha=args.refuse_low_agreement,
                             progress=lambda message: print(message, file=sys.stderr))
    for warning in result["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    print(_comparison_text(result))
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


def _comparison_text(result: dict) -> str:
    lines = [f"candidate {result['candidate']} (current {result['current'] or 'none'})"]
    comparison = result["comparison"]
    if comparison:
        lines.append(f"on {comparison['held_out']} held-out new passages:")
        lines.append(f"  {'':<14}{'macro-F1':>9}{'accuracy':>9}{'ECE':>7}   " + "  ".join(f"F1 {l}" for l in comparison["labels"]))
        for name in ("current", "candidate"):
            if name in comparison:
                m = comparison[name]
                lines.append(f"  {name:<14}{m['macro_f1']:>9.3f}{m['accuracy']:>9.3f}{m['ece']:>7.3f}   "
                             + "  ".join(f"{m['per_label'][l]['f1']:.3f}".rjust(len(l) + 3) for l in comparison["labels"]))
        changed = comparison["changed"]
        if changed:
            fixed, broken = sum(c["fixed"] for c in changed), sum(c["broken"] for c in changed)
            lines.append(f"  {len(changed)} passages changed label: {fixed} now right, {broken} now wrong")
            lines += [f"    {c['id']}: {c['current']} -> {c['candidate']} (labelled {c['label']})" for c in changed[:10]]
    if result["evaluation"]:
        e = result["evaluation"]
        lines.append(f"candidate, {e['method']}: macro-F1 {e['macro_f1']:.3f}, accuracy {e['accuracy']:.3f}, ECE {e['ece']:.3f}")
    lines.append(result["decision"])
    return "\n".join(lines)


def _codebook(args) -> int:
    from .codebook import add_label, new_codebook
    from .config import corpus_dir

    if args.action == "add-label":
        codebook = add_label(corpus_dir(args.corpus) / "codebook.toml", args.name, args.definition, frame=args.frame, cues=args.cues)
        print(f"{codebook.path}: labels {', '.join(codebook.label_names)}")
    else:
        folder = Path(args.folder)
        codebook = new_codebook(folder / "codebook.toml", args.name or folder.name, args.labels, positive=args.positive,
                                negative=args.negative, source_types=args.source_types)
        passages = folder / "passages.jsonl"
        if not passages.exists():
            passages.write_text("", encoding="utf-8")
        print(f"{folder}: codebook with labels {', '.join(codebook.label_names)}; add passages to passages.jsonl or "
              f"labels with `framing labels import ... --corpus {folder}`")
    return 0


def _dashboard(args) -> int:
    import subprocess

    from . import service

    _check_port_free(args.port)
    model_id, trained = service.ensure_model(args.models, args.corpus)
    print(("trained model " if trained else "using model ") + model_id, file=sys.stderr)
    env = dict(os.environ)
    if args.models:
        env["FRAMING_MODELS_DIR"] = str(Path(args.models).resolve())
    if args.corpus:
        env["FRAMING_CORPUS_DIR"] = str(Path(args.corpus).resolve())
    if args.data:
        if not Path(args.data).is_file():
            raise InputError("no such file", path=args.data)
        env["FRAMING_DASHBOARD_DATA"] = str(Path(args.data).resolve())
    script = Path(__file__).resolve().parent / "ui" / "dashboard.py"  # inside the package: runs installed too
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(args.port),
               "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal"]
    if args.headless:
        command += ["--server.headless", "true"]
    return subprocess.call(command, env=env)


def _check_port_free(port: int) -> None:
    """Refuse a port another program listens on, before anything is trained or started."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as Streamlit's server does
        try:
            probe.bind(("", port))
        except PermissionError:
            raise InputError(f"port {port} may not be opened by this user; choose another with --port N, "
                             "e.g. --port 8502") from None
        except OSError:
            raise InputError(f"port {port} is in use (another dashboard?); choose another with --port N, "
                             f"e.g. --port {port + 1 if port < 65535 else 8502}") from None


_COMMANDS = {
    "validate": _validate,
    "train": _train,
    "evaluate": _evaluate,
    "score": _score,
    "predict": _predict,
    "compare": _compare,
    "ingest": _ingest,
    "models": _models,
    "labels": _labels,
    "retrain": _retrain,
    "codebook": _codebook,
    "dashboard": _dashboard,
}


def _refuse_overwriting_inputs(args) -> None:
    """An output file that is one of the command's input files would destroy what it reads: refuse before starting."""
    output = getattr(args, "output", None)
    if not output or output == "-" or not os.path.exists(output):
        return
    given = getattr(args, "inputs", None) or [getattr(args, "input", None)]
    for source in given:
        if (source and source != "-" and os.path.exists(source) and not os.path.isdir(source)
                and os.path.samefile(source, output)):
            raise InputError(f"the output would overwrite the input {source}; choose another output file", path=output)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (errors are printed, not raised)."""
    args = build_parser().parse_args(argv)
    try:
        _refuse_overwriting_inputs(args)
        return _COMMANDS[args.command](args)
    except FramingError as exc:
        _say(f"framing {args.command}: error: {exc}")
        return 2
    except BrokenPipeError:
        return 0
    except OSError as exc:  # disk full, a folder where a file should be, no permission: the cause and the file
        where = f": {exc.filename}" if exc.filename else ""
        _say(f"framing {args.command}: error: {exc.strerror or exc}{where}")
        return 2
    except Exception as exc:  # anything else is one line too; FRAMING_DEBUG=1 shows the traceback
        if os.environ.get("FRAMING_DEBUG"):
            raise
        _say(f"framing {args.command}: error: {type(exc).__name__}: {exc} (set FRAMING_DEBUG=1 for the details)")
        return 2
    finally:
        stop_workers()


def stop_workers() -> None:
    """Stop the worker processes joblib keeps for reuse, so none outlives the command that started them."""
    reusable = sys.modules.get("joblib.externals.loky.reusable_executor")
    executor = getattr(reusable, "_executor", None)
    if executor is not None:
        executor.shutdown(wait=True, kill_workers=True)


def _say(message: str) -> None:
    """Print a message on standard error, whatever bytes it holds (a file name that is not UTF-8, say)."""
    text = message.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    print(text.replace("\n", " ").strip(), file=sys.stderr)


def main_cli() -> None:  # pragma: no cover - the console-script entry point
    sys.exit(main())
