"""Benchmark the trained model coder (run by hand, not a test).

    .venv/bin/python benchmarks/bench_assist.py            # 10,000 synthetic units, and the example threads
    .venv/bin/python benchmarks/bench_assist.py --quick    # 2,000 units, for a smoke run

1. Speed on 10,000 synthetic units (5 codes: an exclusive group of 3 and 2 multi-label
   codes, 20% of the units labelled at random): training time, cross-validation time
   (``evaluate(k=5)``), suggestions per second and the uncertainty order, beside a peer:
   scikit-learn's usual text pipeline (``TfidfVectorizer`` word 1-2-grams + char_wb 2-5-grams
   with a fitted vocabulary, the same logistic regressions), printed as ratios ours / peer.
2. Quality on the example threads after a pilot: two scripted coders (the codebook's keyword
   patterns, each with its own share of slips, as in notebooks/02_reliability.ipynb) code
   every reply, a scripted supervisor adjudicates (agreed codes stand; a disagreement goes to
   the more careful coder), the model is trained on the gold set and evaluated by 5-fold
   cross-validation. Per code: the model's F1 and its text-blind baseline beside the human
   coders' alpha on the same units.
"""

from __future__ import annotations

import argparse
import os
import random
import time
import warnings
from pathlib import Path

import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

import workbench as wb
from workbench.assist._synthetic import CODEBOOK, synthetic_corpus
from workbench.assist.classifier import SETTINGS

ROOT = Path(__file__).resolve().parent.parent


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def peer_fit_predict(units: pd.DataFrame, model) -> tuple[float, float]:
    """The usual pipeline: fitted-vocabulary TF-IDF and the same classifiers, on the same labels."""
    texts = units.set_index("unit_id")["text"]

    def fit():
        features = FeatureUnion([
            ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b")),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ])
        X = features.fit_transform(texts.loc[model.data.texts.index])
        fitted = []
        for t in model.targets:
            y = model.data.labels[t.name]
            clf = LogisticRegression(C=SETTINGS["C"], class_weight="balanced", max_iter=SETTINGS["max_iter"],
                                     solver="newton-cg" if t.exclusive else "liblinear", random_state=0)
            rows = model.data.texts.index.get_indexer(y.index)
            fitted.append(clf.fit(X[rows], y.to_numpy()))
        return features, fitted

    fit_time, (features, fitted) = timed(fit)

    def predict():
        X = features.transform(texts)
        return [clf.predict_proba(X) for clf in fitted]

    predict_time, _ = timed(predict)
    return fit_time, predict_time


def speed(n: int) -> None:
    units, gold = synthetic_corpus(n, seed=0, noise=0.2)
    print(f"\n1. Speed: {n:,} synthetic units, {len(CODEBOOK.names)} codes, {os.cpu_count()} CPU(s)")
    train_time, model = timed(lambda: wb.assist.train(units, on="gold", codings=gold, codebook=CODEBOOK, seed=0))
    eval_time, table = timed(lambda: model.evaluate(k=5))
    suggest_time, suggestions = timed(lambda: wb.assist.suggest(model, units))
    order_time, _ = timed(lambda: wb.assist.uncertainty_order(model, units))
    peer_fit, peer_predict = peer_fit_predict(units, model)
    rows = [
        ("train (fit on all units)", train_time, peer_fit),
        ("evaluate(k=5) (5 fits per target + baselines)", eval_time, float("nan")),
        (f"suggest ({n:,} units x {len(CODEBOOK.names)} codes)", suggest_time, peer_predict),
        ("uncertainty_order", order_time, float("nan")),
    ]
    print(f"{'step':48} {'ours (s)':>9} {'peer (s)':>9} {'ours/peer':>9}")
    for label, ours, peer in rows:
        print(f"{label:48} {ours:9.2f} {peer:9.2f} {ours / peer if peer == peer else float('nan'):9.2f}")
    print(f"suggestions per second: {n / suggest_time:,.0f} units ({n * len(CODEBOOK.names) / suggest_time:,.0f} "
          "unit-code probabilities)")
    print("cross-validated F1 (20% of units labelled at random, so at most about .85):")
    print(table[["code", "f1", "baseline_f1", "offered"]].round(3).to_string(index=False))
    assert len(suggestions) == n * len(CODEBOOK.names)


def keyword_codes(codebook: wb.Codebook, text: str) -> list[str]:
    low = text.lower()
    hits = [c.name for c in codebook.codes if any(isinstance(p, str) and p.lower() in low for p in c.patterns)]
    stance = next((h for h in hits if codebook[h].group == "stance"), "validating")
    return [stance] + [h for h in hits if codebook[h].group != "stance"]


def examples_pilot(tmp: Path) -> None:
    print("\n2. The example threads: a pilot coded by two scripted coders, adjudicated, then the model")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = pd.concat([wb.load_threads(p) for p in sorted((ROOT / "data" / "examples").glob("*.txt"))],
                        ignore_index=True)
        key = wb.PseudonymKey()
        units = wb.redact(wb.pseudonymise(raw, key).units, ["url", "email", "phone"]).units
    project = wb.open_project(tmp / "examples.db")
    project.add_units(units)
    codebook = wb.Codebook.from_yaml(ROOT / "codebooks" / "response-types.yaml")
    project.add_codebook(codebook)
    replies = project.units(codable=True)
    replies = replies[replies["depth"] > 0]["unit_id"].tolist()
    stances = [c.name for c in codebook.codes_in("stance")]
    for name in ("coder_a", "coder_b"):
        project.add_coder(name)
    project.new_round("pilot", coders=["coder_a", "coder_b"], units=replies, seed=0)
    coded = {}
    for name, slip, seed in (("coder_a", 0.10, 1), ("coder_b", 0.25, 2)):
        rng = random.Random(seed)
        for uid in replies:
            codes = keyword_codes(codebook, project.unit(uid)["text"])
            if rng.random() < slip:
                codes[0] = rng.choice(stances)
            if len(codes) > 1 and rng.random() < slip:
                codes.pop()
            project.code(uid, codes, coder=name, round="pilot")
            coded[name, uid] = sorted(codes)
    for uid in replies:
        project.adjudicate(uid, coded["coder_a", uid], round="pilot", decided_by="supervisor")
    humans = project.agreement(round="pilot", coders=["coder_a", "coder_b"], n_boot=1000, seed=0)
    humans = humans[humans["measure"] == "alpha"].set_index("code")
    model = wb.assist.train(project, on="gold", round="pilot", seed=0)
    table = model.evaluate(k=5).set_index("code")
    out = table[["support", "f1", "baseline_f1", "offered"]].join(
        humans[["value", "ci_low", "ci_high"]].rename(columns={"value": "human_alpha"}))
    print(f"{len(replies)} replies; model {model.name}")
    print(out.round(3).to_string())
    overall = humans.loc["(overall)"]
    print(f"human-human overall alpha (MASI): {overall['value']:.3f} "
          f"(95% CI {overall['ci_low']:.3f}-{overall['ci_high']:.3f})")
    project.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2,000 units instead of 10,000")
    args = parser.parse_args()
    speed(2_000 if args.quick else 10_000)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        examples_pilot(Path(tmp))


if __name__ == "__main__":
    main()
