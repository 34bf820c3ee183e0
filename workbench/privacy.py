"""Privacy: pseudonymise authors and mentions, redact contact data, export safely.

Posts about mental-health care are special-category personal data. This module keeps
the people who wrote them (and the people they mention) out of everything the
workbench publishes:

* :func:`pseudonymise` gives every author a stable pseudonym (``P017``, or role-aware
  such as ``Professional-04``) and replaces ``@mentions`` and author names quoted in
  the texts by the same pseudonyms. The mapping lives in a :class:`PseudonymKey`, a
  JSON key file kept apart from the project (mode 0600), so that re-identification
  needs the key.
* :func:`redact` replaces URLs, e-mail addresses, phone numbers and platform handles by
  typed placeholders (``[URL]``, ``[EMAIL]``, ``[PHONE]``, ``[HANDLE]``).
* :func:`propose_names` lists person names found by a trained spaCy pipeline with NER,
  for the researcher to accept or reject (:func:`apply_names`); nothing is replaced
  silently, and without such a pipeline it raises :class:`NERUnavailableError`.
* :func:`mark_pseudonymised`, :func:`privacy_state` and :func:`export_view` record
  whether a project holds raw or pseudonymised data and give exporters (CSV, XLSX,
  REFI-QDA, HTML reports) a view that is pseudonymised unless the caller asks for raw
  data *and* shows the key.

Every change is recorded in a tidy report (one row per replacement) and as a list of
:class:`TextEdit` per unit, so that character offsets of codings made on the original
text can be remapped (:meth:`PrivacyResult.remap_span`). Offsets are Python string
indices (code points) into ``units["text"]``.

The reports and the key hold the original names: they are as sensitive as the raw data.
Review them, never publish them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
import stat
import tempfile
import unicodedata
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .errors import PrivacyError
from .sentinels import ALL_ROUNDS

if TYPE_CHECKING:  # pragma: no cover
    from .project import Project

__all__ = [
    "PrivacyError",
    "NERUnavailableError",
    "KeyLocationWarning",
    "PseudonymKey",
    "TextEdit",
    "PrivacyResult",
    "ExportView",
    "REDACTION_KINDS",
    "PLACEHOLDERS",
    "NON_NAMES",
    "pseudonymise",
    "PSEUDONYMISED_MARK",
    "redact",
    "find_redactions",
    "remap_span",
    "redaction_summary",
    "ner_available",
    "propose_names",
    "apply_names",
    "privacy_state",
    "mark_pseudonymised",
    "export_view",
]

KEY_FORMAT = "workbench-pseudonym-key"
KEY_VERSION = 1

#: The kinds of contact data :func:`redact` knows, in the order they take precedence.
REDACTION_KINDS: tuple[str, ...] = ("email", "url", "phone", "handle")

#: Default placeholders, by kind.
PLACEHOLDERS: dict[str, str] = {
    "url": "[URL]",
    "email": "[EMAIL]",
    "phone": "[PHONE]",
    "handle": "[HANDLE]",
    "name": "[NAME]",
}

#: Author values that do not name a person: kept as they are, never matched in texts.
NON_NAMES: frozenset[str] = frozenset(
    {"", "anonymous", "anon", "guest", "unknown", "deleted", "removed", "[deleted]", "[removed]", "nan", "none"}
)

_SCHEMES = ("numbered", "role")
_TEXT_COLUMNS = ("text", "title", "url")
_REPORT_COLUMNS = [
    "unit_id",
    "column",
    "kind",
    "original",
    "replacement",
    "start",
    "end",
    "new_start",
    "new_end",
]


# --- errors -------------------------------------------------------------------------------
class NERUnavailableError(PrivacyError):
    """No trained spaCy pipeline with a named-entity recogniser is installed."""


class KeyLocationWarning(UserWarning):
    """A pseudonym key was saved beside the project it protects."""


#: ``DataFrame.attrs`` key set on the tables :func:`pseudonymise` returns.
PSEUDONYMISED_MARK = "workbench_pseudonymised"

# --- small helpers ------------------------------------------------------------------------
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff07": "'"})


def _norm(name: Any) -> str:
    """The identity of a name: NFKC, trimmed, no leading ``@``, case-folded, single spaces."""
    text = unicodedata.normalize("NFKC", str(name)).translate(_APOSTROPHES).strip()
    text = text.lstrip("@").strip()
    return re.sub(r"\s+", " ", text).casefold()


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and np.isnan(value)


_HANDLE_IN_NAME = re.compile(r"^(?P<name>.*?)\s*\(\s*@(?P<handle>[A-Za-z0-9_.]{1,50})\s*\)\s*$")


def _derived_aliases(name: str) -> list[str]:
    """Aliases read off a display name such as ``Lisa Rodrigues (@LisaSaysThis)``."""
    m = _HANDLE_IN_NAME.match(name)
    if not m:
        return []
    out = [m.group("handle")]
    if m.group("name").strip():
        out.insert(0, m.group("name").strip())
    return out


# --- the key ------------------------------------------------------------------------------
class PseudonymKey:
    """The mapping from people to pseudonyms, kept in a JSON key file apart from the project.

    Identity is the name case-folded, trimmed and without a leading ``@``, so ``@Sam`` and
    ``sam`` are one person. A person, once given a pseudonym, keeps it: new people get the
    next number (``P018`` after ``P017``; role-aware keys count per role). Within one call
    new people are numbered in an order drawn from the key's random secret, so numbers do
    not reveal who posted first.

    Parameters
    ----------
    scheme : {"numbered", "role"}
        ``numbered`` gives ``P001, P002, ...`` (``prefix`` and ``width`` set the form);
        ``role`` gives ``Professional-01, Patient-01, ...`` from ``author_role``
        (``Unknown-01`` when a person has no role).
    prefix : str
        Prefix of numbered pseudonyms.
    width : int
        Digits of numbered pseudonyms (``3`` gives ``P001``); role pseudonyms use 2.

    Examples
    --------
    >>> key = PseudonymKey()
    >>> key.pseudonym_for("Sam")
    'P001'
    >>> key.pseudonym_for("@sam"), key.pseudonym_for("Nurse Ann")
    ('P001', 'P002')
    >>> role_key = PseudonymKey(scheme="role")
    >>> role_key.pseudonym_for("Dr K", role="professional")
    'Professional-01'
    >>> key.reidentify("P002")
    'Nurse Ann'
    """

    def __init__(self, *, scheme: str = "numbered", prefix: str = "P", width: int = 3):
        if scheme not in _SCHEMES:
            raise ValueError(f"scheme must be one of {list(_SCHEMES)}, not {scheme!r}")
        if not isinstance(prefix, str) or not re.fullmatch(r"[A-Za-z][A-Za-z_-]*", prefix):
            raise ValueError(f"prefix must be letters (e.g. 'P'), not {prefix!r}")
        if not isinstance(width, int) or not 1 <= width <= 8:
            raise ValueError(f"width must be an integer from 1 to 8, not {width!r}")
        self.scheme = scheme
        self.prefix = prefix
        self.width = width
        self.secret = secrets.token_hex(32)
        self.created_at = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        self.counters: dict[str, int] = {}
        self.path: Path | None = None
        self.dirty = False
        self._entries: dict[str, dict[str, Any]] = {}
        self._aliases: dict[str, str] = {}
        self._by_pseudonym: dict[str, str] = {}

    # identity ------------------------------------------------------------------------------
    @property
    def key_id(self) -> str:
        """A fingerprint of this key (derived from its secret; safe to record in a project)."""
        return hmac.new(bytes.fromhex(self.secret), b"workbench-key-id", hashlib.sha256).hexdigest()[:16]

    def __repr__(self) -> str:
        where = f" at {self.path}" if self.path else ""
        return f"<PseudonymKey {self.key_id} {self.scheme}, {len(self)} people{where}>"

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return self._resolve(str(name)) is not None

    def _resolve(self, name: str) -> str | None:
        n = _norm(name)
        if n in self._entries:
            return n
        return self._aliases.get(n)

    def _order(self, norm: str) -> str:
        return hmac.new(bytes.fromhex(self.secret), norm.encode("utf-8"), hashlib.sha256).hexdigest()

    def _label(self, role: str | None) -> tuple[str, str]:
        """(counter name, pseudonym) of the next person."""
        if self.scheme == "numbered":
            n = self.counters.get(self.prefix, 0) + 1
            return self.prefix, f"{self.prefix}{n:0{self.width}d}"
        r = _norm(role) if role and not _is_missing(role) else "unknown"
        r = re.sub(r"[^\w]+", "-", r).strip("-") or "unknown"
        n = self.counters.get(r, 0) + 1
        word = "-".join(part.capitalize() for part in r.split("-"))
        return r, f"{word}-{n:02d}"

    # lookup and assignment -----------------------------------------------------------------
    def lookup(self, name: str) -> str | None:
        """The pseudonym of ``name`` (or of an alias), None if the key does not know it."""
        n = self._resolve(name)
        return None if n is None else self._entries[n]["pseudonym"]

    def pseudonym_for(self, name: str, *, role: str | None = None, kind: str = "author") -> str:
        """The pseudonym of ``name``, giving it the next one if it is new."""
        found = self.lookup(name)
        if found is not None:
            return found
        self._assign([(name, role, kind)])
        return self._entries[_norm(name)]["pseudonym"]

    def _assign(self, people: Iterable[tuple[str, str | None, str]]) -> list[str]:
        """Give pseudonyms to new people (in secret-keyed order); return their norms."""
        fresh: dict[str, tuple[str, str | None, str]] = {}
        for name, role, kind in people:
            n = _norm(name)
            if not n or n in NON_NAMES or self._resolve(name) is not None or n in fresh:
                continue
            fresh[n] = (str(name).strip(), None if _is_missing(role) else role, kind)
        for n in sorted(fresh, key=self._order):
            name, role, kind = fresh[n]
            counter, pseudonym = self._label(role)
            while pseudonym in self._by_pseudonym:  # a hand-edited key: never reuse one
                self.counters[counter] = self.counters.get(counter, 0) + 1
                counter, pseudonym = self._label(role)
            self.counters[counter] = self.counters.get(counter, 0) + 1
            self._entries[n] = {
                "pseudonym": pseudonym,
                "name": name,
                "role": role,
                "kind": kind,
                "aliases": [],
                "case_sensitive": False,
                "in_text": True,
            }
            self._by_pseudonym[pseudonym] = n
            for alias in _derived_aliases(name):
                self._add_alias(n, alias)
            self.dirty = True
        return list(fresh)

    def _add_alias(self, norm: str, alias: str) -> None:
        a = _norm(alias)
        if not a or a in NON_NAMES or a in self._entries or a in self._aliases:
            return
        self._aliases[a] = norm
        self._entries[norm]["aliases"].append(str(alias).strip())
        self.dirty = True

    def add_alias(self, name: str, alias: str) -> None:
        """Let ``alias`` (another spelling, a handle) stand for the same person as ``name``.

        Examples
        --------
        >>> key = PseudonymKey()
        >>> key.pseudonym_for("Charlotte Walker")
        'P001'
        >>> key.add_alias("Charlotte Walker", "@BipolarBlogger")
        >>> key.lookup("bipolarblogger")
        'P001'
        """
        n = self._resolve(name)
        if n is None:
            raise KeyError(f"{name!r} is not in the key; add it first with key.pseudonym_for({name!r})")
        other = self._resolve(alias)
        if other is not None and other != n:
            raise PrivacyError(
                f"{alias!r} already stands for {self._entries[other]['pseudonym']}; "
                "one alias cannot name two people"
            )
        self._add_alias(n, alias)

    def set_matching(self, name: str, *, case_sensitive: bool | None = None, in_text: bool | None = None) -> None:
        """How the name is looked for in texts.

        ``case_sensitive=True`` matches only the exact case (for a name that is also an
        ordinary word, such as ``Sectioned``); ``in_text=False`` leaves the texts alone
        and only pseudonymises the author column.
        """
        n = self._resolve(name)
        if n is None:
            raise KeyError(f"{name!r} is not in the key; add it first with key.pseudonym_for({name!r})")
        if case_sensitive is not None:
            self._entries[n]["case_sensitive"] = bool(case_sensitive)
        if in_text is not None:
            self._entries[n]["in_text"] = bool(in_text)
        self.dirty = True

    def reidentify(self, pseudonym: str) -> str:
        """The original name behind a pseudonym (needs the key, by design)."""
        n = self._by_pseudonym.get(str(pseudonym))
        if n is None:
            raise KeyError(f"{pseudonym!r} is not a pseudonym of key {self.key_id}")
        return self._entries[n]["name"]

    def pseudonyms(self) -> set[str]:
        """Every pseudonym handed out by this key."""
        return set(self._by_pseudonym)

    def mapping(self) -> pd.DataFrame:
        """The key as a table: ``name, pseudonym, role, kind, aliases`` (sensitive!)."""
        rows = [
            {
                "name": e["name"],
                "pseudonym": e["pseudonym"],
                "role": e["role"],
                "kind": e["kind"],
                "aliases": "; ".join(e["aliases"]),
            }
            for e in self._entries.values()
        ]
        return pd.DataFrame(rows, columns=["name", "pseudonym", "role", "kind", "aliases"])

    def _match_names(self) -> list[tuple[str, str, bool]]:
        """(key norm, surface form, case_sensitive) of every name to look for in texts."""
        out = []
        for n, e in self._entries.items():
            if not e["in_text"]:
                continue
            for form in [e["name"], *e["aliases"]]:
                out.append((n, form, e["case_sensitive"]))
        return out

    # file ------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": KEY_FORMAT,
            "version": KEY_VERSION,
            "key_id": self.key_id,
            "created_at": self.created_at,
            "scheme": self.scheme,
            "prefix": self.prefix,
            "width": self.width,
            "secret": self.secret,
            "counters": dict(self.counters),
            "people": [dict(e) for e in self._entries.values()],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "the key") -> PseudonymKey:
        """Rebuild a key from :meth:`to_dict` output; errors name the field."""
        if not isinstance(data, Mapping) or data.get("format") != KEY_FORMAT:
            raise PrivacyError(f"{source} is not a workbench pseudonym key (field 'format' must be {KEY_FORMAT!r})")
        if data.get("version") != KEY_VERSION:
            raise PrivacyError(f"{source}: field 'version' is {data.get('version')!r}; this workbench reads version {KEY_VERSION}")
        try:
            key = cls(scheme=data["scheme"], prefix=data.get("prefix", "P"), width=int(data.get("width", 3)))
        except KeyError as exc:
            raise PrivacyError(f"{source}: field {exc.args[0]!r} is missing") from None
        except ValueError as exc:
            raise PrivacyError(f"{source}: {exc}") from None
        secret = data.get("secret")
        if not isinstance(secret, str) or not re.fullmatch(r"[0-9a-f]{32,}", secret):
            raise PrivacyError(f"{source}: field 'secret' must be a hex string of at least 32 digits")
        key.secret = secret
        key.created_at = str(data.get("created_at", ""))
        counters = data.get("counters", {})
        if not isinstance(counters, Mapping) or not all(isinstance(v, int) for v in counters.values()):
            raise PrivacyError(f"{source}: field 'counters' must map counter names to integers")
        key.counters = dict(counters)
        people = data.get("people", [])
        if not isinstance(people, list):
            raise PrivacyError(f"{source}: field 'people' must be a list")
        for i, e in enumerate(people):
            if not isinstance(e, Mapping) or not isinstance(e.get("name"), str) or not isinstance(e.get("pseudonym"), str):
                raise PrivacyError(f"{source}: people[{i}] needs a string 'name' and a string 'pseudonym'")
            n = _norm(e["name"])
            if n in key._entries or e["pseudonym"] in key._by_pseudonym:
                raise PrivacyError(f"{source}: people[{i}] ({e['pseudonym']}) repeats a name or a pseudonym")
            entry = {
                "pseudonym": e["pseudonym"],
                "name": e["name"],
                "role": e.get("role"),
                "kind": e.get("kind", "author"),
                "aliases": [],
                "case_sensitive": bool(e.get("case_sensitive", False)),
                "in_text": bool(e.get("in_text", True)),
            }
            key._entries[n] = entry
            key._by_pseudonym[e["pseudonym"]] = n
            for alias in e.get("aliases", []) or []:
                key._add_alias(n, alias)
        stated = data.get("key_id")
        if stated is not None and stated != key.key_id:
            raise PrivacyError(f"{source}: field 'key_id' does not match the secret; the file was altered")
        key.dirty = False
        return key

    @classmethod
    def load(cls, path: str | Path) -> PseudonymKey:
        """Read a key file; warns if other users may read it.

        Examples
        --------
        >>> import tempfile, os
        >>> folder = tempfile.mkdtemp()
        >>> key = PseudonymKey()
        >>> key.pseudonym_for("Sam")
        'P001'
        >>> saved = key.save(os.path.join(folder, "key.json"))
        >>> PseudonymKey.load(saved).lookup("SAM")
        'P001'
        """
        p = Path(path).expanduser()
        if not p.exists():
            raise PrivacyError(
                f"no pseudonym key at {p}; create one with PseudonymKey() and save it with key.save(path)"
            )
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise PrivacyError(f"{p}: line {exc.lineno}: not valid JSON ({exc.msg})") from None
        key = cls.from_dict(data, source=str(p))
        key.path = p
        if os.name == "posix" and p.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            warnings.warn(
                f"the pseudonym key {p} can be read by other users; restrict it with chmod 600",
                UserWarning,
                stacklevel=2,
            )
        return key

    def save(
        self,
        path: str | Path | None = None,
        *,
        project: Project | str | Path | None = None,
        allow_near_project: bool = False,
    ) -> Path:
        """Write the key file atomically, readable by its owner only (mode 0600).

        Parameters
        ----------
        path : str or Path, optional
            Where to write; defaults to where the key was loaded from or last saved.
        project : Project or path, optional
            The project the key protects. Saving inside the folder of its database is
            refused (anyone given the project folder would hold the key too) unless
            ``allow_near_project=True``, which only warns.
        """
        if path is None:
            if self.path is None:
                raise PrivacyError("this key has never been saved; pass a path, e.g. key.save('~/keys/study.key.json')")
            target = self.path
        else:
            target = Path(path).expanduser()
        target = target.resolve()
        folder = _project_folder(project)
        if folder is not None and (target.parent == folder or folder in target.parents):
            msg = (
                f"the pseudonym key {target} would sit inside the project folder {folder}; "
                "keep it elsewhere (e.g. in your home folder) so that sharing the project does not share the key"
            )
            if not allow_near_project:
                raise PrivacyError(msg + ", or pass allow_near_project=True")
            warnings.warn(msg, KeyLocationWarning, stacklevel=2)
        target.parent.mkdir(parents=True, exist_ok=True)
        body = json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
        fd, tmp = tempfile.mkstemp(prefix=".key-", dir=target.parent)
        try:
            os.chmod(tmp, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(body)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.path = target
        self.dirty = False
        return target


def _project_folder(project: Any) -> Path | None:
    if project is None:
        return None
    if isinstance(project, (str, Path)):
        url = str(project)
    else:
        engine = getattr(project, "engine", None)
        db = getattr(getattr(engine, "url", None), "database", None) if engine is not None else None
        if getattr(project, "dialect", "sqlite") != "sqlite" or not db:
            return None
        url = db
    if "://" in url and not url.startswith("sqlite"):
        return None
    url = re.sub(r"^sqlite(\+\w+)?:///", "", url)
    if url in ("", ":memory:"):
        return None
    return Path(url).expanduser().resolve().parent


# --- edits and results --------------------------------------------------------------------
@dataclass(frozen=True)
class TextEdit:
    """One replacement in a text: ``text[start:end]`` became ``replacement``."""

    start: int
    end: int
    replacement: str

    @property
    def delta(self) -> int:
        return len(self.replacement) - (self.end - self.start)


def _map(edits: Sequence[TextEdit], pos: int, *, side: str) -> int:
    shift = 0
    for e in edits:
        if side == "start":
            if pos < e.start:
                break
            if pos < e.end:  # inside the replaced text: snap to the start of its replacement
                return e.start + shift
        else:
            if pos <= e.start:
                break
            if pos < e.end:  # inside: snap to the end of the replacement
                return e.start + shift + len(e.replacement)
        shift += e.delta
    return pos + shift


def remap_span(edits: Sequence[TextEdit], start: int, end: int) -> tuple[int, int]:
    """Map a character span of the original text onto the edited text.

    A span boundary that falls inside a replaced stretch widens to cover its whole
    replacement, so a coding of part of a name covers the whole pseudonym.

    Examples
    --------
    >>> edits = [TextEdit(4, 7, "P001"), TextEdit(12, 33, "[URL]")]
    >>> original = "Ask Sam via https://example.org/x now"
    >>> edited = "Ask P001 via [URL] now"
    >>> s, e = remap_span(edits, 34, 37)
    >>> original[34:37], edited[s:e]
    ('now', 'now')
    >>> s, e = remap_span(edits, 4, 6)
    >>> edited[s:e]
    'P001'
    """
    if start > end:
        raise ValueError(f"span start {start} is after its end {end}")
    return _map(edits, int(start), side="start"), _map(edits, int(end), side="end")


@dataclass(frozen=True)
class PrivacyResult:
    """What :func:`pseudonymise`, :func:`redact` and :func:`apply_names` return.

    Unpacks as ``units, report = result``.

    Attributes
    ----------
    units : DataFrame
        A new units table (the input is left untouched).
    report : DataFrame
        One row per replacement: ``unit_id, column, kind, original, replacement, start,
        end, new_start, new_end`` (offsets into the column's old and new text; empty for
        the author column). Holds original names: review it, never publish it.
    edits : dict
        ``unit_id -> tuple of TextEdit`` on the ``text`` column (units without edits are absent).
    key : PseudonymKey or None
        The key used (:func:`pseudonymise` only).
    """

    units: pd.DataFrame
    report: pd.DataFrame
    edits: Mapping[str, tuple[TextEdit, ...]] = field(default_factory=dict)
    key: PseudonymKey | None = None

    def __iter__(self) -> Iterator[pd.DataFrame]:
        yield self.units
        yield self.report

    def remap_span(self, unit_id: str, start: int, end: int) -> tuple[int, int]:
        """A span of a unit's original text, on its new text."""
        return remap_span(self.edits.get(str(unit_id), ()), start, end)

    def remap_codings(self, codings: pd.DataFrame) -> pd.DataFrame:
        """A copy of a codings table with ``span_start`` / ``span_end`` moved onto the new texts."""
        out = codings.copy()
        if "span_start" not in out.columns or out.empty or not self.edits:
            return out
        starts = out["span_start"].astype("Int64").to_numpy(dtype=object, na_value=None)
        ends = out["span_end"].astype("Int64").to_numpy(dtype=object, na_value=None)
        new_s, new_e = list(starts), list(ends)
        for i, (uid, s, e) in enumerate(zip(out["unit_id"].astype(str), starts, ends)):
            if s is None or e is None or uid not in self.edits:
                continue
            new_s[i], new_e[i] = self.remap_span(uid, int(s), int(e))
        out["span_start"] = pd.array(new_s, dtype="Int64")
        out["span_end"] = pd.array(new_e, dtype="Int64")
        return out


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    kind: str
    replacement: str


