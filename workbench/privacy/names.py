"""Person names found by a trained spaCy pipeline, proposed for redaction, never applied silently.

:func:`propose_names` lists what the named-entity recogniser finds; the researcher marks
the proposals to apply (``accept``) and :func:`apply_names` replaces exactly those. Without
a trained pipeline with NER, :func:`propose_names` raises :class:`NERUnavailableError`
(:func:`ner_available` says beforehand).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from ..errors import PrivacyError
from ._contact import PLACEHOLDERS
from .edits import Hit, PrivacyResult, TextEdit, apply_hits, report_frame, report_rows, resolve_overlaps
from .key import PseudonymKey
from .text import _check_units

__all__ = ["NERUnavailableError", "ner_available", "propose_names", "apply_names"]


class NERUnavailableError(PrivacyError):
    """No trained spaCy pipeline with a named-entity recogniser is installed."""



def _ner_pipeline_name() -> str | None:
    import spacy

    for name in spacy.util.get_installed_models():
        try:
            meta = spacy.util.get_package_path(name) and spacy.info(name)
        except Exception:  # noqa: BLE001 - a broken package is simply not usable
            continue
        if isinstance(meta, Mapping) and "ner" in (meta.get("pipeline") or []):
            return name
    return None


def ner_available() -> bool:
    """Whether a trained spaCy pipeline with a named-entity recogniser is installed.

    Examples
    --------
    >>> isinstance(ner_available(), bool)
    True
    """
    return _ner_pipeline_name() is not None


def propose_names(
    units: pd.DataFrame, nlp: Any = None, *, labels: Iterable[str] = ("PERSON",), key: PseudonymKey | None = None
) -> pd.DataFrame:
    """Person names found by NER, proposed for redaction; nothing is changed.

    Parameters
    ----------
    units : DataFrame
        Units to read (their ``text``).
    nlp : spacy.Language, optional
        A pipeline with an ``ner`` (or ``entity_ruler``) component; by default the first
        installed trained pipeline that has one.
    labels : iterable of str
        Entity labels to propose.
    key : PseudonymKey, optional
        Names whose text is already a pseudonym of this key are left out.

    Returns
    -------
    DataFrame
        ``unit_id, start, end, text, label, accept`` (``accept`` is False: set it to True
        for the proposals to apply with :func:`apply_names`).

    Raises
    ------
    NERUnavailableError
        No trained pipeline with NER is installed and none was given.
    """
    _check_units(units, where="propose_names")
    if nlp is None:
        name = _ner_pipeline_name()
        if name is None:
            raise NERUnavailableError(
                "proposing person names is unavailable: no trained spaCy pipeline with a named-entity "
                "recogniser is installed (install one, e.g. `python -m spacy download en_core_web_sm`, "
                "or pass nlp=...). Nothing was redacted."
            )
        import spacy

        nlp = spacy.load(name)
    if not any(p in getattr(nlp, "pipe_names", []) for p in ("ner", "entity_ruler", "span_ruler")):
        raise NERUnavailableError(
            f"the pipeline given has no named-entity component (its pipes: {list(getattr(nlp, 'pipe_names', []))})"
        )
    wanted = set(labels)
    skip = key.pseudonyms() if key is not None else set()
    rows = []
    texts = units["text"].fillna("").astype(str).tolist()
    for uid, doc in zip(units["unit_id"].astype(str), nlp.pipe(texts)):
        for ent in doc.ents:
            if ent.label_ in wanted and ent.text not in skip and not ent.text.startswith("["):
                rows.append({"unit_id": uid, "start": ent.start_char, "end": ent.end_char,
                             "text": ent.text, "label": ent.label_, "accept": False})
    df = pd.DataFrame(rows, columns=["unit_id", "start", "end", "text", "label", "accept"])
    df["accept"] = df["accept"].astype(bool)
    return df


def apply_names(
    units: pd.DataFrame, proposals: pd.DataFrame, *, placeholder: str = PLACEHOLDERS["name"]
) -> PrivacyResult:
    """Apply the proposals of :func:`propose_names` that the researcher accepted.

    Only rows with ``accept`` True are applied; each is checked against the unit's text.

    Examples
    --------
    >>> from workbench.corpus import make_units
    >>> units = make_units([{"unit_id": "1", "thread_id": "t", "text": "As Dr Sarah Knowles said"}])
    >>> proposals = pd.DataFrame([{"unit_id": "1", "start": 6, "end": 19,
    ...                            "text": "Sarah Knowles", "label": "PERSON", "accept": True}])
    >>> apply_names(units, proposals).units.loc[0, "text"]
    'As Dr [NAME] said'
    """
    _check_units(units, where="apply_names")
    if "accept" not in proposals.columns:
        raise PrivacyError("the proposals have no 'accept' column; mark the ones to apply with proposals['accept'] = True")
    chosen = proposals[proposals["accept"].fillna(False).astype(bool)]
    by_unit: dict[str, list[Hit]] = {}
    texts = dict(zip(units["unit_id"].astype(str), units["text"]))
    for row in chosen.itertuples(index=False):
        uid = str(row.unit_id)
        if uid not in texts:
            raise PrivacyError(f"proposal for unit {uid!r}: no such unit in the units table")
        s, e = int(row.start), int(row.end)
        if texts[uid][s:e] != row.text:
            raise PrivacyError(
                f"proposal for unit {uid!r} at {s}:{e}: the text there is {texts[uid][s:e]!r}, not {row.text!r}; "
                "were the proposals made on other texts?"
            )
        by_unit.setdefault(uid, []).append(Hit(s, e, "name", placeholder))
    scan_for: dict[str, list[Hit]] = {u: resolve_overlaps(h) for u, h in by_unit.items()}
    out = units.copy()
    rows: list[dict[str, Any]] = []
    edits: dict[str, tuple[TextEdit, ...]] = {}
    new_texts = out["text"].tolist()
    for i, uid in enumerate(out["unit_id"].astype(str)):
        hits = scan_for.get(uid)
        if hits:
            new_texts[i], unit_edits = apply_hits(texts[uid], hits)
            edits[uid] = tuple(unit_edits)
            rows.extend(report_rows(uid, "text", texts[uid], hits))
    out["text"] = pd.Series(new_texts, index=out.index, dtype=out["text"].dtype)
    return PrivacyResult(out, report_frame(rows), edits)


