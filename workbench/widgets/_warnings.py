"""Content warnings: the terms that hide a unit's text until the coder opens it deliberately."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["DEFAULT_CONTENT_WARNINGS", "ContentWarnings"]

#: Content-warning terms used when neither the codebook nor the project lists any.
DEFAULT_CONTENT_WARNINGS: tuple[str, ...] = (
    "self-harm",
    "self harm",
    "suicide",
    "suicidal",
    "kill myself",
    "overdose",
    "abuse",
    "rape",
    "sexual assault",
)


class ContentWarnings:
    """Find content-warning terms in units: at the start of a word, ignoring case.

    Parameters
    ----------
    terms : iterable of str
        The terms (duplicates kept once, blank ones dropped); when there are none,
        :data:`DEFAULT_CONTENT_WARNINGS`.

    Examples
    --------
    >>> warn = ContentWarnings(["overdose", "self-harm"])
    >>> warn.find({"text": "After the Overdose I ..."}), warn.find({"text": "dosed"})
    (['overdose'], [])
    >>> warn.find({"text": "", "content_warning": "violence"})  # set on the unit itself
    ['violence']
    """

    def __init__(self, terms: Iterable[Any]) -> None:
        given = [str(x) for x in terms if str(x).strip()]
        self.terms: list[str] = list(dict.fromkeys(given or DEFAULT_CONTENT_WARNINGS))
        self._re = re.compile(
            r"(?<!\w)(" + "|".join(re.escape(x) for x in sorted(self.terms, key=len, reverse=True)) + ")",
            re.IGNORECASE,
        )

    def find(self, item: Mapping[str, Any]) -> list[str]:
        """The warnings a unit carries: its own ``content_warning`` and the terms in its text.

        Parameters
        ----------
        item : mapping
            A unit (``text``, optionally ``content_warning``).

        Returns
        -------
        list of str
            Each warning once, as the term is written in the list.
        """
        found = []
        if item.get("content_warning"):
            found.append(str(item["content_warning"]))
        for m in self._re.finditer(str(item.get("text") or "")):
            term = next((x for x in self.terms if x.lower() == m.group(1).lower()), m.group(1))
            found.append(term)
        return list(dict.fromkeys(found))
