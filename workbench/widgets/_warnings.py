"""Content warnings: the terms that hide a unit's text until the coder opens it deliberately."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["DEFAULT_CONTENT_WARNINGS", "ContentWarnings", "OpenedPosts", "check_break_minutes"]

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


class OpenedPosts:
    """The posts a coder opened behind a content warning, kept while they stay in one thread.

    Each post is opened on its own and deliberately; what is opened stays open on the next
    units of the same thread, and a unit of another thread starts with everything hidden
    again.

    Examples
    --------
    >>> opened = OpenedPosts()
    >>> opened.enter("t1")
    >>> on_screen = {"root": ["overdose"], "reply": []}
    >>> opened.open("root", on_screen), "root" in opened
    (True, True)
    >>> opened.open("reply", on_screen)  # nothing hides it: nothing to open
    False
    >>> opened.enter("t1"); "root" in opened  # the next unit of the same thread
    True
    >>> opened.enter("t2"); "root" in opened
    False
    >>> opened.open("elsewhere", on_screen)
    Traceback (most recent call last):
    ...
    ValueError: post 'elsewhere' is not on screen; posts on screen: 'root', 'reply'
    """

    def __init__(self) -> None:
        self.thread: str | None = None
        self.ids: list[str] = []

    def enter(self, thread_id: str) -> None:
        """A unit of ``thread_id`` is shown: another thread than before closes every post.

        Parameters
        ----------
        thread_id : str
            The thread of the unit on screen.
        """
        if thread_id != self.thread:
            self.thread, self.ids = thread_id, []

    def open(self, unit_id: Any, on_screen: Mapping[str, Sequence[str]]) -> bool:
        """Open the post ``unit_id``, one of the posts on screen.

        Parameters
        ----------
        unit_id : str
            The post to open (sent by the page: checked here).
        on_screen : mapping of str to list of str
            The posts on screen (the unit and its context) and the warnings of each.

        Returns
        -------
        bool
            Whether the post was opened now (False when nothing hides it or it is open).

        Raises
        ------
        TypeError
            ``unit_id`` is not a string.
        ValueError
            ``unit_id`` is not one of the posts on screen.
        """
        if not isinstance(unit_id, str):
            raise TypeError(f"the post to open is named by its unit id (a string), not {unit_id!r}")
        if unit_id not in on_screen:
            posts = ", ".join(repr(u) for u in on_screen) or "none"
            raise ValueError(f"post {unit_id!r} is not on screen; posts on screen: {posts}")
        if not on_screen[unit_id] or unit_id in self.ids:
            return False
        self.ids.append(unit_id)
        return True

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self.ids


def check_break_minutes(value: object, setting: object = 0) -> float:
    """The break reminder's minutes: ``value``, else the project's ``setting``; 0 is off.

    Parameters
    ----------
    value : float or None
        Minutes given to the panel (``None``: use ``setting``).
    setting : float, optional
        The project's ``break_minutes`` setting.

    Returns
    -------
    float

    Examples
    --------
    >>> check_break_minutes(None, 25), check_break_minutes(0)
    (25.0, 0.0)
    """
    if value is None:
        value = float(setting or 0)  # type: ignore[arg-type]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"break_minutes is a number of minutes (0 for no reminder), not {value!r}")
    if value < 0:
        raise ValueError(f"break_minutes must be 0 (off) or a number of minutes, not {value!r}")
    return float(value)
