"""The trained model coder: learns what is learnable, claims nothing on noise, reproducible from its seed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import workbench as wb
from workbench.assist._data import training_data
from workbench.assist._synthetic import CODEBOOK, synthetic_coders, synthetic_corpus

CODES = CODEBOOK.names


@pytest.fixture(scope="module")
def corpus():
    return synthetic_corpus(300, seed=3)


@pytest.fixture(scope="module")
def model(corpus):
    units, gold = corpus
    return wb.assist.train(units, on="gold", codings=gold, codebook=CODEBOOK, seed=0)


def _shuffled(units, gold, seed):
    ids = units["unit_id"].to_numpy()
    perm = dict(zip(ids, np.random.default_rng(seed).permutation(ids)))
    return gold.assign(unit_id=gold["unit_id"].map(perm))


def test_separable_corpus_is_learnt_per_code(model):
    table = model.evaluate(k=5)
    assert table["code"].tolist() == CODES
    assert list(table.columns) == wb.assist.EVALUATION_COLUMNS
    assert (table["f1"] >= 0.9).all(), table[["code", "f1"]]
    assert table["offered"].all()
    assert (table["f1"] > table["baseline_f1"]).all()
    assert (table["n"] == 300).all() and (table["k"] == 5).all()
    # support is the number of evaluated units with the code
    units, gold = synthetic_corpus(300, seed=3)
    counts = gold["code"].value_counts()
    assert table.set_index("code")["support"].to_dict() == {c: int(counts[c]) for c in CODES}


@pytest.mark.parametrize("shuffle_seed", [1, 2])
def test_shuffled_labels_do_not_beat_the_baseline(corpus, shuffle_seed):
    units, gold = corpus
    shuffled = wb.assist.train(units, on="gold", codings=_shuffled(units, gold, shuffle_seed), codebook=CODEBOOK)
    table = shuffled.evaluate(k=5)
    assert not table["offered"].any(), table[["code", "f1", "baseline_f1", "p_beats"]]
    assert (table["p_beats"] < 0.95).all()
    assert table["note"].str.contains("baseline").all()
    # a model that offers nothing applies nothing
    assert shuffled.predict(units["text"].head(20)) == [[] for _ in range(20)]


def test_the_baseline_is_the_best_text_blind_rule():
    # one code on 3 of 10 units: "always" gives F1 = 2p / (1 + p) = 0.4615; majority (never) gives 0
    cb = wb.Codebook.from_dict({"name": "one", "codes": [{"name": "x", "label": "X", "definition": "."}]})
    units = pd.DataFrame({"unit_id": [f"u{i}" for i in range(10)], "text": [f"text {i}" for i in range(10)]})
    gold = pd.DataFrame({"unit_id": units["unit_id"], "code": ["x"] * 3 + [None] * 7})
    table = wb.assist.train(units, on="gold", codings=gold, codebook=cb).evaluate(k=3)
    row = table.iloc[0]
    assert row["baseline"] in ("always", "stratified")
    assert row["baseline_f1"] >= 2 * 0.3 / 1.3 - 1e-9


def test_training_is_reproducible_from_the_seed(corpus, model):
    units, gold = corpus
    again = wb.assist.train(units, on="gold", codings=gold, codebook=CODEBOOK, seed=0)
    assert again.name == model.name and again.name.startswith("model:logreg-tfidf@")
    texts = units["text"].head(50)
    pd.testing.assert_frame_equal(again.probabilities(texts), model.probabilities(texts))
    pd.testing.assert_frame_equal(again.evaluate(), model.evaluate())
    other_seed = wb.assist.train(units, on="gold", codings=gold, codebook=CODEBOOK, seed=1)
    assert other_seed.name != model.name
    other_data = wb.assist.train(units, on="gold", codings=gold.iloc[:-1], codebook=CODEBOOK, seed=0)
    assert other_data.name != model.name
    other_setting = wb.assist.train(units, on="gold", codings=gold, codebook=CODEBOOK, seed=0, C=2.0)
    assert other_setting.name != model.name


def test_card_records_what_reproduces_the_model(model):
    card = model.card()
    assert card["name"] == model.name and card["kind"] == "logreg-tfidf" and card["seed"] == 0
    assert card["settings"]["C"] == wb.assist.SETTINGS["C"]
    assert card["source"] == "gold" and len(card["trained_on"]) == 300
    assert card["examples"]["group:stance"] == {
        c: int(n) for c, n in sorted(model.data.labels["group:stance"].value_counts().items())
    }
    import json

    json.dumps(card)  # storable as it is


def test_predict_gives_one_stance_and_moves_in_codebook_order(model, corpus):
    units, gold = corpus
    predicted = model.predict(units["text"])
    truth = gold.groupby("unit_id")["code"].agg(lambda s: sorted(s, key=CODES.index))
    stances = {c.name for c in CODEBOOK.codes_in("stance")}
    assert all(sum(c in stances for c in p) == 1 for p in predicted)
    hits = sum(p == truth[u] for p, u in zip(predicted, units["unit_id"]))
    assert hits / len(units) > 0.95  # training fit; the honest figure is evaluate()
    probs = model.probabilities(units["text"].head(5))
    stance_cols = [c.name for c in CODEBOOK.codes_in("stance")]
    assert (probs[stance_cols].sum(axis=1) <= 1 + 1e-9).all()


def test_training_from_agreed_units_and_from_one_coder(corpus):
    units, gold = corpus
    codings = synthetic_coders(gold, {"ann": 0.1, "ben": 0.2}, seed=5)
    agreed = wb.assist.train(units, on="agreed", codings=codings, codebook=CODEBOOK)
    data = training_data(units, codings, CODEBOOK, "agreed")
    # a unit teaches the stance only where both coders chose the same stance
    sets = codings.groupby(["unit_id", "coder"])["code"].agg(frozenset).unstack()
    stances = [c.name for c in CODEBOOK.codes_in("stance")]
    same = {u for u, row in sets.iterrows()
            if [c for c in row["ann"] if c in stances] == [c for c in row["ben"] if c in stances]}
    assert set(data.labels["group:stance"].index) == same
    assert agreed.evaluate()["offered"].all()
    one = wb.assist.train(units, on="ann", codings=codings, codebook=CODEBOOK)
    assert one.data.source == "coder:ann" and len(one.trained_on) == 300
    assert one.name != agreed.name


def test_bad_input_says_what_would_be_valid(corpus):
    units, gold = corpus
    with pytest.raises(ValueError, match="unknown setting"):
        wb.assist.train(units, on="gold", codings=gold, codebook=CODEBOOK, learning_rate=1)
    with pytest.raises(ValueError, match="codings="):
        wb.assist.train(units, on="gold")
    with pytest.raises(ValueError, match="one of the coders"):
        wb.assist.train(units, on="carol", codings=synthetic_coders(gold, {"ann": 0}), codebook=CODEBOOK)
    with pytest.raises(ValueError, match="threshold"):
        wb.assist.train(units, on="gold", codings=gold, codebook=CODEBOOK, threshold=1.5)
    with pytest.raises(TypeError, match="seed"):
        wb.assist.train(units, on="gold", codings=gold, codebook=CODEBOOK, seed="0")
    model = wb.assist.train(units.head(30), on="gold", codings=gold, codebook=CODEBOOK)
    with pytest.raises(ValueError, match="at least 2"):
        model.evaluate(k=1)


def test_a_code_rarer_than_the_folds_says_so():
    cb = wb.Codebook.from_dict({"name": "one", "codes": [{"name": "x", "label": "X", "definition": "."}]})
    units = pd.DataFrame({"unit_id": [f"u{i}" for i in range(8)], "text": [f"text {i}" for i in range(8)]})
    gold = pd.DataFrame({"unit_id": units["unit_id"], "code": ["x"] + [None] * 7})
    row = wb.assist.train(units, on="gold", codings=gold, codebook=cb).evaluate().iloc[0]
    # the one unit with the code is in one test fold, and no training fold has it: F1 is 0, honestly
    assert not row["offered"] and row["f1"] == 0 and row["k"] == 5
    assert "only 1 unit(s) with this code, fewer than the 5 folds" in row["note"]
    nobody = pd.DataFrame({"unit_id": units["unit_id"], "code": [None] * 8})
    row = wb.assist.train(units, on="gold", codings=nobody, codebook=cb).evaluate().iloc[0]
    assert not row["offered"] and "only one label" in row["note"]


def test_suggestions_and_uncertainty_order(model, corpus):
    units, _ = corpus
    new = units.head(10)
    table = wb.assist.suggest(model, new)
    assert list(table.columns) == wb.assist.SUGGESTION_COLUMNS
    assert len(table) == 10 * len(CODES)
    assert table["unit_id"].tolist()[: len(CODES)] == [new["unit_id"].iloc[0]] * len(CODES)
    chosen = table[table["suggested"]].groupby("unit_id", sort=False)["code"].agg(list)
    assert chosen.reindex(new["unit_id"]).tolist() == model.predict(new["text"])
    # the most uncertain first: one minus the smallest margin of the unit's decisions
    sample = units.iloc[:30]
    order = wb.assist.uncertainty_order(model, sample)
    probs = model.probabilities(sample["text"]).set_index(sample["unit_id"])
    stance = [c.name for c in CODEBOOK.codes_in("stance")]
    p = probs[stance].to_numpy()
    top = np.sort(np.column_stack([p, 1 - p.sum(axis=1)]), axis=1)[:, ::-1]
    margins = np.column_stack([top[:, 0] - top[:, 1]] + [np.abs(2 * probs[c].to_numpy() - 1)
                                                         for c in ("gratitude", "shared-experience")])
    expected = pd.Series(1 - margins.min(axis=1), index=sample["unit_id"])
    assert np.allclose(order.set_index("unit_id")["uncertainty"].reindex(expected.index), expected)
    assert order["uncertainty"].is_monotonic_decreasing and order["rank"].tolist() == list(range(1, 31))
    # a text with the markers of every stance is less sure of its stance than a training text
    mixed = pd.Series({"mixed": "sorry awful colleagues profession funding budget", "plain": sample["text"].iloc[0]})
    both = wb.assist.uncertainty_order(model, mixed).set_index("unit_id")
    mixed_p = model.probabilities(mixed)[stance].to_numpy()
    assert np.sort(mixed_p[0])[-1] < np.sort(mixed_p[1])[-1]
    assert set(both.index) == {"mixed", "plain"}
    with pytest.raises(TypeError, match="units table"):
        wb.assist.suggest(model, ["a list"])
