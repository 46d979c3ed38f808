"""The ``framing`` command line: parse arguments, call one service function, print the result."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import FramingError

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="framing", description="Measure how tabloids, officials, experts and the media frame the same story."
    )
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

    p = sub.add_parser("evaluate", help="leave-one-story-out evaluation against the baselines")
    paths(p, models=False)
    p.add_argument("--json", dest="json_path", help="write the report as JSON here")
    p.add_argument("--markdown", dest="markdown_path", help="write the report as Markdown here")
    p.add_argument("--predictions", help="write the out-of-story predictions (CSV/JSONL/Parquet) here")

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
    p.add_argument("--max-chars", type=int, default=None, help="longest passage scored (longer rows get an error status)")
    p.add_argument("-j", "--jobs", type=int, default=-1, help="worker processes (default -1: all cores)")
    p.add_argument("--chunk-size", type=int, default=10_000, help="rows per chunk (default 10000)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run from its last finished chunk")
    p.add_argument("--engine", choices=["local", "dask"], default="local", help="local processes, or a Dask cluster")
    p.add_argument("--scheduler", help="address of a Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a local cluster)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")

    p = sub.add_parser("compare", help="compare source types (or other groups) of a scored file: shares, tests, terms, claims")
    p.add_argument("input", help="a scored file (from framing score)")
    p.add_argument("-o", "--output", required=True, help="report file: .html, .md or .json")
    p.add_argument("--group", default="source_type", help="column to compare by (default: source_type; also outlet, story, speaker, ...; or week, month, quarter, year from the date column)")
    p.add_argument("--cluster", help="column of the unit passages share: the bootstrap resamples whole units (default: article_id, article or url when present)")
    p.add_argument("--boot", type=int, default=1000, help="bootstrap resamples (default 1000)")
    p.add_argument("--min-n", type=int, default=10, help="groups with fewer passages are reported as too small")
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
    p.add_argument("-q", "--quiet", action="store_true", help="no summary")

    p = sub.add_parser("predict", help="score one or more passages given on the command line")
    paths(p, corpus=False)
    p.add_argument("texts", nargs="+", metavar="TEXT")
    p.add_argument("--model", help="model id (default: the active model)")
    p.add_argument("--explain", type=int, default=5, metavar="K", help="terms to show per passage (default 5)")
    p.add_argument("--json", action="store_true", help="print JSON lines")

    p = sub.add_parser("models", help="list trained models and show which is active")
    paths(p, corpus=False)

    p = sub.add_parser("dashboard", help="start the Streamlit dashboard (training a model first if none is usable)")
    paths(p)
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--headless", action="store_true", help="do not open a browser")
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
        args.corpus, args.models, config, run_evaluation=not args.no_evaluate, activate=not args.no_activate
    )
    print(f"model {model_id} saved" + ("" if args.no_activate else " and active"))
    if report:
        m, k = report["model"], report["baselines"]["keyword_lexicon"]
        print(f"leave-one-story-out macro-F1 {m['macro_f1']:.3f} (keyword lexicon {k['macro_f1']:.3f}), ECE {m['ece']:.3f}")
    return 0


def _evaluate(args) -> int:
    from . import service
    from .evaluation import report_to_markdown
    from .tables import write_table

    report, predictions = service.evaluate(args.corpus)
    markdown = report_to_markdown(report)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if args.markdown_path:
        Path(args.markdown_path).write_text(markdown, encoding="utf-8")
    if args.predictions:
        write_table(predictions, args.predictions)
    print(markdown)
    return 0


def _names(value: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in value.split(",") if name.strip())


def _score(args) -> int:
    from . import service

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
    input_format = args.input_format or ("jsonl" if args.input == "-" else None)
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

    result = service.compare_file(args.input, args.output, group=args.group, cluster=args.cluster, n_boot=args.boot,
                                  min_n=args.min_n, input_format=args.input_format)
    for sentence in result["summary"]:
        print(sentence)
    print(f"report written to {args.output}", file=sys.stderr)
    return 0


def _ingest(args) -> int:
    from collections import Counter

    from . import service
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
    return 0


def _predict(args) -> int:
    from . import service

    model = service.load_model(args.model, args.models)
    frame = service.predict(args.texts, model, explain=args.explain)
    for text, row in zip(args.texts, frame.to_dict("records")):
        probabilities = {l: round(float(row[f"p_{l}"]), 4) for l in model.labels}
        if args.json:
            record = {"text": text, "label": row["label"], **{f"p_{l}": p for l, p in probabilities.items()},
                      model.index_name: round(float(row[model.index_name]), 4), "model_id": model.model_id}
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
    from . import artifacts
    from .config import models_dir

    folder = models_dir(args.models)
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
        print(f"{mark} {m['model_id']}  {m['created_at']}  labels {','.join(m['labels'])}  {f1}  corpus {m.get('corpus', {}).get('sha256', '')[:12]}")
    return 0


def _dashboard(args) -> int:
    import os
    import subprocess

    from . import service
    from .config import PROJECT_ROOT

    model_id, trained = service.ensure_model(args.models, args.corpus)
    print(("trained model " if trained else "using model ") + model_id, file=sys.stderr)
    env = dict(os.environ)
    if args.models:
        env["FRAMING_MODELS_DIR"] = str(Path(args.models).resolve())
    if args.corpus:
        env["FRAMING_CORPUS_DIR"] = str(Path(args.corpus).resolve())
    command = [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app.py"), "--server.port", str(args.port),
               "--browser.gatherUsageStats", "false"]
    if args.headless:
        command += ["--server.headless", "true"]
    return subprocess.call(command, env=env)


_COMMANDS = {
    "validate": _validate,
    "train": _train,
    "evaluate": _evaluate,
    "score": _score,
    "predict": _predict,
    "compare": _compare,
    "ingest": _ingest,
    "models": _models,
    "dashboard": _dashboard,
}


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (errors are printed, not raised)."""
    args = build_parser().parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except FramingError as exc:
        print(f"framing {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


def main_cli() -> None:  # pragma: no cover - the console-script entry point
    sys.exit(main())
