"""Sentence segments of units, with character offsets, for coding at sentence level.

Offsets are Python string indices (Unicode code points) into the unit's ``text``:
``text[start:end]`` is the segment, so they survive a round trip through any store
that keeps the text unchanged. A segment never spans a paragraph break (a blank
line), and leading or trailing whitespace is never part of a segment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["segment", "load_pipeline"]

_PARA = re.compile(r"\n\s*\n")


def load_pipeline(nlp: Any = None):
    """The spaCy pipeline :func:`segment` uses, with sentence boundaries.

    ``None`` gives a blank English pipeline with the rule-based ``sentencizer``; a
    string names an installed trained pipeline (e.g. ``"en_core_web_sm"``); a
    ``Language`` object is used as it is (a ``sentencizer`` is added to a copy-free
    pipeline only when it has no parser, senter or sentencizer).

    Raises
    ------
    ImportError
        The named pipeline is not installed; the message gives the install command.
    """
    import spacy
    from spacy.language import Language

    if nlp is None:
        pipe = spacy.blank("en")
        pipe.add_pipe("sentencizer")
        return pipe
    if isinstance(nlp, str):
        if not spacy.util.is_package(nlp) and not _is_path(nlp):
            version = ".".join(spacy.__version__.split(".")[:2]) + ".0"
            raise ImportError(
                f"the spaCy pipeline {nlp!r} is not installed. Install it with\n"
                f"    python -m pip install https://github.com/explosion/spacy-models/releases/download/"
                f"{nlp}-{version}/{nlp}-{version}-py3-none-any.whl\n"
                f"(or: python -m spacy download {nlp}), or call segment() without nlp= to use the "
                "blank English pipeline with the rule-based sentencizer"
            )
        try:
            pipe = spacy.load(nlp, exclude=["ner", "lemmatizer", "textcat", "textcat_multilabel"])
        except OSError as exc:
            raise ImportError(f"the spaCy pipeline {nlp!r} could not be loaded: {exc}") from None
    elif isinstance(nlp, Language):
        pipe = nlp
    else:
        raise TypeError(f"nlp must be None, a pipeline name or a spacy Language, not {type(nlp).__name__}")
    if not any(name in pipe.pipe_names for name in ("parser", "senter", "sentencizer")):
        pipe.add_pipe("sentencizer")
    return pipe


def _is_path(name: str) -> bool:
    from pathlib import Path

    return Path(name).exists()


def segment(
    units: pd.DataFrame,
    nlp: Any = None,
    *,
    batch_size: int = 256,
    n_process: int = 1,
    progress: bool | None = None,
) -> pd.DataFrame:
    r"""Split units into sentence segments with character offsets into each unit's text.

    Parameters
    ----------
    units : DataFrame
        A units table (at least ``unit_id`` and ``text``). Units with empty text
        (deleted or missing placeholders) have no segments.
    nlp : None, str or spacy.language.Language
        ``None`` (default): a blank English pipeline with the rule-based sentencizer.
        A string names an installed trained pipeline, e.g. ``"en_core_web_sm"``.
    batch_size, n_process : int
        Passed to ``nlp.pipe``.
    progress : bool, optional
        Show a progress bar; by default for more than 10,000 units.

    Returns
    -------
    DataFrame
        One row per segment: ``unit_id``, ``segment_id`` (``<unit_id>#<n>``, n from 1
        within the unit), ``start``, ``end`` (character offsets, ``text[start:end]``)
        and ``text``.

    Examples
    --------
    >>> units = pd.DataFrame({"unit_id": ["u1"], "text": ["I was scared. Nobody explained why!\n\nThank you"]})
    >>> seg = segment(units)
    >>> seg[["segment_id", "start", "end", "text"]].values.tolist()
    [['u1#1', 0, 13, 'I was scared.'], ['u1#2', 14, 35, 'Nobody explained why!'], ['u1#3', 37, 46, 'Thank you']]
    """
    if not isinstance(units, pd.DataFrame):
        raise TypeError(f"segment takes a units DataFrame, not {type(units).__name__}")
    missing = [c for c in ("unit_id", "text") if c not in units.columns]
    if missing:
        raise ValueError(f"units lack the column(s) {missing}; segment needs 'unit_id' and 'text'")
    pipe = load_pipeline(nlp)
    keep = units["text"].notna() & (units["text"].astype(str).str.strip() != "")
    ids = units.loc[keep, "unit_id"].astype(str).tolist()
    texts = units.loc[keep, "text"].astype(str).tolist()
    from tqdm.auto import tqdm

    show = progress if progress is not None else len(texts) > 10_000
    seg_unit: list[int] = []
    seg_start: list[int] = []
    seg_end: list[int] = []
    seg_text: list[str] = []
    add_unit, add_start, add_end, add_text = seg_unit.append, seg_start.append, seg_end.append, seg_text.append
    docs = pipe.pipe(texts, batch_size=batch_size, n_process=n_process)
    for k, (text, doc) in enumerate(zip(texts, tqdm(docs, total=len(texts), desc="Segmenting", unit="unit",
                                                     disable=not show, leave=False))):
        for sent in doc.sents:
            a, b = sent.start_char, sent.end_char
            piece = text[a:b]
            if piece and "\n" not in piece and not piece[0].isspace() and not piece[-1].isspace():
                add_unit(k)
                add_start(a)
                add_end(b)
                add_text(piece)
            else:
                for x, y in _spans(text, ((a, b),)):
                    add_unit(k)
                    add_start(x)
                    add_end(y)
                    add_text(text[x:y])
    return _frame(ids, seg_text, seg_unit, seg_start, seg_end)


def _frame(ids: list[str], pieces: list[str], unit: list[int], start: list[int], end: list[int]) -> pd.DataFrame:
    """The segments table; ids numbered within each unit, built column-wise."""
    idx = np.asarray(unit, dtype=np.int64)
    uid = np.asarray(ids, dtype=object)[idx] if len(idx) else np.asarray([], dtype=object)
    n = pd.Series(idx).groupby(idx, sort=False).cumcount().to_numpy() + 1 if len(idx) else np.asarray([], dtype=int)
    unit_col = pd.Series(uid, dtype=object)
    sid = (unit_col.astype(str) + "#" + pd.Series(n).astype(str)).to_numpy(dtype=object) if len(idx) else uid
    return pd.DataFrame({
        "unit_id": unit_col,
        "segment_id": pd.Series(sid, dtype=object),
        "start": pd.Series(start, dtype="int64"),
        "end": pd.Series(end, dtype="int64"),
        "text": pd.Series(pieces, dtype=object),
    })


def _spans(text: str, sents: Iterable[tuple[int, int]]):
    """Sentence spans split at paragraph breaks and trimmed of whitespace; empty ones dropped."""
    for start, end in sents:
        piece = text[start:end]
        if "\n" in piece and _PARA.search(piece):
            pos = start
            for m in _PARA.finditer(piece):
                yield from _trim(text, pos, start + m.start())
                pos = start + m.end()
            yield from _trim(text, pos, end)
        else:
            yield from _trim(text, start, end)


def _trim(text: str, start: int, end: int):
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        yield start, end
