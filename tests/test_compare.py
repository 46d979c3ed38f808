import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from framing.compare import (
    distinctive_terms,
    frame_shares,
    holm,
    keyword_in_context,
    label_association,
    log_odds_dirichlet,
    pairwise_shares,
    term_counts,
)

LABELS = ["hype", "routine", "neutral"]


def scored_table(rng, groups, n, probs, clusters=None):
    rows = []
    for group, p in zip(groups, probs):
        for i in range(n):
            proba = rng.dirichlet(np.asarray(p) * 5 + 0.1)
            rows.append({"source_type": group, "label": LABELS[int(np.argmax(proba))], "article": f"{group}-{i // (clusters or 1)}",
                         **{f"p_{l}": v for l, v in zip(LABELS, proba)}, "hype_index": proba[0] - proba[1]})
    return pd.DataFrame(rows)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(12, 60))
def test_shares_sum_to_one_and_intervals_hold_the_estimate(seed, n):
    rng = np.random.default_rng(seed)
    table = scored_table(rng, ["tabloid", "expert"], n, [[3, 1, 1], [1, 3, 1]])
    shares = frame_shares(table, LABELS, n_boot=200, index="hype_index", seed=seed)
    for _, part in shares.groupby("source_type"):
        assert part["share"].sum() == pytest.approx(1)
        assert part["hard_share"].sum() == pytest.approx(1)
    assert (shares["low"] <= shares["share"]).all() and (shares["share"] <= shares["high"]).all()
    assert (shares["hard_low"] <= shares["hard_share"]).all() and (shares["hard_share"] <= shares["hard_high"]).all()
    assert (shares["index_low"] <= shares["index_mean"]).all() and (shares["index_mean"] <= shares["index_high"]).all()


def test_intervals_narrow_as_data_grows():
    rng = np.random.default_rng(1)
    widths = []
    for n in (30, 300, 3000):
        shares = frame_shares(scored_table(rng, ["tabloid"], n, [[3, 1, 1]]), LABELS, n_boot=300)
        row = shares[shares["label"] == "hype"].iloc[0]
        widths.append(row["high"] - row["low"])
    assert widths[0] > widths[1] > widths[2]


def test_cluster_bootstrap_is_wider_when_passages_of_an_article_agree():
    rng = np.random.default_rng(2)
    rows = []
    for article in range(40):  # every passage of an article shares its frame
        proba = rng.dirichlet([2, 2, 2])
        for _ in range(10):
            rows.append({"source_type": "media", "article": article, "label": LABELS[int(np.argmax(proba))],
                         **{f"p_{l}": v for l, v in zip(LABELS, proba)}})
    table = pd.DataFrame(rows)
    naive = frame_shares(table, LABELS, n_boot=500).set_index("label")
    clustered = frame_shares(table, LABELS, cluster="article", n_boot=500).set_index("label")
    for label in LABELS:
        assert clustered.loc[label, "high"] - clustered.loc[label, "low"] > 1.5 * (naive.loc[label, "high"] - naive.loc[label, "low"])
    assert clustered.loc["hype", "clusters"] == 40


def test_small_groups_are_marked_and_left_out_of_tests():
    rng = np.random.default_rng(3)
    table = pd.concat([scored_table(rng, ["tabloid", "expert"], 40, [[3, 1, 1], [1, 3, 1]]),
                       scored_table(rng, ["media"], 4, [[1, 1, 3]])])
    assert frame_shares(table, LABELS, n_boot=50).query("source_type == 'media'")["too_small"].all()
    association = label_association(table, LABELS)
    assert association["too_small"] == ["media"] and association["groups"] == ["expert", "tabloid"]
    assert association["p_value"] < 0.001 and 0 < association["cramers_v"] <= 1
    assert set(pairwise_shares(table, "hype")[["a", "b"]].values.ravel()) == {"expert", "tabloid"}


def test_identical_groups_are_rarely_called_different():
    rng = np.random.default_rng(4)
    rejections = 0
    runs = 200
    for _ in range(runs):
        labels = rng.choice(LABELS, size=120, p=[0.4, 0.35, 0.25])
        table = pd.DataFrame({"source_type": np.repeat(["a", "b"], 60), "label": labels})
        rejections += label_association(table, LABELS)["p_value"] < 0.05
    assert rejections / runs <= 0.05 + 2 * np.sqrt(0.05 * 0.95 / runs)


def test_holm_on_a_hand_computed_example():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 50), min_size=3, max_size=12), st.lists(st.integers(0, 50), min_size=3, max_size=12))
def test_swapping_two_groups_flips_the_log_odds(a, b):
    size = min(len(a), len(b))
    a, b = np.array(a[:size]) + 1, np.array(b[:size]) + 1
    prior = (a + b) / (a + b).sum() * 100
    delta_ab, z_ab = log_odds_dirichlet(a, b, prior)
    delta_ba, z_ba = log_odds_dirichlet(b, a, prior)
    assert np.allclose(delta_ab, -delta_ba) and np.allclose(z_ab, -z_ba)


def test_distinctive_terms_for_three_groups_with_keywords_in_context():
    texts = ["a mighty alliance shakes the region"] * 8 + ["a standard plan of routine exercises"] * 8 + ["signed on monday in the capital"] * 8
    groups = ["tabloid"] * 8 + ["expert"] * 8 + ["media"] * 8
    terms = distinctive_terms(texts, groups, top=3)
    assert set(terms["group"]) == {"tabloid", "expert", "media"}
    top = terms.groupby("group")["term"].first()
    assert top["tabloid"] in {"mighty", "alliance", "shakes", "region"}
    assert top["expert"] in {"standard", "plan", "routine", "exercises"}
    assert terms.query("group == 'tabloid'")["significant"].all()
    assert keyword_in_context(texts, "mighty", width=5, limit=2) == ["a mighty alli…"] * 2


def test_large_groups_get_the_bootstraps_normal_limit():
    rng = np.random.default_rng(5)
    table = scored_table(rng, ["tabloid"], 6000, [[3, 1, 1]], clusters=3)
    boot = frame_shares(table, LABELS, cluster="article", index="hype_index", n_boot=2000, max_boot_units=10_000)
    normal = frame_shares(table, LABELS, cluster="article", index="hype_index", max_boot_units=1000)
    assert set(boot["interval"]) == {"bootstrap"} and set(normal["interval"]) == {"normal"}
    for column in ("low", "high", "hard_low", "hard_high", "index_low", "index_high"):
        assert np.allclose(boot[column], normal[column], atol=0.004), column
    assert (normal["share"] == boot["share"]).all()


def test_term_counts_count_words_row_by_row():
    texts = ["The MIGHTY alliance, the mighty bloc!", "", "Vučić's plan: 'tis well-known", "x\x00y alliance"]
    matrix, vocabulary = term_counts(texts)
    assert list(vocabulary) == sorted(vocabulary) and "the" not in vocabulary
    counts = [dict(zip(vocabulary[row.indices], row.data.tolist())) for row in matrix]
    assert counts == [{"mighty": 2, "alliance": 1, "bloc": 1}, {}, {"plan": 1, "tis": 1}, {"alliance": 1}]
    sliced = distinctive_terms(texts[:2], ["a", "b"], min_count=1, counts=(matrix[:2], vocabulary))
    assert sliced.equals(distinctive_terms(texts[:2], ["a", "b"], min_count=1))
