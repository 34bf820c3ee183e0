"""Contact data in texts: URLs, e-mail addresses, phone numbers and platform handles.

The patterns behind :func:`workbench.privacy.redact` and
:func:`workbench.privacy.find_redactions`, and the placeholders that replace what they find.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

from .edits import Hit, resolve_overlaps

__all__ = ["REDACTION_KINDS", "PLACEHOLDERS", "check_kinds", "scan_contacts"]

#: The kinds of contact data :func:`~workbench.privacy.redact` knows, in the order they take precedence.
REDACTION_KINDS: tuple[str, ...] = ("email", "url", "phone", "handle")

#: Default placeholders, by kind.
PLACEHOLDERS: dict[str, str] = {
    "url": "[URL]",
    "email": "[EMAIL]",
    "phone": "[PHONE]",
    "handle": "[HANDLE]",
    "name": "[NAME]",
}

# Bare domains (no scheme, no www.) are recognised only with common top-level domains;
# those that are also English words (``ok.it``, ``you.me``) only when a path follows.
_TLDS = "com|org|net|edu|gov|mil|uk|ie|io|info|biz|ly|nz|au|ca|eu|fr|nl|app|dev|blog|social|online|site"
_WORD_TLDS = "co|us|be|it|in|no|at|de|es|me|se|ch|is|to|so|am|tv|fm"
_LABEL = r"(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+"
_URL = re.compile(
    r"(?<![\w@.\-/])(?:"
    r"(?:https?|ftp)://[^\s<>\"]+"
    r"|www\.[^\s<>\"]+"
    r"|" + _LABEL + r"(?:" + _TLDS + r")(?![\w\-@])(?:/[^\s<>\"]*)?"
    r"|" + _LABEL + r"(?:" + _WORD_TLDS + r")/[^\s<>\"]*"
    r")",
    re.IGNORECASE,
)
_EMAIL = re.compile(
    r"(?<![\w.+\-@])(?:mailto:)?[A-Za-z0-9][A-Za-z0-9._%+\-]*@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}(?![\w@])"
)
_HANDLE = re.compile(
    r"(?<![\w@/.])@[A-Za-z0-9_]{1,30}(?:@(?:[A-Za-z0-9\-]+\.)+[A-Za-z]{2,})?(?![\w@])"
    r"|(?<![\w/])/?u/[A-Za-z0-9_\-]{3,20}(?![\w\-/])"
)
_SEP = r"[ .\-\u00a0]"
_PHONE = re.compile(
    r"(?<![\w+(])(?:"
    r"(?P<intl>\+\d{1,3}(?:" + _SEP + r"?\(0\))?(?:" + _SEP + r"?\(?\d{1,5}\)?){1,6})"
    r"|(?P<uk>\(?0\d{2,5}\)?(?:" + _SEP + r"?\d{2,5}){1,4})"
    r"|(?P<nanp>\(\d{3}\)" + _SEP + r"?\d{3}[ .\-]\d{4}|\d{3}[.\-]\d{3}[.\-]\d{4})"
    r")(?![\w])"
)
_PHONE_DIGITS = {"intl": (8, 15), "uk": (10, 11), "nanp": (10, 10)}


def _phone_ok(candidate: str, kind: str) -> bool:
    if candidate.count("(") != candidate.count(")"):
        return False
    digits = len(re.sub(r"\D", "", candidate.replace("(0)", "")))
    lo, hi = _PHONE_DIGITS[kind]
    return lo <= digits <= hi


def _phones(text: str) -> Iterator[tuple[int, int]]:
    for m in _PHONE.finditer(text):
        kind = m.lastgroup or "uk"
        cand = m.group(0)
        # Too many digits? Drop trailing groups ("0161 496 0000 12 times" -> the number).
        while cand and not _phone_ok(cand, kind):
            cut = max(cand.rfind(" "), cand.rfind("-"), cand.rfind("."), cand.rfind("\u00a0"))
            if cut <= 0:
                cand = ""
                break
            cand = cand[:cut]
        if cand:
            yield m.start(), m.start() + len(cand)


def _trim_url(url: str) -> str:
    while url:
        last = url[-1]
        if last in ".,;:!?'\"\u2019\u201d\u2026*":
            url = url[:-1]
        elif last == ")" and url.count("(") < url.count(")"):
            url = url[:-1]
        elif last == "]" and url.count("[") < url.count("]"):
            url = url[:-1]
        else:
            break
    return url


def check_kinds(kinds: Iterable[str] | str) -> tuple[str, ...]:
    """The kinds as a tuple, each one of :data:`REDACTION_KINDS` (ValueError naming them otherwise)."""
    if isinstance(kinds, str):
        kinds = (kinds,)
    kinds = tuple(kinds)
    bad = [k for k in kinds if k not in REDACTION_KINDS]
    if bad:
        raise ValueError(f"unknown redaction kind(s) {bad}; valid kinds: {list(REDACTION_KINDS)}")
    return kinds


def scan_contacts(
    text: str, kinds: tuple[str, ...], placeholders: Mapping[str, str] | None, keep: set[str]
) -> list[Hit]:
    """Contact data in ``text``: non-overlapping hits in order (matches in ``keep`` left alone)."""
    ph = {**PLACEHOLDERS, **(placeholders or {})}
    hits: list[Hit] = []
    for kind in REDACTION_KINDS:  # precedence order
        if kind not in kinds:
            continue
        spans: Iterable[tuple[int, int]]
        if kind == "email":
            spans = ((m.start(), m.end()) for m in _EMAIL.finditer(text))
        elif kind == "url":
            spans = ((m.start(), m.start() + len(_trim_url(m.group(0)))) for m in _URL.finditer(text))
        elif kind == "phone":
            spans = _phones(text)
        else:
            spans = ((m.start(), m.end()) for m in _HANDLE.finditer(text))
        for s, e in spans:
            if e > s and text[s:e] not in keep:
                hits.append(Hit(s, e, kind, ph[kind]))
    return resolve_overlaps(hits)


