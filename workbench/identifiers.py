"""Names people are known by in a project (coders, rounds, codes, codebooks): one rule for all.

A name is how the audit log, the reliability report and the coder's own screen say who
did what, so two names must never look alike. A name is

* text in Unicode normal form NFC, with surrounding white space removed;
* at most ``max_length`` characters (64 by default);
* free of control characters, invisible format characters (zero-width spaces and
  joiners, bidirectional overrides such as U+202E), private-use, unassigned and
  surrogate code points, line and paragraph separators, and every space but U+0020;
* distinct from every existing name of its kind after case folding and Unicode's
  confusable skeletons (UTS #39): ``"ALICE"``, ``"аlice"`` (Cyrillic а) and ``"al1ce"``
  are all the same person as ``"alice"``.

Round names may not be all digits, so that a round is never mistaken for a round id.

Examples
--------
>>> from workbench.identifiers import clean_name, new_name
>>> clean_name("  alice ", what="coder")
'alice'
>>> new_name("bob", ["alice"], what="coder")
'bob'
>>> new_name("ALICE", ["alice"], what="coder")
Traceback (most recent call last):
...
workbench.errors.IdentifierError: coder name 'ALICE' is too like the existing coder 'alice' (names are compared ignoring case and look-alike characters); choose another name or use 'alice'
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from confusables import is_confusable

from .errors import IdentifierError

__all__ = ["MAX_NAME_LENGTH", "clean_name", "looks_alike", "new_name"]

#: the default bound on a name's length, in characters
MAX_NAME_LENGTH = 64

# categories no name may hold: controls, format (zero-width, bidi), surrogates,
# private use, unassigned, line and paragraph separators
_REFUSED = {
    "Cc": "a control character",
    "Cf": "an invisible formatting character",
    "Cs": "a surrogate",
    "Co": "a private-use character",
    "Cn": "an unassigned code point",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}


def _describe(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X} {name}" if name else f"U+{ord(ch):04X}"


def clean_name(value: object, *, what: str, max_length: int = MAX_NAME_LENGTH, allow_digits: bool = True) -> str:
    r"""A name in its stored form (NFC, trimmed), or an error that says what is wrong with it.

    Parameters
    ----------
    value : str
        The name as given.
    what : str
        What it names (``"coder"``, ``"round"``, ``"code"``, ...), for the message.
    max_length : int
        The longest name allowed, in characters.
    allow_digits : bool
        Whether a name may consist of digits only (round names may not).

    Returns
    -------
    str
        The name, NFC-normalised and trimmed.

    Raises
    ------
    IdentifierError
        Empty, too long, all digits where refused, or holding a character no name may
        hold (the message names the character and its position).

    Examples
    --------
    >>> clean_name("ali\u200bce", what="coder")
    Traceback (most recent call last):
    ...
    workbench.errors.IdentifierError: coder name 'ali\u200bce' holds U+200B ZERO WIDTH SPACE at position 4, an invisible formatting character; names may hold letters, digits, punctuation and plain spaces
    """
    if not isinstance(value, str):
        raise IdentifierError(f"a {what} name must be text, not {type(value).__name__}: e.g. 'alice'")
    name = unicodedata.normalize("NFC", value).strip(" ")
    for i, ch in enumerate(name):
        cat = unicodedata.category(ch)
        reason = _REFUSED.get(cat)
        if reason is None and cat == "Zs" and ch != " ":
            reason = "a space other than the plain space"
        if reason is not None:
            raise IdentifierError(
                f"{what} name {value!r} holds {_describe(ch)} at position {i + 1}, {reason}; "
                "names may hold letters, digits, punctuation and plain spaces"
            )
    if not name:
        raise IdentifierError(f"a {what} needs a non-empty name, e.g. 'alice'")
    if len(name) > max_length:
        raise IdentifierError(
            f"{what} name {name[:20]!r}... is {len(name)} characters long; the limit is {max_length}"
        )
    if not allow_digits and name.isdigit():
        raise IdentifierError(
            f"{what} name {name!r} is all digits and would be read as an id; add a letter, e.g. '{what}-{name}'"
        )
    if "  " in name:
        raise IdentifierError(f"{what} name {name!r} holds two spaces in a row; use one")
    return name


def _key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold()


def looks_alike(a: str, b: str) -> bool:
    r"""Whether two names would be taken for the same by a reader.

    Compared after NFKC normalisation and case folding, then by Unicode's confusable
    mappings (UTS #39, via the ``confusables`` package).

    Parameters
    ----------
    a, b : str
        Two names.

    Returns
    -------
    bool
        True when they are equal or confusable.

    Examples
    --------
    >>> looks_alike("alice", "Alice"), looks_alike("alice", "\u0430lice"), looks_alike("alice", "alex")
    (True, True, False)
    """
    ka, kb = _key(a), _key(b)
    return ka == kb or bool(is_confusable(ka, kb))


def new_name(
    value: object,
    existing: Iterable[str],
    *,
    what: str,
    max_length: int = MAX_NAME_LENGTH,
    allow_digits: bool = True,
) -> str:
    """Check a name against the rules and against the names already taken.

    A name identical to an existing one (after NFC and trimming) is returned as it is,
    so that adding the same coder twice stays idempotent; one that merely looks like an
    existing name is refused.

    Parameters
    ----------
    value : str
        The name as given.
    existing : iterable of str
        The names of this kind already in the project.
    what : str
        What it names, for the message.
    max_length : int
        The longest name allowed.
    allow_digits : bool
        Whether an all-digit name is allowed.

    Returns
    -------
    str
        The cleaned name.

    Raises
    ------
    IdentifierError
        The name breaks a rule of :func:`clean_name` or looks like an existing name.
    """
    name = clean_name(value, what=what, max_length=max_length, allow_digits=allow_digits)
    for other in existing:
        if other == name:
            return name
    for other in existing:
        if looks_alike(name, other):
            raise IdentifierError(
                f"{what} name {name!r} is too like the existing {what} {other!r} (names are compared "
                f"ignoring case and look-alike characters); choose another name or use {other!r}"
            )
    return name
