"""Retraining on real data with a label set the tool has never seen: 32,000 news headlines, clickbait or not.

The data are Chakraborty et al.'s headlines (ASONAM 2016, MIT licence; their paper reports
93% accuracy), one file of 16,000 clickbait headlines and one of 16,000 others. Only the
tool's own commands are used, as a user would:

    framing codebook init WORK/headlines --labels clickbait,news
    framing labels import clickbait_data.gz --label clickbait --corpus WORK/headlines
    framing labels import non_clickbait_data.gz --label news --corpus WORK/headlines
    framing retrain --corpus WORK/headlines --models WORK/models --folds 5

and the candidate's 5-fold cross-validated accuracy is printed beside a plain TF-IDF +
logistic regression's on the same folds, with the time each took.

    python benchmarks/clickbait.py [--data ../shared/data/clickbait-chakraborty2016]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path


def main() -> None:
    from framing.config import PROJECT_ROOT

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(PROJECT_ROOT.parent / "shared" / "data" / "clickbait-chakraborty2016"))
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()

    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline

    from framing.cli import main as framing
    from framing.config import TrainingConfig
    from framing.store import LabelStore

    data = Path(args.data)
    work = Path(tempfile.mkdtemp(prefix="framing-clickbait-"))
    try:
        corpus, models = work / "headlines", work / "models"
        start = time.perf_counter()
        assert framing(["codebook", "init", str(corpus), "--labels", "clickbait,news"]) == 0
        for name, label in (("clickbait_data.gz", "clickbait"), ("non_clickbait_data.gz", "news")):
            assert framing(["labels", "import", str(data / name), "--label", label, "--annotator", "chakraborty2016",
                            "--corpus", str(corpus)]) == 0
        imported = time.perf_counter() - start
        start = time.perf_counter()
        assert framing(["retrain", "--corpus", str(corpus), "--models", str(models), "--folds", str(args.folds),
                        "--json", str(work / "retrain.json")]) == 0
        retrained = time.perf_counter() - start
        result = json.loads((work / "retrain.json").read_text())
        evaluation = result["evaluation"]

        records = LabelStore(corpus / "labels.db").records()
        texts, labels = records["text"].tolist(), records["label"].to_numpy(dtype=object)
        start = time.perf_counter()
        plain = cross_val_score(make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000)), texts, labels,
                                cv=StratifiedKFold(args.folds, shuffle=True, random_state=TrainingConfig().seed), n_jobs=-1)
        plain_seconds = time.perf_counter() - start

        print(f"\n{len(records):,} headlines: {int((labels == 'clickbait').sum()):,} clickbait, {int((labels == 'news').sum()):,} news\n")
        print(f"{'':<44}{'accuracy':>9}{'macro-F1':>9}{'seconds':>9}")
        print(f"{'framing retrain, ' + evaluation['method']:<44}{evaluation['accuracy']:>9.4f}{evaluation['macro_f1']:>9.4f}{retrained:>9.1f}")
        print(f"{'plain TF-IDF + logistic regression, same folds':<44}{np.mean(plain):>9.4f}{'':>9}{plain_seconds:>9.1f}")
        print(f"\nimport of both files: {imported:.1f} s; target accuracy 0.97, ratio {evaluation['accuracy'] / 0.97:.3f}; "
              f"calibration error {evaluation['ece']:.3f}")
        (Path(__file__).with_name("clickbait.json")).write_text(json.dumps({
            "headlines": len(records), "method": evaluation["method"], "accuracy": evaluation["accuracy"],
            "macro_f1": evaluation["macro_f1"], "ece": evaluation["ece"], "retrain_seconds": round(retrained, 1),
            "import_seconds": round(imported, 1), "plain_tfidf_lr_accuracy": round(float(np.mean(plain)), 4),
        }, indent=2) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
