"""What must not be published, where it is replaced, and the guard that checks the finished page.

:func:`collect_terms` gives everybody in the units tables a pseudonym (in the study's
:class:`~workbench.privacy.PseudonymKey`) and lists every raw value to replace: names and
handles (also the name and handle inside ``Lisa Rodrigues (@LisaSaysThis)``), URLs,
e-mail addresses, phone numbers and Reddit handles from the texts. :class:`Terms` replaces
them as whole words, ignoring case, also in their HTML- and JSON-escaped forms;
:func:`pseudonymise_notebook` applies it to every cell, output and widget state, and
:func:`find_leaks` searches the finished page once more (the guard).

Examples
--------
>>> [str(leak) for leak in find_leaks("<p>Thanks, sam&#x27;s GP</p>", ["Sam"])]
["name 'Sam' in page: …<p>Thanks, sam&#x27;s GP</p>…"]
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..privacy import NON_NAMES, PLACEHOLDERS, PseudonymKey, find_redactions
from ..privacy import pseudonymise as _pseudonymise_units
from .kernel import UNIT_COLUMNS

if TYPE_CHECKING:  # pragma: no cover
    import nbformat

__all__ = ["Leak", "Terms", "collect_terms", "find_leaks", "guard_view", "is_pseudonym", "pseudonymise_notebook"]

_CONTACT_KINDS = ("email", "url", "phone", "handle")
_BINARY_MIMES = ("image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf")


@dataclass(frozen=True)
class Leak:
    """A raw name, handle, URL or e-mail address found in a page about to be published.

    ``where`` is ``"cell 3"`` (the third cell of the notebook), ``"widget state"`` or
    ``"page"``; ``excerpt`` shows it in context (it holds the raw value: do not publish it).
    """

    term: str
    kind: str
    where: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.kind} {self.term!r} in {self.where}: …{self.excerpt}…"


# --- sensitive terms ----------------------------------------------------------------------
_APOSTROPHE = r"(?:['\u2019\u2018\u02bc\uff07]|&#x27;|&#39;|&apos;|&rsquo;|\\u2019)"
_SPACE = r"(?:\s|&nbsp;|&#160;|\\u00a0)+"


def _char_pattern(ch: str) -> str:
    if ch in "'\u2019\u2018\u02bc\uff07":
        return _APOSTROPHE
    if ch.isspace():
        return _SPACE
    if ch == "&":
        return r"(?:&amp;|&#38;|\\u0026|&)"
    if ch == '"':
        return r"(?:&quot;|&#34;|\\\"|\")"
    if ch == "<":
        return r"(?:&lt;|\\u003c|<)"
    if ch == ">":
        return r"(?:&gt;|\\u003e|>)"
    if ch == "/":
        return r"(?:\\?/)"
    if ord(ch) > 127:
        code = ord(ch)
        forms = [re.escape(ch), f"&#{code};", f"&#x{code:x};", f"&#x{code:X};"]
        if code <= 0xFFFF:
            forms += [f"\\\\u{code:04x}", f"\\\\u{code:04X}"]
        return "(?:" + "|".join(forms) + ")"
    return re.escape(ch)


def _term_pattern(term: str) -> str:
    """A pattern for ``term`` as a whole word, also in its HTML- and JSON-escaped forms."""
    body = "".join(_char_pattern(c) for c in term.strip())
    return r"(?<![\w])" + body + r"(?![\w])"


class Terms:
    """Raw values that must not be published, each with what replaces it."""

    def __init__(self) -> None:
        self.replacement: dict[str, str] = {}  # surface form -> pseudonym or placeholder
        self.kind: dict[str, str] = {}  # surface form -> "name", "url", ...
        self.exact: set[str] = set()  # matched with their case (short names, stop words)
        self.urls: set[str] = set()

    def add(self, term: Any, replacement: str, kind: str, *, exact: bool = False) -> None:
        """Replace ``term`` by ``replacement``; ``exact`` matches it with its case only.

        Terms shorter than two characters, non-names and the replacement itself are left alone.
        """
        if not isinstance(term, str):
            return
        term = term.strip()
        if len(term) < 2 or term.casefold() in NON_NAMES or term == replacement:
            return
        if term in self.replacement:
            return
        self.replacement[term] = replacement
        self.kind[term] = kind
        if exact:
            self.exact.add(term)
        if kind == "url":
            self.urls.add(term.casefold())

    def __len__(self) -> int:
        return len(self.replacement)

    def __bool__(self) -> bool:
        return bool(self.replacement)

    @property
    def regexes(self) -> list[tuple[re.Pattern[str], dict[str, str]]]:
        """The compiled patterns, each with the group name of every term."""
        return self._compiled()

    def _compiled(self) -> list[tuple[re.Pattern[str], dict[str, str]]]:
        cached = getattr(self, "_cache", None)
        if cached is not None and cached[0] == len(self.replacement):
            return cached[1]
        out = []
        for exact in (False, True):
            terms = sorted((t for t in self.replacement if (t in self.exact) == exact), key=len, reverse=True)
            if not terms:
                continue
            groups = "|".join(f"(?P<t{i}>{_term_pattern(t)})" for i, t in enumerate(terms))
            # a look-ahead on the possible first characters lets the scan skip most positions
            first = set()
            for t in terms:
                c = t.strip()[0]
                first.update({c, c.lower(), c.upper()} if c.isascii() and c.isalnum() else {c, "&", "\\"})
            lead = "[" + "".join(re.escape(c) for c in sorted(first)) + "]"
            flags = 0 if exact else re.IGNORECASE
            regex = re.compile(f"(?={lead})(?:{groups})", flags)
            out.append((regex, {f"t{i}": t for i, t in enumerate(terms)}))
        self._cache = (len(self.replacement), out)
        return out

    def sub(self, text: str) -> str:
        """``text`` with every term replaced (whole words, escaped forms too)."""
        if not text or not self.replacement:
            return text
        for regex, names in self._compiled():

            def replace(m: re.Match[str], names: dict[str, str] = names) -> str:
                return self.replacement[names[str(m.lastgroup)]]

            text = regex.sub(replace, text)
        if self.urls and ("/" in text or "." in text):
            text = self._truncated_urls(text)
        return text

    def _truncated_urls(self, text: str) -> str:
        """Shortened URLs (``https://twitter.com/som...`` in a DataFrame repr) -> ``[URL]``."""
        hits = []
        for start, end, _kind, _ph in find_redactions(text, ("url",)):
            found = text[start:end]
            stem = re.sub(r"(?:\.\.\.|\u2026)+$", "", found).casefold()
            if len(stem) >= 12 and any(u.startswith(stem) for u in self.urls):
                hits.append((start, end))
        for start, end in reversed(hits):
            text = text[:start] + PLACEHOLDERS["url"] + text[end:]
        return text

    def find(self, text: str) -> Iterator[tuple[str, int, int]]:
        """Every hit in ``text``: the term, its start and its end."""
        for regex, names in self._compiled():
            for m in regex.finditer(text):
                yield names[str(m.lastgroup)], m.start(), m.end()


def _stop_words() -> frozenset[str]:
    try:
        from spacy.lang.en.stop_words import STOP_WORDS
    except ImportError:  # pragma: no cover - spaCy is a dependency
        return frozenset()
    return frozenset(STOP_WORDS)


_ROLE_PSEUDONYM = re.compile(r"[A-Z][a-z]+(?:-[A-Z][a-z]+)*-\d{2}")


def is_pseudonym(value: str, key: PseudonymKey) -> bool:
    """Whether ``value`` is a pseudonym: one of ``key``'s, or of the form a key gives.

    The form is that of ``key``'s numbered scheme (``P`` and at least three digits by default:
    ``P013``) or of the role scheme (``Professional-01``). A notebook that pseudonymised its
    data with the study's key shows such values; they are not names to hide, even when
    ``publish`` runs with another (new) key.

    Parameters
    ----------
    value : str
        An author or handle as shown.
    key : PseudonymKey
        The key publishing uses.

    Returns
    -------
    bool

    Examples
    --------
    >>> key = PseudonymKey()
    >>> [is_pseudonym(v, key) for v in ("P013", "Patient-01", "Lisa", "P1", "Pat2000x")]
    [True, True, False, False, False]
    """
    value = value.strip()
    if value in key.pseudonyms():
        return True
    numbered = re.escape(key.prefix) + r"\d{" + str(int(key.width)) + ",}"
    return bool(re.fullmatch(numbered, value) or _ROLE_PSEUDONYM.fullmatch(value))


def collect_terms(frames: Sequence[pd.DataFrame], key: PseudonymKey) -> Terms:
    """Give everybody in ``frames`` a pseudonym (in ``key``) and list what to replace."""
    terms = Terms()
    tables = []
    for frame in frames:
        cols = [c for c in UNIT_COLUMNS if c in frame.columns]
        if "author" not in cols and "text" not in cols:
            continue
        table = frame[cols].copy()
        for col in UNIT_COLUMNS:
            if col not in table.columns:
                table[col] = None
        tables.append(table[list(UNIT_COLUMNS)])
    if not tables:
        return terms
    units = pd.concat(tables, ignore_index=True)
    units["unit_id"] = [f"u{i}" for i in range(len(units))]
    # values that are already pseudonyms (of this key, or of the form a study's key gives, e.g. the P013
    # a notebook's own pseudonymisation made) are not people to hide
    units["author"] = [None if isinstance(a, str) and is_pseudonym(a, key) else a for a in units["author"]]
    for col in ("author", "text", "title"):
        units[col] = [v if isinstance(v, str) else None for v in units[col]]
    units["author_role"] = [r if isinstance(r, str) else None for r in units["author_role"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "too short to look for": handled here
        _pseudonymise_units(units.assign(text=units["text"].fillna("")), key, columns=("text", "title"))
    stop = _stop_words()
    # every person in the key (also those of earlier exports) is replaced
    mapping = key.mapping()
    for name, pseudonym, aliases in zip(mapping["name"], mapping["pseudonym"], mapping["aliases"]):
        forms = [name, *[a for a in str(aliases or "").split("; ") if a]]
        for form in forms:
            bare = form.strip().lstrip("@").strip()
            if is_pseudonym(bare, key):
                continue  # "@P013" in a text the notebook pseudonymised: not a person to hide
            exact = len(bare) < 3 or bare.casefold() in stop
            terms.add(bare, pseudonym, "name", exact=exact)
    for column in ("text", "title"):
        for text in units[column].dropna():
            if not text:
                continue
            for start, end, kind, placeholder in find_redactions(text, _CONTACT_KINDS):
                found = text[start:end]
                handle = found.lstrip("@").split("@")[0]
                if kind == "handle" and (key.lookup(handle) is not None or is_pseudonym(handle, key)):
                    continue  # a known person (the pseudonym takes its place), or a pseudonym already
                terms.add(found, placeholder, kind)
                if kind == "email" and found.lower().startswith("mailto:"):
                    terms.add(found[7:], placeholder, kind)
    return terms


# --- rewriting the notebook --------------------------------------------------------------
def _walk(value: Any, fix, *, skip: frozenset[str] = frozenset()) -> Any:
    """``value`` with ``fix`` applied to every string in it (dict keys too)."""
    if isinstance(value, str):
        return fix(value)
    if isinstance(value, list):
        return [_walk(v, fix, skip=skip) for v in value]
    if isinstance(value, dict):
        out = type(value)() if type(value) is not dict else {}
        for k, v in value.items():
            out[fix(k) if isinstance(k, str) else k] = v if k in skip else _walk(v, fix, skip=skip)
        return out
    return value


def pseudonymise_notebook(nb: nbformat.NotebookNode, terms: Terms) -> None:
    """Replace every term in the notebook, in place.

    Cell sources, outputs (text, errors, every MIME type but binary images and PDF), widget
    state and the notebook's metadata.

    Parameters
    ----------
    nb : NotebookNode
        The notebook.
    terms : Terms
        What to replace (:func:`collect_terms`).

    Returns
    -------
    None
    """
    import nbformat

    fix = terms.sub
    for cell in nb.cells:
        cell.source = fix(cell.source)
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = _walk(output["text"], fix)
            for field in ("ename", "evalue", "traceback"):
                if field in output:
                    output[field] = _walk(output[field], fix)
            if "data" in output:
                data = output["data"]
                for mime in list(data):
                    if mime not in _BINARY_MIMES:
                        data[mime] = _walk(data[mime], fix)
    meta = nb.metadata
    widgets = meta.get("widgets", {})
    for state in widgets.values():
        models = state.get("state", {}) if isinstance(state, dict) else {}
        for model in models.values():
            if isinstance(model, dict) and "state" in model:
                model["state"] = _walk(model["state"], fix)
    rest = {k: v for k, v in meta.items() if k != "widgets"}
    nb.metadata = nbformat.from_dict({**_walk(rest, fix), **({"widgets": widgets} if widgets else {})})


# --- the guard ---------------------------------------------------------------------------
_VENDOR_BLOCK = re.compile(r"<script[^>]*\bdata-wb-vendor=\"[^\"]+\"[^>]*>.*?</script>", re.DOTALL)
_DATA_URI = re.compile(r"data:[\w.+\-/]+;base64,[A-Za-z0-9+/=\s]+")
_CELL_START = re.compile(r"<div\b[^>]*\bclass=\"jp-Cell[\s\"]")
_STATE_START = re.compile(r"<script type=\"application/vnd\.jupyter\.widget-state\+json\">")


def _blank(match: re.Match[str]) -> str:
    return " " * (match.end() - match.start())


def guard_view(page: str) -> str:
    """The page with vendored JavaScript and base64 data blanked (same length, same offsets)."""
    return _DATA_URI.sub(_blank, _VENDOR_BLOCK.sub(_blank, page))


def _where(page: str, offset: int) -> str:
    state = _STATE_START.search(page)
    if state and offset >= state.start():
        return "widget state"
    cells = [m.start() for m in _CELL_START.finditer(page)]
    before = [c for c in cells if c <= offset]
    return f"cell {len(before)}" if before else "page"


def _find_outside_vendored(page: str, view: str, terms: Terms) -> Iterator[tuple[str, int, int]]:
    """Hits of ``terms`` in ``view``, skipping the (blanked) vendored blocks quickly."""
    pos = 0
    for block in _VENDOR_BLOCK.finditer(page):
        for term, s, e in terms.find(view[pos : block.start()]):
            yield term, pos + s, pos + e
        pos = block.end()
    for term, s, e in terms.find(view[pos:]):
        yield term, pos + s, pos + e


def find_leaks(page: str, terms: Iterable[str] | Terms) -> list[Leak]:
    """Raw values still in a page: each whole-word, case-insensitive hit of ``terms``.

    Vendored JavaScript (``<script data-wb-vendor=...>``) and base64 data are not
    searched. Used by :func:`publish` as its last check; usable on any HTML file.

    Parameters
    ----------
    page : str
        The HTML.
    terms : iterable of str
        Names, handles, URLs, e-mail addresses that must not appear.

    Examples
    --------
    >>> find_leaks("<p>Thanks, P001!</p>", ["Sam"])
    []
    >>> [str(leak) for leak in find_leaks("<p>Thanks, sam&#x27;s GP</p>", ["Sam"])]
    ["name 'Sam' in page: …<p>Thanks, sam&#x27;s GP</p>…"]
    """
    if not isinstance(terms, Terms):
        words = terms
        terms = Terms()
        for word in words:
            kind = "url" if "://" in str(word) or str(word).startswith("www.") else "email" if "@" in str(word)[1:] else "name"
            terms.add(word, "", kind, exact=False)
    view = guard_view(page)
    leaks = []
    seen: set[tuple[str, str]] = set()
    for term, start, end in _find_outside_vendored(page, view, terms):
        where = _where(page, start)
        if (term, where) in seen:
            continue
        seen.add((term, where))
        excerpt = re.sub(r"\s+", " ", view[max(0, start - 40) : end + 40]).strip()
        leaks.append(Leak(term, terms.kind.get(term, "name"), where, excerpt))
    return leaks


