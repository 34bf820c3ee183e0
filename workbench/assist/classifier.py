"""A model coder trained on the project's own codings: TF-IDF n-grams and logistic regression.

Offline, on the CPU, with no downloaded weights. Each unit's text becomes word 1-2-grams
and character 2-5-grams (within word boundaries), hashed into a fixed number of columns
(``HashingVectorizer``: no vocabulary to fit, so the same text always gives the same
columns) and weighted by TF-IDF (sublinear term frequency, idf fitted on the training
texts only, over the columns that occur in them). One logistic regression (``class_weight="balanced"``, seeded) is fitted per
*target*: per exclusive group of the codebook (multinomial: one of the group's codes or
``"(none)"``) and per code outside exclusive groups (binary: present or absent, at
probability >= ``threshold``).

:meth:`ClassifierModel.evaluate` measures it honestly (see there); a code is *offered*,
suggested and applied only where the model beats the best text-blind baseline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import sklearn
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from ..codebook import Codebook
from ..sentinels import ALL_ROUNDS
from ._data import NO_CODE, Target, TrainingData, training_data

__all__ = ["EVALUATION_COLUMNS", "MODEL_KIND", "SETTINGS", "ClassifierModel", "train"]

MODEL_KIND = "logreg-tfidf"

#: the default training settings; every one can be given to :func:`train`
SETTINGS: dict[str, Any] = {
    "word_ngrams": (1, 2),
    "char_ngrams": (2, 5),
    "n_features": 2**19,  # hashed columns per analyzer
    "lowercase": True,
    "sublinear_tf": True,
    "C": 1.0,
    "class_weight": "balanced",
    "max_iter": 2000,
    "threshold": 0.5,
}

EVALUATION_COLUMNS = [
    "code", "target", "precision", "recall", "f1", "n", "support", "baseline_f1", "baseline", "p_beats",
    "offered", "k", "note",
]


def _hash_vectorizers(s: Mapping[str, Any]) -> tuple[HashingVectorizer, HashingVectorizer]:
    common = {"n_features": int(s["n_features"]), "alternate_sign": False, "norm": None,
              "lowercase": bool(s["lowercase"]), "dtype": np.float64}
    word = HashingVectorizer(analyzer="word", ngram_range=tuple(s["word_ngrams"]), token_pattern=r"(?u)\b\w+\b", **common)
    char = HashingVectorizer(analyzer="char_wb", ngram_range=tuple(s["char_ngrams"]), **common)
    return word, char


def _counts(settings: Mapping[str, Any], texts: Iterable[str]) -> sp.csr_matrix:
    word, char = _hash_vectorizers(settings)
    texts = [t if isinstance(t, str) else "" for t in texts]
    return sp.hstack([word.transform(texts), char.transform(texts)], format="csr")


class _Weights:
    """TF-IDF weights over the hashed columns that occur in the training texts (the others stay empty)."""

    def __init__(self, settings: Mapping[str, Any]):
        self.sublinear_tf = bool(settings["sublinear_tf"])

    def fit(self, X: sp.csr_matrix) -> _Weights:
        columns = np.flatnonzero(X.getnnz(axis=0))
        self.n_columns = len(columns)
        self.mapping = np.full(X.shape[1], -1, dtype=np.int64)
        self.mapping[columns] = np.arange(len(columns))
        self.tfidf = TfidfTransformer(sublinear_tf=self.sublinear_tf).fit(self._select(X))
        return self

    def _select(self, X: sp.csr_matrix) -> sp.csr_matrix:
        """The training columns of ``X``, by remapping its column indices (much faster than ``X[:, cols]``)."""
        X = sp.csr_matrix(X)
        new = self.mapping[X.indices]
        keep = new >= 0
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))[keep]
        return sp.csr_matrix((X.data[keep], (rows, new[keep])), shape=(X.shape[0], self.n_columns))

    def transform(self, X: sp.csr_matrix) -> sp.csr_matrix:
        return self.tfidf.transform(self._select(X))


def _fit_target(settings: Mapping[str, Any], seed: int, t: Target, X: sp.csr_matrix, y: np.ndarray) -> _Fitted:
    """A fitted classifier, or a constant when the units show a single label."""
    classes = np.array(sorted(pd.unique(y)))
    if len(classes) < 2:
        return _Fitted(t, classes, None)
    clf = _classifier(settings, seed, t.exclusive).fit(X, y)
    return _Fitted(t, np.asarray(clf.classes_), clf)


def _classifier(settings: Mapping[str, Any], seed: int, exclusive: bool) -> LogisticRegression:
    return LogisticRegression(
        C=float(settings["C"]),
        class_weight=settings["class_weight"],
        solver="newton-cg" if exclusive else "liblinear",
        max_iter=int(settings["max_iter"]),
        random_state=seed,
    )


@dataclass
class _Fitted:
    target: Target
    classes: np.ndarray  # labels, sorted as the classifier holds them
    clf: LogisticRegression | None  # None when only one class was seen: it is then predicted


def _proba(fitted: _Fitted, X: sp.csr_matrix) -> np.ndarray:
    """Probabilities (units x classes) in the order of ``fitted.classes``."""
    if fitted.clf is None:
        return np.ones((X.shape[0], 1))
    return fitted.clf.predict_proba(X)


def _f1_parts(pred: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    tp = float(np.sum(pred & truth))
    npred, npos = float(pred.sum()), float(truth.sum())
    precision = tp / npred if npred else math.nan
    recall = tp / npos if npos else math.nan
    f1 = 2 * tp / (npred + npos) if npos else math.nan
    return precision, recall, f1


def _f1_boot(pred: np.ndarray, truth: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """F1 on each bootstrap resample (rows of unit indices)."""
    p, t = pred[idx], truth[idx]
    tp = (p & t).sum(axis=1)
    denom = p.sum(axis=1) + t.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(t.sum(axis=1) > 0, 2 * tp / np.maximum(denom, 1), np.nan)


def _beats(pred: np.ndarray, base: np.ndarray, truth: np.ndarray, n_boot: int, rng: np.random.Generator) -> float:
    """Share of bootstrap resamples of the units on which the model's F1 is above the baseline's."""
    n = len(truth)
    wins = total = 0
    for start in range(0, n_boot, 100):
        b = min(100, n_boot - start)
        idx = rng.integers(0, n, size=(b, n))
        fm, fb = _f1_boot(pred, truth, idx), _f1_boot(base, truth, idx)
        ok = ~np.isnan(fm)
        wins += int(np.sum(fm[ok] > fb[ok]))
        total += int(ok.sum())
    return wins / total if total else math.nan


@dataclass
class ClassifierModel:
    """A trained model coder. Make one with :func:`train`.

    Attributes
    ----------
    name : str
        ``model:logreg-tfidf@<hash>``: the coder's name in the project. The hash covers the
        settings, the training data (unit ids, texts, labels), the codebook and the
        scikit-learn version, so the same name means the same model.
    settings : dict
        The training settings (:data:`SETTINGS` with the caller's changes) and the seed.
    codebook : Codebook
        The codebook whose codes it learnt.
    data : TrainingData
        The texts and labels it was trained on.
    """

    name: str
    settings: dict[str, Any]
    codebook: Codebook
    data: TrainingData
    seed: int
    trained_at: str
    origin: dict[str, Any] = field(default_factory=dict)
    _tfidf: _Weights | None = field(default=None, repr=False)
    _fitted: list[_Fitted] = field(default_factory=list, repr=False)
    _evaluations: dict[tuple[int, int], pd.DataFrame] = field(default_factory=dict, repr=False)
    _train_counts: sp.csr_matrix | None = field(default=None, repr=False)  # hashed counts of the training texts

    def __repr__(self) -> str:
        return f"<ClassifierModel {self.name}: {len(self.data.texts)} units ({self.data.source}), seed {self.seed}>"

    # --- what it learnt ----------------------------------------------------------------------
    @property
    def targets(self) -> list[Target]:
        """The targets, one classifier each."""
        return self.data.targets

    @property
    def trained_on(self) -> list[str]:
        """The ids of the units it was trained on (never evaluate it on these)."""
        return [str(u) for u in self.data.texts.index]

    def card(self) -> dict[str, Any]:
        """Everything a run record needs to reproduce the model: settings, data, versions.

        Returns
        -------
        dict
            JSON-serialisable: ``name, kind, settings, seed, sklearn, source, origin,
            codebook, codebook_checksum, examples, trained_on, notes, trained_at``.
        """
        body = json.dumps(self.codebook.to_dict(), sort_keys=True, ensure_ascii=False)
        return {
            "name": self.name,
            "kind": MODEL_KIND,
            "settings": _jsonable(self.settings),
            "seed": self.seed,
            "sklearn": sklearn.__version__,
            "source": self.data.source,
            "origin": self.origin,
            "codebook": self.codebook.name,
            "codebook_checksum": hashlib.sha256(body.encode()).hexdigest(),
            "examples": self.data.summary(),
            "trained_on": self.trained_on,
            "notes": list(self.data.notes),
            "trained_at": self.trained_at,
        }

    # --- fitting -----------------------------------------------------------------------------
    def _fit(self) -> None:
        texts = self.data.texts
        X = self._train_counts = _counts(self.settings, texts.tolist())
        self._tfidf = _Weights(self.settings).fit(X)
        Xt = self._tfidf.transform(X)
        row = pd.Series(np.arange(len(texts)), index=texts.index)
        self._fitted = []
        for t in self.targets:
            y = self.data.labels[t.name]
            self._fitted.append(_fit_target(self.settings, self.seed, t, Xt[row.loc[y.index].to_numpy()], y.to_numpy()))

    def _features(self, texts: Iterable[str]) -> sp.csr_matrix:
        if self._tfidf is None:
            raise RuntimeError("the model is not fitted; make it with wb.assist.train(...)")
        return self._tfidf.transform(_counts(self.settings, texts))

    # --- predicting ----------------------------------------------------------------------------
    def _probas(self, texts: list[str]) -> list[np.ndarray]:
        X = self._features(texts)
        return [_proba(f, X) for f in self._fitted]

    def _table(self, probas: list[np.ndarray], n: int) -> pd.DataFrame:
        cols: dict[str, np.ndarray] = {}
        for f, P in zip(self._fitted, probas):
            for code in f.target.codes:
                hit = np.flatnonzero(f.classes == (code if f.target.exclusive else 1))
                cols[code] = P[:, hit[0]] if len(hit) else np.zeros(n)
        return pd.DataFrame(cols, index=pd.RangeIndex(n))

    def _decide(self, probas: list[np.ndarray], n: int, allowed: set[str]) -> list[list[str]]:
        out: list[list[str]] = [[] for _ in range(n)]
        threshold = float(self.settings["threshold"])
        for f, P in zip(self._fitted, probas):
            if f.target.exclusive:
                best = f.classes[np.argmax(P, axis=1)]
                for i, code in enumerate(best):
                    if code != NO_CODE and code in allowed:
                        out[i].append(str(code))
            else:
                hit = np.flatnonzero(f.classes == 1)
                if not len(hit) or f.target.codes[0] not in allowed:
                    continue
                for j in np.flatnonzero(P[:, hit[0]] >= threshold):
                    out[int(j)].append(f.target.codes[0])
        order = {c: i for i, c in enumerate(self.codebook.names)}
        return [sorted(codes, key=order.__getitem__) for codes in out]

    def probabilities(self, texts: Iterable[str]) -> pd.DataFrame:
        """The probability of every code on every text (units x codes, codebook order).

        For a code outside exclusive groups, the probability that it applies; for a code
        of an exclusive group, the probability that it is the group's code (the group's
        codes and ``"(none)"`` sum to one).

        Parameters
        ----------
        texts : iterable of str
            Unit texts.

        Returns
        -------
        pandas.DataFrame
            One row per text (positional index), one column per code.
        """
        texts = list(texts)
        return self._table(self._probas(texts), len(texts))

    def predict(self, texts: Iterable[str], *, offered_only: bool = True) -> list[list[str]]:
        """The codes the model gives each text: the group's most probable code, other codes above threshold.

        Parameters
        ----------
        texts : iterable of str
            Unit texts.
        offered_only : bool
            Give only the codes it is offered for (see :meth:`evaluate`).

        Returns
        -------
        list of list of str
            Codes per text, in codebook order; an empty list when no code applies.
        """
        texts = list(texts)
        allowed = self.offered() if offered_only else set(self.codebook.names)
        return self._decide(self._probas(texts), len(texts), allowed)

    def probabilities_and_codes(self, texts: Iterable[str]) -> tuple[pd.DataFrame, list[list[str]]]:
        """:meth:`probabilities` and :meth:`predict` (offered codes) in one pass over the texts."""
        texts = list(texts)
        probas = self._probas(texts)
        return self._table(probas, len(texts)), self._decide(probas, len(texts), self.offered())

    def code_frame(self, units: pd.DataFrame) -> pd.DataFrame:
        """The model's codings of a units table, long: ``unit_id, code`` (code None = no code applies).

        Parameters
        ----------
        units : pandas.DataFrame
            With ``unit_id`` and ``text``.

        Returns
        -------
        pandas.DataFrame
            ``unit_id, coder, code``, the coder being :attr:`name`.
        """
        from ._data import coded_frame

        ids = units["unit_id"].astype(str).tolist()
        return coded_frame(dict(zip(ids, self.predict(units["text"].tolist()))), self.name)

    # --- evaluating --------------------------------------------------------------------------
    def offered(self) -> set[str]:
        """The codes the model beats its baseline on (from :meth:`evaluate` with its defaults)."""
        table = self.evaluate()
        return set(table.loc[table["offered"], "code"])

    def evaluate(self, k: int = 5, *, n_boot: int = 1000) -> pd.DataFrame:
        """Per-code precision, recall and F1 by stratified k-fold cross-validation, beside a baseline.

        For each target, the units are split into ``k`` folds stratified by label
        (``StratifiedKFold``, shuffled with the model's seed; fewer folds when even the most
        frequent label has fewer than ``k`` units). A label rarer than the folds is missing
        from some training folds; the model cannot give it there, as it could not have on
        new units. Each fold is predicted by a model fitted on the others
        (TF-IDF weights included), and the out-of-fold predictions of all folds are pooled.
        The same folds give the baselines, classifiers that never look at the text:

        * ``majority``: the most frequent label of the training folds, everywhere;
        * ``stratified``: labels drawn at random in the training folds' proportions (seeded);
        * ``always``: the code on every unit. F1 rewards this (2p / (1 + p) for a code on a
          share p of the units) more than any other text-blind rule, so a model that
          beats the other two only by applying a code often is not taken for skill.

        ``baseline_f1`` is the best of the three. The model is **offered** for a code when
        its F1 is above ``baseline_f1`` and above the same baseline's F1 in at least 95% of
        ``n_boot`` bootstrap resamples of the evaluated units (paired, seeded): a model
        that does not clearly beat a text-blind rule does not suggest or apply that code.

        Parameters
        ----------
        k : int
            Number of folds (at least 2).
        n_boot : int
            Bootstrap resamples for the comparison with the baseline.

        Returns
        -------
        pandas.DataFrame
            One row per code, codebook order: ``code``, ``target`` (the code or
            ``group:<name>``), ``precision``, ``recall``, ``f1`` (of the code, out of fold),
            ``n`` (units evaluated), ``support`` (of which have the code), ``baseline_f1``,
            ``baseline`` (which one), ``p_beats`` (share of resamples in which the model
            beat it), ``offered``, ``k`` (folds used), ``note`` (why a row is empty).

        Examples
        --------
        >>> import pandas as pd, workbench as wb
        >>> cb = wb.Codebook.from_dict({"name": "demo", "codes": [
        ...     {"name": "thanks", "label": "Thanks", "definition": "Thanks the writer."}]})
        >>> texts = [f"thank you so much {i}" for i in range(30)] + [f"the rota is late {i}" for i in range(30)]
        >>> units = pd.DataFrame({"unit_id": [f"u{i}" for i in range(60)], "text": texts})
        >>> gold = pd.DataFrame({"unit_id": units["unit_id"], "code": ["thanks"] * 30 + [None] * 30})
        >>> model = wb.assist.train(units, on="gold", codings=gold, codebook=cb)
        >>> model.evaluate(k=5)[["code", "f1", "n", "support", "baseline_f1", "offered"]].round(3)
             code   f1   n  support  baseline_f1  offered
        0  thanks  1.0  60       30        0.667     True
        """
        if not isinstance(k, int | np.integer) or k < 2:
            raise ValueError(f"k (the number of folds) must be an integer of at least 2; got {k!r}")
        if not isinstance(n_boot, int | np.integer) or n_boot < 1:
            raise ValueError(f"n_boot must be a positive integer; got {n_boot!r}")
        key = (int(k), int(n_boot))
        if key not in self._evaluations:
            rows: list[dict[str, Any]] = []
            texts = self.data.texts
            X = self._train_counts if self._train_counts is not None else _counts(self.settings, texts.tolist())
            row = pd.Series(np.arange(len(texts)), index=texts.index)
            for t in self.targets:
                y = self.data.labels[t.name]
                rows += self._evaluate_target(t, X[row.loc[y.index].to_numpy()], y.to_numpy(), int(k), int(n_boot))
            self._evaluations[key] = pd.DataFrame.from_records(rows, columns=EVALUATION_COLUMNS).astype(
                {"n": "int64", "support": "int64", "k": "int64", "offered": "bool"}
            )
        return self._evaluations[key].copy()

    def _evaluate_target(self, t: Target, X: sp.csr_matrix, y: np.ndarray, k: int, n_boot: int) -> list[dict[str, Any]]:
        def empty(note: str) -> list[dict[str, Any]]:
            return [
                {"code": c, "target": t.name, "precision": math.nan, "recall": math.nan, "f1": math.nan,
                 "n": len(y), "support": int(np.sum(y == (c if t.exclusive else 1))), "baseline_f1": math.nan,
                 "baseline": None, "p_beats": math.nan, "offered": False, "k": 0, "note": note}
                for c in t.codes
            ]

        values, counts = np.unique(y, return_counts=True) if len(y) else (np.array([]), np.array([]))
        if len(values) < 2:
            return empty("only one label among the training units: nothing to learn or evaluate")
        folds = min(k, int(counts.max()))
        if folds < 2:
            return empty(f"too few units ({len(y)}) for cross-validation")
        preds = {name: np.empty(len(y), dtype=y.dtype) for name in ("model", "majority", "stratified")}
        skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.seed)
        with warnings.catch_warnings():  # a label rarer than the folds: some training folds lack it (honestly)
            warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
            splits = list(skf.split(np.zeros(len(y)), y))
        for train_idx, test_idx in splits:
            tfidf = _Weights(self.settings).fit(X[train_idx])
            fitted = _fit_target(self.settings, self.seed, t, tfidf.transform(X[train_idx]), y[train_idx])
            P = _proba(fitted, tfidf.transform(X[test_idx]))
            if t.exclusive:
                preds["model"][test_idx] = fitted.classes[np.argmax(P, axis=1)]
            else:
                pos = np.flatnonzero(fitted.classes == 1)
                hit = P[:, pos[0]] >= float(self.settings["threshold"]) if len(pos) else np.zeros(len(test_idx), bool)
                preds["model"][test_idx] = hit.astype(y.dtype)
            for strategy in ("majority", "stratified"):
                dummy = DummyClassifier(strategy="most_frequent" if strategy == "majority" else "stratified",
                                        random_state=self.seed)
                preds[strategy][test_idx] = dummy.fit(np.zeros((len(train_idx), 1)), y[train_idx]).predict(
                    np.zeros((len(test_idx), 1)))
        rng = np.random.default_rng([self.seed, len(y)])
        rows = []
        for code in t.codes:
            label = code if t.exclusive else 1
            truth = y == label
            pm = preds["model"] == label
            precision, recall, f1 = _f1_parts(pm, truth)
            base = {name: preds[name] == label for name in ("majority", "stratified")}
            base["always"] = np.ones(len(y), dtype=bool)
            base_f1 = {name: _f1_parts(p, truth)[2] for name, p in base.items()}
            best = max(base_f1, key=lambda name: -1.0 if math.isnan(base_f1[name]) else base_f1[name])
            note = ""
            if 0 < truth.sum() < folds:
                note = f"only {int(truth.sum())} unit(s) with this code, fewer than the {folds} folds; "
            if not truth.any():
                p_beats, offered, note = math.nan, False, "no evaluated unit has this code"
            else:
                p_beats = _beats(pm, base[best], truth, n_boot, rng)
                offered = bool(f1 > base_f1[best] and p_beats >= 0.95)
                if not offered:
                    note += "does not clearly beat the text-blind baseline: not offered"
            rows.append({"code": code, "target": t.name, "precision": precision, "recall": recall, "f1": f1,
                         "n": len(y), "support": int(truth.sum()), "baseline_f1": base_f1[best], "baseline": best,
                         "p_beats": p_beats, "offered": offered, "k": folds, "note": note})
        return rows


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _fingerprint(settings: Mapping[str, Any], seed: int, data: TrainingData, codebook: Codebook) -> str:
    h = hashlib.sha256()
    head = {"kind": MODEL_KIND, "settings": _jsonable(settings), "seed": seed, "sklearn": sklearn.__version__,
            "codebook": codebook.to_dict(), "targets": [t.name for t in data.targets]}
    h.update(json.dumps(head, sort_keys=True, ensure_ascii=False, default=str).encode())
    for uid, text in data.texts.items():
        h.update(b"\x00unit\x00" + str(uid).encode() + b"\x00" + hashlib.sha256(str(text).encode()).digest())
    for t in data.targets:
        y = data.labels[t.name]
        h.update(json.dumps([t.name, [str(u) for u in y.index], [str(v) for v in y]]).encode())
    return h.hexdigest()[:12]


def train(
    source: Any,
    on: str = "gold",
    *,
    round: Any = ALL_ROUNDS,
    seed: int = 0,
    codings: pd.DataFrame | None = None,
    codebook: Codebook | None = None,
    **settings: Any,
) -> ClassifierModel:
    """Train a model coder on the project's own codings.

    Parameters
    ----------
    source : Project or pandas.DataFrame
        A project, or a units table (``unit_id``, ``text``) given with ``codings`` and
        ``codebook``.
    on : str
        What to learn from: ``"gold"`` (adjudicated codes), ``"agreed"`` (units where
        the coders agreed, per code and per exclusive group) or a coder's name.
    round : str, int, ALL_ROUNDS or NO_ROUND/None
        Which codings of a project: every round's and those outside rounds (the default),
        one round's, or (``None``) those outside rounds. The gold set lives in rounds:
        with ``on="gold"`` a round or ALL_ROUNDS (the latest decision per unit).
    seed : int
        Seeds the classifiers, the folds and the baselines: the same seed and data give
        the same model and name.
    codings : pandas.DataFrame, optional
        With a units table: long codings (``unit_id, coder, code``), or for ``on="gold"``
        the gold set (``unit_id, code``; code None = no code applies).
    codebook : Codebook, optional
        With a units table: the codebook (a project's is read from the project).
    **settings
        Changes to :data:`SETTINGS` (``C``, ``threshold``, ``word_ngrams``, ...).

    Returns
    -------
    ClassifierModel
        Fitted; ``model.name`` is its coder name, ``model.evaluate()`` its honest scores.

    Examples
    --------
    >>> import pandas as pd, workbench as wb
    >>> cb = wb.Codebook.from_dict({"name": "demo", "codes": [
    ...     {"name": "thanks", "label": "Thanks", "definition": "Thanks the writer."}]})
    >>> units = pd.DataFrame({"unit_id": ["u1", "u2", "u3", "u4"],
    ...                       "text": ["thank you", "the rota is late", "thanks a lot", "no beds"]})
    >>> gold = pd.DataFrame({"unit_id": ["u1", "u2", "u3", "u4"], "code": ["thanks", None, "thanks", None]})
    >>> model = wb.assist.train(units, on="gold", codings=gold, codebook=cb, seed=0)
    >>> model.name.startswith("model:logreg-tfidf@"), model.predict(["thank you all"], offered_only=False)
    (True, [['thanks']])
    """
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool):
        raise TypeError(f"seed must be an integer; got {seed!r}")
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise ValueError(f"unknown setting(s) {unknown}; train() takes {sorted(SETTINGS)}")
    merged = {**SETTINGS, **settings}
    if not 0 < float(merged["threshold"]) < 1:
        raise ValueError(f"threshold must be between 0 and 1; got {merged['threshold']!r}")
    if isinstance(source, pd.DataFrame):
        if codings is None or codebook is None:
            raise ValueError("with a units table, give codings= (long codings or the gold set) and codebook=")
        units, origin = source, {"from": "frames"}
    else:
        from ._record import read_training

        if codings is not None or codebook is not None:
            raise ValueError("with a project, the codings and the codebook are read from it; leave codings= and codebook= out")
        units, codings, codebook, origin = read_training(source, on, round)
    data = training_data(units, codings, codebook, on, gold=(on == "gold"))
    if data.texts.empty:
        raise ValueError(f"no unit to learn from with on={on!r} ({'; '.join(data.notes) or 'no codings'})")
    name = f"model:{MODEL_KIND}@{_fingerprint(merged, int(seed), data, codebook)}"
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    model = ClassifierModel(name, merged, codebook, data, int(seed), now, origin)
    model._fit()
    return model
