"""Scored passages with a known answer: articles whose passages lean the same way, in groups with set frame shares.

Every article draws its own frame distribution around its group's shares (a Dirichlet
with concentration ``(1 - icc) / icc``, so two passages of one article share their frame
with intra-class correlation ``icc``); each passage draws its frame from its article and gets
calibrated-looking probabilities whose population mean is known exactly:
``E[p] = sharpness × shares + (1 - sharpness) / K``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LABELS = ["hype", "routine", "neutral"]


def expected_probability(shares, sharpness: float = 0.7) -> np.ndarray:
    shares = np.asarray(shares, dtype=float)
    return sharpness * shares + (1 - sharpness) / len(shares)


def clustered_passages(
    rng: np.random.Generator,
    shares: dict[str, list[float]],
    *,
    articles: int = 20,
    mean_size: float = 6.0,
    icc: float = 0.15,
    sharpness: float = 0.7,
    stories: int = 0,
    mixed: float = 0.0,
) -> pd.DataFrame:
    """A scored table: ``articles`` articles per group, of 1 + Poisson(mean_size - 1) passages each.

    With ``stories`` > 0 each article covers one of that many stories, whose words differ
    (and do not depend on the group); ``mixed`` is the chance that a passage quotes a
    group drawn at random instead of its article's own, so groups also vary within articles.
    """
    names = list(shares)
    concentration = (1 - icc) / icc
    eye = np.eye(len(LABELS))
    rows = []
    for name in names:
        for a in range(articles):
            size = 1 + rng.poisson(mean_size - 1)
            story = int(rng.integers(stories)) if stories else 0
            leaning: dict[str, np.ndarray] = {}  # this article's frame distribution for each group it quotes
            for i in range(size):
                group = names[int(rng.integers(len(names)))] if mixed and rng.random() < mixed else name
                if group not in leaning:
                    leaning[group] = rng.dirichlet(concentration * np.asarray(shares[group], dtype=float) + 1e-9)
                k = int(rng.choice(len(LABELS), p=leaning[group]))
                p = sharpness * eye[k] + (1 - sharpness) * rng.dirichlet(np.ones(len(LABELS)))
                words = [_word("story", story, w) for w in rng.integers(0, 8, size=6)]
                words += [_word("common", 0, w) for w in rng.integers(0, 40, size=6)]
                rows.append({"id": f"{name}-{a}-{i}", "article": f"{name}-{a}", "source_type": group, "story": f"s{story}",
                             "text": " ".join(words), "label": LABELS[int(np.argmax(p))], "status": "ok",
                             **{f"p_{l}": v for l, v in zip(LABELS, p)}, "hype_index": p[0] - p[1]})
    return pd.DataFrame(rows)


def _word(stem: str, story: int, number: int) -> str:
    """A letters-only word for a story and a number ("storybc")."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return f"{stem}{letters[story % 26]}{letters[number // 26]}{letters[number % 26]}"