def _resolve_overlaps(hits: list[_Hit]) -> list[_Hit]:
    """Earliest first; at one start, the longest; earlier-listed kinds win ties."""
    order = sorted(enumerate(hits), key=lambda ih: (ih[1].start, -(ih[1].end - ih[1].start), ih[0]))
    out: list[_Hit] = []
    last_end = -1
    for _, h in order:
        if h.start >= last_end and h.end > h.start:
            out.append(h)
            last_end = h.end
    return out


def _apply(text: str, hits: list[_Hit]) -> tuple[str, list[TextEdit]]:
    parts: list[str] = []
    edits: list[TextEdit] = []
    pos = 0
    for h in hits:
        parts.append(text[pos : h.start])
        parts.append(h.replacement)
        edits.append(TextEdit(h.start, h.end, h.replacement))
        pos = h.end
    parts.append(text[pos:])
    return "".join(parts), edits


def _report_rows(uid: str, column: str, text: str, hits: list[_Hit]) -> list[dict[str, Any]]:
    rows = []
    shift = 0
    for h in hits:
        rows.append(
            {
                "unit_id": uid,
                "column": column,
                "kind": h.kind,
                "original": text[h.start : h.end],
                "replacement": h.replacement,
                "start": h.start,
                "end": h.end,
                "new_start": h.start + shift,
                "new_end": h.start + shift + len(h.replacement),
            }
        )
        shift += len(h.replacement) - (h.end - h.start)
    return rows


