"""Privacy transforms of units tables: pseudonymise authors and mentions, redact contact data.

Pure functions, DataFrames in and out; they know nothing of a project or its store (the
export policy that applies them to a project is :mod:`workbench.privacy.policy`).

* :func:`pseudonymise` gives every author a stable pseudonym from a
  :class:`~workbench.privacy.PseudonymKey` and replaces ``@mentions`` and author names
  quoted in the texts by the same pseudonyms.
* :func:`redact` replaces URLs, e-mail addresses, phone numbers and platform handles by
  typed placeholders (``[URL]``, ``[EMAIL]``, ``[PHONE]``, ``[HANDLE]``);
  :func:`find_redactions` lists them in one text; :func:`redaction_summary` counts a report.

Each returns a :class:`~workbench.privacy.PrivacyResult`: the new units, a tidy report
(one row per replacement, holding the original names: review it, never publish it) and
the :class:`~workbench.privacy.TextEdit` of every unit, to remap coding spans.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import pandas as pd

from ..errors import PrivacyError
from ._contact import PLACEHOLDERS, REDACTION_KINDS, check_kinds, scan_contacts
from ._extra import AUTHOR_KEYS, PERSON_KEYS, leaves, person_values, walk
from .edits import Hit, PrivacyResult, TextEdit, apply_hits, report_frame, report_rows, resolve_overlaps
from .key import APOSTROPHES, NON_NAMES, PseudonymKey, is_missing, norm_name

__all__ = [
    "PSEUDONYMISED_MARK",
    "REDACTION_KINDS",
    "PLACEHOLDERS",
    "pseudonymise",
    "redact",
    "find_redactions",
    "redaction_summary",
    "NameScanner",
]

#: ``DataFrame.attrs`` key set on the tables :func:`pseudonymise` returns.
PSEUDONYMISED_MARK = "workbench_pseudonymised"

#: columns that are not text to look for names in (ids, times, numbers, fixed vocabularies)
_NOT_TEXT = frozenset(
    {"unit_id", "thread_id", "parent_id", "author", "author_role", "posted_at", "depth", "position", "kind",
     "status", "source", "codable", "seq", "source_id"}
)


def _text_columns(units: pd.DataFrame, columns: Sequence[str] | None) -> list[str]:
    """The columns to process: those named, or every column that may hold text (``extra`` included)."""
    if columns is not None:
        if isinstance(columns, str):
            columns = [columns]
        return [c for c in columns if c in units.columns]
    return [
        c for c in units.columns
        if c not in _NOT_TEXT and (units[c].dtype == object or pd.api.types.is_string_dtype(units[c].dtype))
    ]


def _check_units(units: Any, *, where: str) -> None:
    if not isinstance(units, pd.DataFrame):
        raise TypeError(f"{where} takes a units DataFrame, not {type(units).__name__}")
    missing = [c for c in ("unit_id", "text") if c not in units.columns]
    if missing:
        raise PrivacyError(f"{where}: the units table has no column(s) {missing}; see workbench.corpus.UNIT_COLUMNS")


def _process(
    units: pd.DataFrame,
    columns: Sequence[str],
    scan: Callable[[str], list[Hit]],
    *,
    key: PseudonymKey | None = None,
    rows: list[dict[str, Any]] | None = None,
    person: Callable[[str | None, str], str | None] | None = None,
) -> PrivacyResult:
    out = units.copy()
    report: list[dict[str, Any]] = list(rows or [])
    edits: dict[str, tuple[TextEdit, ...]] = {}
    ids = out["unit_id"].astype(str).tolist()
    for column in columns:
        if column not in out.columns:
            continue
        values = out[column].tolist()
        new_values = list(values)
        for i, (uid, value) in enumerate(zip(ids, values)):
            if isinstance(value, (dict, list)) or (column == "extra" and isinstance(value, str)):
                new_values[i] = _process_extra(uid, column, value, scan, person, report)
                continue
            if is_missing(value) or not isinstance(value, str) or not value:
                continue
            hits = scan(value)
            if not hits:
                continue
            new_text, unit_edits = apply_hits(value, hits)
            new_values[i] = new_text
            report.extend(report_rows(uid, column, value, hits))
            if column == "text":
                edits[uid] = tuple(unit_edits)
        out[column] = pd.Series(new_values, index=out.index, dtype=out[column].dtype)
    return PrivacyResult(out, report_frame(report), edits, key)


def _process_extra(
    uid: str,
    column: str,
    value: Any,
    scan: Callable[[str], list[Hit]],
    person: Callable[[str | None, str], str | None] | None,
    report: list[dict[str, Any]],
) -> Any:
    """A value of ``extra`` (or any mapping or list in a cell) with names replaced in every string it holds."""

    def text(s: str) -> str:
        hits = scan(s) if s else []
        if not hits:
            return s
        report.extend(report_rows(uid, column, s, hits))
        return apply_hits(s, hits)[0]

    def whole(k: str | None, s: str) -> str | None:
        new = person(k, s) if person is not None else None
        if new is not None and new != s:
            report.append({"unit_id": uid, "column": column, "kind": "name", "original": s, "replacement": new,
                           "start": None, "end": None, "new_start": None, "new_end": None})
        return new

    return walk(value, text, whole)



# --- redaction ----------------------------------------------------------------------------
def find_redactions(
    text: str,
    kinds: Iterable[str] = REDACTION_KINDS,
    *,
    placeholders: Mapping[str, str] | None = None,
    keep: Iterable[str] = (),
) -> list[tuple[int, int, str, str]]:
    """Spans of contact data in one text: ``(start, end, kind, placeholder)``, in order.

    Examples
    --------
    >>> find_redactions("Mail jo+nhs@example.org or ring 07700 900123.")
    [(5, 23, 'email', '[EMAIL]'), (32, 44, 'phone', '[PHONE]')]
    """
    return [(h.start, h.end, h.kind, h.replacement) for h in scan_contacts(text, check_kinds(kinds), placeholders, set(keep))]



def redact(
    units: pd.DataFrame,
    kinds: Iterable[str] = ("url", "email", "phone", "handle"),
    *,
    placeholders: Mapping[str, str] | None = None,
    columns: Sequence[str] | None = None,
    keep: Iterable[str] = (),
) -> PrivacyResult:
    """Replace URLs, e-mail addresses, phone numbers and handles by typed placeholders.

    Parameters
    ----------
    units : DataFrame
        A units table (at least ``unit_id`` and ``text``); it is not modified.
    kinds : iterable of str
        Any of :data:`REDACTION_KINDS`. Where matches overlap, e-mail beats URL beats
        phone beats handle, and the earliest, then longest, match wins.
    placeholders : mapping, optional
        Other placeholders by kind (default :data:`PLACEHOLDERS`).
    columns : sequence of str, optional
        Text columns to redact, where present (offsets are tracked for ``text``); by
        default every column that may hold text: ``text``, ``title``, ``url``,
        ``content_warning``, ``extra`` (every string it holds) and any other text column.
    keep : iterable of str
        Matches left alone, e.g. ``{"@P001"}`` (pseudonymised mentions).

    Returns
    -------
    PrivacyResult
        ``units`` (new table), ``report`` (one row per replacement), ``edits`` per unit.
        Phone numbers: UK national forms (``07700 900123``, ``(020) 7946 0958``, 10-11
        digits starting with 0), international forms starting with ``+`` (8-15 digits,
        ``+44 (0)20 ...``) and North American ``(555) 123-4567``. Handles: ``@name``,
        ``@name@instance.social`` and Reddit's ``u/name``.

    Examples
    --------
    >>> from workbench.corpus import make_units
    >>> units = make_units([{"unit_id": "1", "thread_id": "t",
    ...     "text": "See https://en.wikipedia.org/wiki/Section_(law)) or ask @nhs_trust."}])
    >>> result = redact(units)
    >>> result.units.loc[0, "text"]
    'See [URL]) or ask [HANDLE].'
    >>> result.report[["kind", "original"]].values.tolist()
    [['url', 'https://en.wikipedia.org/wiki/Section_(law)'], ['handle', '@nhs_trust']]
    >>> s, e = result.remap_span("1", 52, 55)   # "ask" in the original
    >>> result.units.loc[0, "text"][s:e]
    'ask'
    """
    _check_units(units, where="redact")
    ks = check_kinds(kinds)
    keep_set = set(keep)
    return _process(units, _text_columns(units, columns), lambda text: scan_contacts(text, ks, placeholders, keep_set))


def redaction_summary(report: pd.DataFrame) -> pd.DataFrame:
    """What was replaced, how many times, in which units: one row per kind and original.

    Columns ``kind, original, replacement, n_replacements, n_units, unit_ids`` (ids
    joined by ``", "``), most frequent first. As sensitive as the report.

    Examples
    --------
    >>> from workbench.corpus import make_units
    >>> units = make_units([{"unit_id": "a", "thread_id": "t", "text": "@jo hi @jo"},
    ...                     {"unit_id": "b", "thread_id": "t", "text": "bye @jo"}])
    >>> redaction_summary(redact(units).report).to_dict("records")
    [{'kind': 'handle', 'original': '@jo', 'replacement': '[HANDLE]', 'n_replacements': 3, 'n_units': 2, 'unit_ids': 'a, b'}]
    """
    cols = ["kind", "original", "replacement", "n_replacements", "n_units", "unit_ids"]
    missing = [c for c in ("unit_id", "kind", "original", "replacement") if c not in report.columns]
    if missing:
        raise ValueError(f"the report has no column(s) {missing}; pass the report of pseudonymise() or redact()")
    if report.empty:
        return pd.DataFrame(columns=cols)
    g = report.groupby(["kind", "original", "replacement"], sort=False, dropna=False)["unit_id"]
    out = g.agg(
        n_replacements="size",
        n_units="nunique",
        unit_ids=lambda s: ", ".join(dict.fromkeys(map(str, s))),
    ).reset_index()
    out = out.sort_values(["n_replacements", "kind", "original"], ascending=[False, True, True], kind="stable")
    return out[cols].reset_index(drop=True)


# --- pseudonymisation ---------------------------------------------------------------------
@lru_cache(maxsize=1)
def _tokenizer():
    import spacy

    return spacy.blank("en")


_MENTION = re.compile(r"(?<![\w@/.])@(?P<local>[A-Za-z0-9_]{1,30})(?P<inst>@(?:[A-Za-z0-9\-]+\.)+[A-Za-z]{2,})?(?![\w@])")
_SEGMENT = re.compile(r"\w+|\w[\w.\-]*\w")
_DOTTED = re.compile(r"\w[\w.\-]*\w")  # a handle such as carol.bsky.social inside a URL
_WORDCHAR = re.compile(r"\w")
_CLITIC = re.compile(r"(?:s|ll|d|ve|re)(?!\w)", re.IGNORECASE)


class NameScanner:
    """Finds known people in texts: @mentions, names (PhraseMatcher), names inside tokens."""

    def __init__(self, key: PseudonymKey, mentions: str):
        from spacy.matcher import PhraseMatcher

        self.key = key
        self.mentions = mentions
        self.nlp = _tokenizer()
        self.lower = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        self.orth = PhraseMatcher(self.nlp.vocab, attr="ORTH")
        self.single: dict[str, str] = {}  # norm of a one-word name -> key norm (for in-token segments)
        self.single_exact: dict[str, str] = {}
        stop = self.nlp.Defaults.stop_words
        self.skipped: list[str] = []
        patterns: dict[tuple[str, bool], list[str]] = {}
        for n, form, exact in key._match_names():
            f = form.translate(APOSTROPHES).strip().lstrip("@")
            if len(norm_name(f)) < 2 or norm_name(f) in stop or norm_name(f) in NON_NAMES:
                self.skipped.append(form)
                continue
            patterns.setdefault((n, exact), []).append(f)
            if not re.search(r"\s", f):
                (self.single_exact if exact else self.single)[f if exact else norm_name(f)] = n
            if not f.lower().endswith("s"):
                patterns.setdefault((n + "\x1fposs", exact), []).append(f + "s")
        for (label, exact), forms in patterns.items():
            docs = list(self.nlp.tokenizer.pipe(forms))
            (self.orth if exact else self.lower).add(label, docs)

    def _replacement(self, n: str) -> str:
        return self.key._entries[n]["pseudonym"]

    def _mention_norm(self, local: str, inst: str | None) -> str | None:
        if inst:
            n = self.key._resolve(local + inst)
            if n is not None:
                return n
        return self.key._resolve(local)

    def scan(self, text: str) -> list[Hit]:
        """Known people in ``text``: non-overlapping hits in order, each replaced by a pseudonym."""
        hits: list[Hit] = []
        # 1. @mentions (these win over names inside them)
        for m in _MENTION.finditer(text):
            n = self._mention_norm(m.group("local"), m.group("inst"))
            if n is None:
                continue
            hits.append(Hit(m.start(), m.end(), "mention", "@" + self._replacement(n)))
        # 2. names, on a copy with straight apostrophes (same length, same offsets)
        norm_text = text.translate(APOSTROPHES)
        doc = self.nlp.make_doc(norm_text)
        strings = self.nlp.vocab.strings
        covered: set[int] = set()
        for matcher in (self.orth, self.lower):
            for match_id, s, e in matcher(doc):
                label = strings[match_id]
                span = doc[s:e]
                start, end = span.start_char, span.end_char
                poss = label.endswith("\x1fposs")
                if poss:
                    label = label[: -len("\x1fposs")]
                    # "Sams'" is Sam's possessive only before an apostrophe
                    if not norm_text.startswith("'", end) or _WORDCHAR.match(norm_text, end + 1):
                        continue
                if not self._bounded(norm_text, start, end):
                    continue
                hits.append(Hit(start, end, "name", self._replacement(label)))
                covered.update(range(s, e))
        # 3. names glued inside tokens: twitter.com/crys_tom/..., sam.jones@..., Sam/Jo
        for tok in doc:
            if tok.i in covered or tok.is_alpha or len(tok) < 3:
                continue
            base = tok.idx
            for m in [*_DOTTED.finditer(tok.text), *_SEGMENT.finditer(tok.text)]:
                seg = m.group(0)
                n = self.single_exact.get(seg) or self.single.get(norm_name(seg))
                if n is None:
                    continue
                s, e = base + m.start(), base + m.end()
                if self._bounded(norm_text, s, e):
                    hits.append(Hit(s, e, "name", self._replacement(n)))
        return resolve_overlaps(hits)

    @staticmethod
    def _bounded(text: str, start: int, end: int) -> bool:
        """Not part of a longer word; a possessive or contraction (``Sam's``, ``Sams'``) is fine."""
        if start > 0 and _WORDCHAR.match(text, start - 1):
            return False
        if start > 1 and text[start - 1] == "'" and _WORDCHAR.match(text, start - 2):
            return False  # "Brien" inside "O'Brien"
        if end < len(text) and _WORDCHAR.match(text, end):
            return False
        if end + 1 < len(text) and text[end] == "'" and _WORDCHAR.match(text, end + 1):
            # "Sam's", "Sam'll" are Sam; "Don't" is not Don
            return _CLITIC.match(text, end + 1) is not None
        return True


def _people_in_extra(units: pd.DataFrame, authors: pd.Series, key: PseudonymKey) -> None:
    """People named outright in ``extra``: another name of the author (an alias), or another person."""
    others: list[tuple[str, str | None, str]] = []
    for a, value in zip(authors, units["extra"]):
        if value is None or (not isinstance(value, (dict, list, str))):
            continue
        author = None if is_missing(a) or norm_name(a) in NON_NAMES else str(a)
        for alias in person_values(value, AUTHOR_KEYS):
            n = norm_name(alias)
            if not n or n in NON_NAMES or key._resolve(alias) is not None:
                continue
            if author is not None and key._resolve(author) is not None:
                key.add_alias(author, alias)
            else:
                others.append((alias, None, "author"))
        others.extend((p, None, "mention") for p in person_values(value, PERSON_KEYS))
    key._assign(others)


def pseudonymise(
    units: pd.DataFrame,
    key: PseudonymKey | None = None,
    *,
    columns: Sequence[str] | None = None,
    mentions: str = "all",
    role_column: str = "author_role",
) -> PrivacyResult:
    """Replace authors, @mentions and author names quoted in texts by stable pseudonyms.

    Parameters
    ----------
    units : DataFrame
        A units table (``unit_id``, ``author``, ``text``, ...); it is not modified.
    key : PseudonymKey, optional
        The key to use and extend; a new one when omitted (``result.key``; save it!).
        People new to the key get the next pseudonyms; known people keep theirs.
    columns : sequence of str, optional
        Text columns in which names are replaced, where present (offsets tracked for
        ``text``); by default every column that may hold text: ``text``, ``title``,
        ``url``, ``content_warning``, ``extra`` and any other text column. In ``extra``
        every string is searched, and the values that name a person outright (a display
        name, a DID, ``in_reply_to``: see :data:`~workbench.privacy._extra.AUTHOR_KEYS`)
        are replaced whole by that person's pseudonym.
    mentions : {"all", "authors"}
        ``all``: every ``@handle`` in the texts gets a pseudonym too (mentioned people are
        people); ``authors``: only handles of known people (leave the rest to :func:`redact`).
    role_column : str
        Column giving the role for role-aware keys.

    Returns
    -------
    PrivacyResult
        New units (``author`` holds pseudonyms), the report (kinds ``author``,
        ``mention``, ``name``), text edits per unit, and the key.

    Notes
    -----
    Names are matched with spaCy's ``PhraseMatcher`` over the tokens, case-insensitively
    (unless the key says otherwise, :meth:`PseudonymKey.set_matching`), also in the
    possessive (``Sam's``, ``Sam’s``, ``Sams'``), never inside another word
    (``Samuel``), and also inside URLs and e-mail addresses
    (``twitter.com/crys_tom/status``). Names of one letter, stop words (``me``) and
    :data:`NON_NAMES` (``anonymous``, ``[deleted]``) are not looked for in texts. A
    name that is also an ordinary word (``Sectioned``) is replaced wherever the word
    occurs: check the report.

    Examples
    --------
    >>> from workbench.corpus import make_units
    >>> units = make_units([
    ...     {"unit_id": "1", "thread_id": "t", "author": "Sam", "text": "I was restrained."},
    ...     {"unit_id": "2", "thread_id": "t", "parent_id": "1", "author": "Nurse Ann",
    ...      "text": "@sam we're not all like that. Ask Sam's GP, or sam.jones@example.org"},
    ... ])
    >>> key = PseudonymKey()
    >>> key.pseudonym_for("Sam"), key.pseudonym_for("Nurse Ann")
    ('P001', 'P002')
    >>> result = pseudonymise(units, key)
    >>> result.units["author"].tolist()
    ['P001', 'P002']
    >>> result.units.loc[1, "text"]
    "@P001 we're not all like that. Ask P001's GP, or P001.jones@example.org"
    >>> units.loc[1, "author"]          # the input is untouched
    'Nurse Ann'
    """
    _check_units(units, where="pseudonymise")
    if mentions not in ("all", "authors"):
        raise ValueError(f"mentions must be 'all' or 'authors', not {mentions!r}")
    if key is None:
        key = PseudonymKey()
    elif not isinstance(key, PseudonymKey):
        raise TypeError(f"key must be a PseudonymKey (PseudonymKey.load(path)), not {type(key).__name__}")

    authors = units["author"] if "author" in units.columns else pd.Series([""] * len(units), index=units.index)
    roles = units[role_column] if role_column in units.columns else pd.Series([None] * len(units), index=units.index)
    # 1. everybody new gets a pseudonym first (authors, then mentioned people)
    people: list[tuple[str, str | None, str]] = []
    first_role: dict[str, Any] = {}
    for a, r in zip(authors, roles):
        if is_missing(a):
            continue
        n = norm_name(a)
        if n not in first_role or (is_missing(first_role[n]) and not is_missing(r)):
            first_role[n] = r
        people.append((str(a), None, "author"))
    key._assign((a, first_role.get(norm_name(a)), kind) for a, _, kind in people)
    cols = _text_columns(units, columns)
    if "extra" in cols:
        _people_in_extra(units, authors, key)
    if mentions == "all":
        found = []
        for column in cols:
            for value in units[column]:
                for text in leaves(value) if isinstance(value, (dict, list)) or column == "extra" else [value]:
                    if not isinstance(text, str) or "@" not in text:
                        continue
                    for m in _MENTION.finditer(text):
                        if key._resolve(m.group("local")) is None and (
                            not m.group("inst") or key._resolve(m.group("local") + m.group("inst")) is None
                        ):
                            found.append((m.group("local") + (m.group("inst") or ""), None, "mention"))
        key._assign(found)

    # 2. the author column
    rows: list[dict[str, Any]] = []
    scanner = NameScanner(key, mentions)
    if scanner.skipped:
        warnings.warn(
            f"these names are too short or too common to look for in texts and were only replaced "
            f"in the author column: {sorted(set(scanner.skipped))[:20]}",
            UserWarning,
            stacklevel=2,
        )
    units_in = units
    if "author" in units.columns:
        units_in = units.copy()
        new_authors = []
        for uid, a in zip(units["unit_id"].astype(str), authors):
            p = None if is_missing(a) else key.lookup(str(a))
            if p is None:
                new_authors.append(a)
                continue
            new_authors.append(p)
            rows.append(
                {"unit_id": uid, "column": "author", "kind": "author", "original": str(a), "replacement": p,
                 "start": None, "end": None, "new_start": None, "new_end": None}
            )
        units_in["author"] = pd.Series(new_authors, index=units.index, dtype=object)
    # 3. the texts
    def person(k: str | None, value: str) -> str | None:
        if k in AUTHOR_KEYS or k in PERSON_KEYS:
            return key.lookup(value)
        return None

    result = _process(units_in, cols, scanner.scan, key=key, rows=rows, person=person)
    # mark the table (pandas carries attrs through copies, filters and assign) so that a
    # publisher can tell it holds pseudonyms, not people
    result.units.attrs[PSEUDONYMISED_MARK] = key.key_id
    return result