def _report_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=_REPORT_COLUMNS)
    for col in ("start", "end", "new_start", "new_end"):
        df[col] = df[col].astype("Int64")
    for col in ("unit_id", "column", "kind", "original", "replacement"):
        df[col] = df[col].astype(object)
    return df


def _check_units(units: Any, *, where: str) -> None:
    if not isinstance(units, pd.DataFrame):
        raise TypeError(f"{where} takes a units DataFrame, not {type(units).__name__}")
    missing = [c for c in ("unit_id", "text") if c not in units.columns]
    if missing:
        raise PrivacyError(f"{where}: the units table has no column(s) {missing}; see workbench.corpus.UNIT_COLUMNS")


def _process(
    units: pd.DataFrame,
    columns: Sequence[str],
    scan,
    *,
    key: PseudonymKey | None = None,
    rows: list[dict[str, Any]] | None = None,
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
            if _is_missing(value) or not isinstance(value, str) or not value:
                continue
            hits = scan(value)
            if not hits:
                continue
            new_text, unit_edits = _apply(value, hits)
            new_values[i] = new_text
            report.extend(_report_rows(uid, column, value, hits))
            if column == "text":
                edits[uid] = tuple(unit_edits)
        out[column] = pd.Series(new_values, index=out.index, dtype=out[column].dtype)
    return PrivacyResult(out, _report_frame(report), edits, key)


# --- redaction ----------------------------------------------------------------------------
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
    return [(h.start, h.end, h.kind, h.replacement) for h in _scan_redactions(text, _kinds(kinds), placeholders, set(keep))]


def _kinds(kinds: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(kinds, str):
        kinds = (kinds,)
    kinds = tuple(kinds)
    bad = [k for k in kinds if k not in REDACTION_KINDS]
    if bad:
        raise ValueError(f"unknown redaction kind(s) {bad}; valid kinds: {list(REDACTION_KINDS)}")
    return kinds


def _scan_redactions(
    text: str, kinds: tuple[str, ...], placeholders: Mapping[str, str] | None, keep: set[str]
) -> list[_Hit]:
    ph = {**PLACEHOLDERS, **(placeholders or {})}
    hits: list[_Hit] = []
    for kind in REDACTION_KINDS:  # precedence order
        if kind not in kinds:
            continue
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
                hits.append(_Hit(s, e, kind, ph[kind]))
    return _resolve_overlaps(hits)


def redact(
    units: pd.DataFrame,
    kinds: Iterable[str] = ("url", "email", "phone", "handle"),
    *,
    placeholders: Mapping[str, str] | None = None,
    columns: Sequence[str] = _TEXT_COLUMNS,
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
    columns : sequence of str
        Text columns to redact, where present (offsets are tracked for ``text``).
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
    ks = _kinds(kinds)
    keep_set = set(keep)
    return _process(units, columns, lambda text: _scan_redactions(text, ks, placeholders, keep_set))


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
_WORDCHAR = re.compile(r"\w")
_CLITIC = re.compile(r"(?:s|ll|d|ve|re)(?!\w)", re.IGNORECASE)


class _NameScanner:
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
            f = form.translate(_APOSTROPHES).strip().lstrip("@")
            if len(_norm(f)) < 2 or _norm(f) in stop or _norm(f) in NON_NAMES:
                self.skipped.append(form)
                continue
            patterns.setdefault((n, exact), []).append(f)
            if not re.search(r"\s", f):
                (self.single_exact if exact else self.single)[f if exact else _norm(f)] = n
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

    def scan(self, text: str) -> list[_Hit]:
        hits: list[_Hit] = []
        # 1. @mentions (these win over names inside them)
        for m in _MENTION.finditer(text):
            n = self._mention_norm(m.group("local"), m.group("inst"))
            if n is None:
                continue
            hits.append(_Hit(m.start(), m.end(), "mention", "@" + self._replacement(n)))
        # 2. names, on a copy with straight apostrophes (same length, same offsets)
        norm_text = text.translate(_APOSTROPHES)
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
                hits.append(_Hit(start, end, "name", self._replacement(label)))
                covered.update(range(s, e))
        # 3. names glued inside tokens: twitter.com/crys_tom/..., sam.jones@..., Sam/Jo
        for tok in doc:
            if tok.i in covered or tok.is_alpha or len(tok) < 3:
                continue
            base = tok.idx
            for m in _SEGMENT.finditer(tok.text):
                seg = m.group(0)
                n = self.single_exact.get(seg) or self.single.get(_norm(seg))
                if n is None:
                    continue
                s, e = base + m.start(), base + m.end()
                if self._bounded(norm_text, s, e):
                    hits.append(_Hit(s, e, "name", self._replacement(n)))
        return _resolve_overlaps(hits)

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


def pseudonymise(
    units: pd.DataFrame,
    key: PseudonymKey | None = None,
    *,
    columns: Sequence[str] = _TEXT_COLUMNS,
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
    columns : sequence of str
        Text columns in which names are replaced, where present (offsets tracked for ``text``).
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
        if _is_missing(a):
            continue
        n = _norm(a)
        if n not in first_role or (_is_missing(first_role[n]) and not _is_missing(r)):
            first_role[n] = r
        people.append((str(a), None, "author"))
    key._assign((a, first_role.get(_norm(a)), kind) for a, _, kind in people)
    if mentions == "all":
        found = []
        for column in columns:
            if column not in units.columns:
                continue
            for value in units[column]:
                if isinstance(value, str) and "@" in value:
                    for m in _MENTION.finditer(value):
                        if key._resolve(m.group("local")) is None and (
                            not m.group("inst") or key._resolve(m.group("local") + m.group("inst")) is None
                        ):
                            found.append((m.group("local") + (m.group("inst") or ""), None, "mention"))
        key._assign(found)

    # 2. the author column
    rows: list[dict[str, Any]] = []
    scanner = _NameScanner(key, mentions)
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
            p = None if _is_missing(a) else key.lookup(str(a))
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
    result = _process(units_in, columns, scanner.scan, key=key, rows=rows)
    # mark the table (pandas carries attrs through copies, filters and assign) so that a
    # publisher can tell it holds pseudonyms, not people
    result.units.attrs[PSEUDONYMISED_MARK] = key.key_id
    return result


# --- names proposed by NER ----------------------------------------------------------------
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
    by_unit: dict[str, list[_Hit]] = {}
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
        by_unit.setdefault(uid, []).append(_Hit(s, e, "name", placeholder))
    scan_for: dict[str, list[_Hit]] = {u: _resolve_overlaps(h) for u, h in by_unit.items()}
    out = units.copy()
    rows: list[dict[str, Any]] = []
    edits: dict[str, tuple[TextEdit, ...]] = {}
    new_texts = out["text"].tolist()
    for i, uid in enumerate(out["unit_id"].astype(str)):
        hits = scan_for.get(uid)
        if hits:
            new_texts[i], e = _apply(texts[uid], hits)
            edits[uid] = tuple(e)
            rows.extend(_report_rows(uid, "text", texts[uid], hits))
    out["text"] = pd.Series(new_texts, index=out.index, dtype=out["text"].dtype)
    return PrivacyResult(out, _report_frame(rows), edits)


# --- the project side ---------------------------------------------------------------------
_SETTING = "privacy"


def privacy_state(project: Project) -> dict[str, Any]:
    """Whether the project holds raw or pseudonymised data, and with which key.

    Returns a dict ``state`` (``"raw"`` or ``"pseudonymised"``), ``key_id`` (the key
    bound to the project, or None), ``redacted`` (kinds redacted before import),
    ``through_seq`` (units stored when it was marked) and ``marked_at``. A project never
    marked holds raw data.

    Examples
    --------
    >>> import tempfile, os, workbench as wb
    >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "p.db"))
    >>> privacy_state(project)["state"]
    'raw'
    >>> project.close()
    """
    stored = project.get_setting(_SETTING) or {}
    state = {"state": "raw", "key_id": None, "redacted": [], "through_seq": None, "marked_at": None}
    if isinstance(stored, Mapping):
        state.update(stored)
    return state


def _bind_key(project: Project, key: PseudonymKey, state: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(key, PseudonymKey):
        raise TypeError(f"key must be a PseudonymKey (PseudonymKey.load(path)), not {type(key).__name__}")
    bound = state.get("key_id")
    if bound is not None and bound != key.key_id:
        raise PrivacyError(
            f"the key given (id {key.key_id}) is not the key of this project (id {bound}); "
            "load the key file that was used for this project"
        )
    if bound is None:
        state = {**state, "key_id": key.key_id}
        project.set_setting(_SETTING, state, actor="privacy")
    return state


def mark_pseudonymised(
    project: Project, key: PseudonymKey, *, redacted: Iterable[str] = (), actor: str | None = None
) -> dict[str, Any]:
    """Record that the units stored in the project were pseudonymised with ``key``.

    Call it after adding units that went through :func:`pseudonymise` (and, if so,
    :func:`redact`). Units added later are not covered: :func:`export_view` refuses
    them until the project is marked again.

    Raises
    ------
    PrivacyError
        A stored author is a real name of the key (the units were not pseudonymised),
        or the project is bound to another key.

    Examples
    --------
    >>> import tempfile, os, workbench as wb
    >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "p.db"))
    >>> units = wb.make_units([{"unit_id": "1", "thread_id": "t", "author": "Sam", "text": "Hi"}])
    >>> safe = pseudonymise(units, key := PseudonymKey())
    >>> project.add_units(safe.units)
    1
    >>> mark_pseudonymised(project, key)["state"]
    'pseudonymised'
    >>> project.close()
    """
    state = _bind_key(project, key, privacy_state(project))
    red = _kinds(tuple(redacted)) if redacted else ()
    stored = project.units()
    pseudonyms = key.pseudonyms()
    raw = [
        (u, a)
        for u, a in zip(stored["unit_id"], stored["author"])
        if isinstance(a, str) and a not in pseudonyms and key.lookup(a) is not None
    ]
    if raw:
        uid, a = raw[0]
        raise PrivacyError(
            f"unit {uid!r} has the author {a!r}, a real name in the key ({len(raw)} such units); "
            "pseudonymise the units before adding them, then mark the project"
        )
    state = {
        **state,
        "state": "pseudonymised",
        "redacted": list(red),
        "through_seq": int(stored["seq"].max()) if len(stored) else 0,
        "marked_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    project.set_setting(_SETTING, state, actor=actor or "privacy")
    return state


@dataclass(frozen=True)
class ExportView:
    """Units and codings as an exporter may write them (see :func:`export_view`).

    Attributes
    ----------
    units : DataFrame
        Units (``author`` holds pseudonyms unless ``raw``; with ``raw`` there is an
        ``author_pseudonym`` column too).
    codings : DataFrame
        Current codings, spans remapped onto ``units["text"]``, memos pseudonymised.
    raw : bool
        True when the view holds real names.
    state : dict
        :func:`privacy_state` of the project.
    report : DataFrame
        The replacements made on the way out (sensitive; for review, never export it).
    """

    units: pd.DataFrame
    codings: pd.DataFrame
    raw: bool
    state: dict[str, Any]
    report: pd.DataFrame

    def about(self) -> dict[str, Any]:
        """Non-identifying facts about the view, for an export's metadata."""
        return {
            "data": "raw (re-identifiable)" if self.raw else "pseudonymised",
            "project_state": self.state.get("state"),
            "key_id": self.state.get("key_id"),
            "redacted": ", ".join(self.state.get("redacted") or []) or "none",
            "units": len(self.units),
            "codings": len(self.codings),
            "times": "UTC",
        }


def export_view(
    project: Project,
    *,
    raw: bool = False,
    key: PseudonymKey | None = None,
    redact_kinds: Iterable[str] = ("url", "email", "phone", "handle"),
    coder: str | Sequence[str] | None = None,
    round: Any = ALL_ROUNDS,
) -> ExportView:
    """Units and codings safe to export: pseudonymised unless raw is asked for with the key.

    * Raw project, ``raw=False``: pseudonymised (with ``key``, which is required) and
      redacted on the way out; coding spans are remapped; the key file is saved if it
      gained people.
    * Pseudonymised project, ``raw=False``: redacted (``redact_kinds``); no key needed.
    * ``raw=True``: the stored data as it is, with an ``author_pseudonym`` column (and,
      for a pseudonymised project, the real names back in ``author``); the key is
      required as proof and must be the project's key.

    Raises
    ------
    PrivacyError
        No key where one is needed, a key that is not the project's, or units added to
        a pseudonymised project after it was marked.

    Examples
    --------
    >>> import tempfile, os, workbench as wb
    >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "p.db"))
    >>> project.add_units(wb.make_units([{"unit_id": "1", "thread_id": "t", "author": "Sam",
    ...                                   "text": "Ring Sam on 07700 900123"}]))
    1
    >>> key = PseudonymKey()
    >>> _ = key.save(os.path.join(tempfile.mkdtemp(), "study.key.json"))  # apart from the project
    >>> view = export_view(project, key=key)
    >>> view.units.loc[0, ["author", "text"]].tolist()
    ['P001', 'Ring P001 on [PHONE]']
    >>> project.close()
    """
    state = privacy_state(project)
    kinds = _kinds(tuple(redact_kinds))
    units = project.units()
    codings = project.codings(coder=coder, round=round)
    empty_report = _report_frame([])
    if raw:
        if key is None:
            raise PrivacyError(
                "raw data (real names) is exported only with the pseudonym key as proof: "
                "pass key=PseudonymKey.load(path), or leave raw=False for pseudonymised data"
            )
        state = _bind_key(project, key, state)
        units = units.copy()
        if state["state"] == "pseudonymised":
            pseudo = units["author"]
            units["author"] = [
                key.reidentify(a) if isinstance(a, str) and a in key.pseudonyms() else a for a in pseudo
            ]
            units["author_pseudonym"] = pseudo
        else:
            units["author_pseudonym"] = [
                None if _is_missing(a) or _norm(a) in NON_NAMES else key.pseudonym_for(str(a)) for a in units["author"]
            ]
            if key.dirty and key.path is not None:
                key.save()
        return ExportView(units, codings, True, state, empty_report)

    reports = []
    if state["state"] == "pseudonymised":
        through = state.get("through_seq")
        later = units[units["seq"] > through] if through is not None else units.iloc[:0]
        if len(later):
            raise PrivacyError(
                f"{len(later)} unit(s) (e.g. {list(later['unit_id'][:3])}) were added after the project was "
                "marked pseudonymised; pseudonymise them before adding them, then call mark_pseudonymised again"
            )
        if key is not None:
            state = _bind_key(project, key, state)
    else:
        if key is None:
            raise PrivacyError(
                "this project holds raw data (real names); to export it pseudonymised pass "
                "key=PseudonymKey.load(path) (or a new PseudonymKey() that you then save), "
                "or record that the data is already pseudonymised with mark_pseudonymised(project, key)"
            )
        state = _bind_key(project, key, state)
        pseudo = pseudonymise(units, key, columns=("text", "title"))
        reports.append(pseudo.report)
        units = pseudo.units
        codings = pseudo.remap_codings(codings)
        if "memo" in codings.columns:
            scanner = _NameScanner(key, "all")
            codings["memo"] = [
                _apply(m, scanner.scan(m))[0] if isinstance(m, str) and m else m for m in codings["memo"]
            ]
        if key.dirty:
            if key.path is not None:
                key.save()
            else:
                warnings.warn(
                    "the pseudonym key gained people during this export but has never been saved; "
                    "save it (key.save(path)) or later exports will use other pseudonyms",
                    UserWarning,
                    stacklevel=2,
                )
    keep = set()
    if key is not None:
        keep = {"@" + p for p in key.pseudonyms()}
    if kinds:
        red = redact(units, kinds, columns=("text", "title"), keep=keep)
        reports.append(red.report)
        units = red.units
        codings = red.remap_codings(codings)
        if "memo" in codings.columns:
            codings["memo"] = [
                _apply(m, _scan_redactions(m, kinds, None, keep))[0] if isinstance(m, str) and m else m
                for m in codings["memo"]
            ]
    report = pd.concat(reports, ignore_index=True) if reports else empty_report
    return ExportView(units.reset_index(drop=True), codings.reset_index(drop=True), False, state, report)
