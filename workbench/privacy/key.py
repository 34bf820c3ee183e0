"""The pseudonym key: who is who, kept in a JSON file apart from the project.

A :class:`PseudonymKey` maps people (authors and the people they mention) to stable
pseudonyms (``P017``, or role-aware such as ``Professional-04``). It is saved as a JSON
key file readable by its owner only (mode 0600), written atomically, and never inside the
folder of the project it protects (:meth:`PseudonymKey.save` refuses that unless told
otherwise), so that sharing a project does not share the key. Re-identification needs
the key, by design.

The key holds the original names: it is as sensitive as the raw data.
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
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import PrivacyError
from .place import KeyLocationWarning, check_key_place, default_key_path, project_folder

__all__ = [
    "PseudonymKey",
    "KeyLocationWarning",
    "KEY_FORMAT",
    "KEY_VERSION",
    "NON_NAMES",
    "norm_name",
    "is_missing",
    "APOSTROPHES",
    "project_folder",
    "check_key_place",
    "default_key_path",
    "MAX_KEY_BYTES",
    "KEY_BYTES_ENV",
]

KEY_FORMAT = "workbench-pseudonym-key"
KEY_VERSION = 1

#: Author values that do not name a person: kept as they are, never matched in texts.
NON_NAMES: frozenset[str] = frozenset(
    {"", "anonymous", "anon", "guest", "unknown", "deleted", "removed", "[deleted]", "[removed]", "nan", "none"}
)

_SCHEMES = ("numbered", "role")

#: The largest key file read (a key of 100,000 people is about 20 MB); raise it with
#: ``PseudonymKey.load(path, max_bytes=N)`` or the environment variable :data:`KEY_BYTES_ENV`.
MAX_KEY_BYTES = 64 << 20
KEY_BYTES_ENV = "WB_MAX_KEY_BYTES"


# --- identity of a name -------------------------------------------------------------------
#: Apostrophes that count as ``'`` (a name is the same person with either).
APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff07": "'"})


def norm_name(name: Any) -> str:
    """The identity of a name: NFKC, trimmed, no leading ``@``, case-folded, single spaces."""
    text = unicodedata.normalize("NFKC", str(name)).translate(APOSTROPHES).strip()
    text = text.lstrip("@").strip()
    return re.sub(r"\s+", " ", text).casefold()


def is_missing(value: Any) -> bool:
    """Whether a cell is empty (None, NA, NaT or NaN)."""
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
        self.created_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
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

    @property
    def id_secret(self) -> bytes:
        """The secret that maps ids to pseudonymous ids (derived from the key's secret; see :mod:`~workbench.privacy.ids`)."""
        return hmac.new(bytes.fromhex(self.secret), b"workbench-ids", hashlib.sha256).digest()

    def __repr__(self) -> str:
        where = f" at {self.path}" if self.path else ""
        return f"<PseudonymKey {self.key_id} {self.scheme}, {len(self)} people{where}>"

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return self._resolve(str(name)) is not None

    def _resolve(self, name: str) -> str | None:
        n = norm_name(name)
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
        r = norm_name(role) if role and not is_missing(role) else "unknown"
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
        return self._entries[norm_name(name)]["pseudonym"]

    def _assign(self, people: Iterable[tuple[str, str | None, str]]) -> list[str]:
        """Give pseudonyms to new people (in secret-keyed order); return their norms."""
        fresh: dict[str, tuple[str, str | None, str]] = {}
        for name, role, kind in people:
            n = norm_name(name)
            if not n or n in NON_NAMES or self._resolve(name) is not None or n in fresh:
                continue
            fresh[n] = (str(name).strip(), None if is_missing(role) else role, kind)
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
        a = norm_name(alias)
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
        """The key as the JSON key file holds it (with the secret and the names: sensitive)."""
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
        """Rebuild a key from :meth:`to_dict` output; errors name the field (:class:`PrivacyError`, nothing else)."""
        if not isinstance(data, Mapping) or data.get("format") != KEY_FORMAT:
            raise PrivacyError(f"{source} is not a workbench pseudonym key (field 'format' must be {KEY_FORMAT!r})")
        if data.get("version") != KEY_VERSION:
            raise PrivacyError(f"{source}: field 'version' is {data.get('version')!r}; this workbench reads version {KEY_VERSION}")
        width = data.get("width", 3)
        if isinstance(width, bool) or not isinstance(width, int):
            raise PrivacyError(f"{source}: field 'width' must be a whole number from 1 to 8, not {width!r}")
        for name in ("scheme", "prefix"):
            if name in data and not isinstance(data[name], str):
                raise PrivacyError(f"{source}: field {name!r} must be text, not {type(data[name]).__name__}")
        try:
            key = cls(scheme=data["scheme"], prefix=data.get("prefix", "P"), width=width)
        except KeyError as exc:
            raise PrivacyError(f"{source}: field {exc.args[0]!r} is missing") from None
        except ValueError as exc:
            raise PrivacyError(f"{source}: {exc}") from None
        secret = data.get("secret")
        if not isinstance(secret, str) or len(secret) > 1024 or not re.fullmatch(r"[0-9a-f]{32,}", secret) or len(secret) % 2:
            raise PrivacyError(f"{source}: field 'secret' must be a hex string of at least 32 digits")
        key.secret = secret
        key.created_at = str(data.get("created_at", ""))[:64]
        counters = data.get("counters", {})
        if not isinstance(counters, Mapping) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counters.values()
        ):
            raise PrivacyError(f"{source}: field 'counters' must map counter names to whole numbers")
        key.counters = {str(k): v for k, v in counters.items()}
        people = data.get("people", [])
        if not isinstance(people, list):
            raise PrivacyError(f"{source}: field 'people' must be a list")
        for i, e in enumerate(people):
            key._load_person(i, e, source)
        stated = data.get("key_id")
        if stated is not None and stated != key.key_id:
            raise PrivacyError(f"{source}: field 'key_id' does not match the secret; the file was altered")
        key.dirty = False
        return key

    def _load_person(self, i: int, e: Any, source: str) -> None:
        """One entry of the key file's ``people`` (checked field by field)."""
        if not isinstance(e, Mapping) or not isinstance(e.get("name"), str) or not isinstance(e.get("pseudonym"), str):
            raise PrivacyError(f"{source}: people[{i}] needs a string 'name' and a string 'pseudonym'")
        role, kind, aliases = e.get("role"), e.get("kind", "author"), e.get("aliases") or []
        if role is not None and not isinstance(role, str):
            raise PrivacyError(f"{source}: people[{i}], field 'role' must be text or null, not {type(role).__name__}")
        if not isinstance(kind, str):
            raise PrivacyError(f"{source}: people[{i}], field 'kind' must be text, not {type(kind).__name__}")
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise PrivacyError(f"{source}: people[{i}], field 'aliases' must be a list of names")
        n = norm_name(e["name"])
        if n in self._entries or e["pseudonym"] in self._by_pseudonym:
            raise PrivacyError(f"{source}: people[{i}] ({e['pseudonym'][:40]}) repeats a name or a pseudonym")
        self._entries[n] = {
            "pseudonym": e["pseudonym"],
            "name": e["name"],
            "role": role,
            "kind": kind,
            "aliases": [],
            "case_sensitive": bool(e.get("case_sensitive", False)),
            "in_text": bool(e.get("in_text", True)),
        }
        self._by_pseudonym[e["pseudonym"]] = n
        for alias in aliases:
            self._add_alias(n, alias)

    @classmethod
    def load(cls, path: str | Path, *, max_bytes: int | None = None) -> PseudonymKey:
        """Read a key file; warns if other users may read it.

        Parameters
        ----------
        path : str or Path
            The key file.
        max_bytes : int, optional
            The largest key file read (default :data:`MAX_KEY_BYTES`, or the environment
            variable ``WB_MAX_KEY_BYTES``).

        Returns
        -------
        PseudonymKey
            The key.

        Raises
        ------
        PrivacyError
            No such file, or a file that is not a valid key (not JSON, not UTF-8, too large,
            nested too deep, a field of the wrong type): the message names the file and
            the field. Nothing else is raised for a broken or hostile file.

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
        limit = _key_limit(max_bytes)
        try:
            if not p.exists():
                raise PrivacyError(
                    f"no pseudonym key at {p}; create one with PseudonymKey() and save it with key.save(path)"
                )
            if not p.is_file():
                raise PrivacyError(f"{p} is not a file; name the pseudonym key file itself")
            with p.open("rb") as fh:
                raw = fh.read(limit + 1)
        except OSError as exc:
            raise PrivacyError(f"cannot read the pseudonym key {p}: {exc.strerror or exc}") from None
        if len(raw) > limit:
            raise PrivacyError(
                f"{p}: larger than {limit:,} bytes, too large for a pseudonym key; if it is one, read it with "
                f"PseudonymKey.load(path, max_bytes=N) or set the environment variable {KEY_BYTES_ENV}=N"
            )
        try:
            data = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise PrivacyError(f"{p}: not a pseudonym key: byte {exc.start} is not UTF-8 (a key file is UTF-8 JSON)") from None
        except json.JSONDecodeError as exc:
            raise PrivacyError(f"{p}: line {exc.lineno}: not valid JSON ({exc.msg})") from None
        except RecursionError:
            raise PrivacyError(f"{p}: not a pseudonym key: JSON nested too deeply") from None
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
        project: object = None,
        allow_near_project: bool = False,
    ) -> Path:
        """Write the key file atomically, readable by its owner only (mode 0600).

        Parameters
        ----------
        path : str or Path, optional
            Where to write; defaults to where the key was loaded from or last saved.
        project : Project, str or Path, optional
            The project the key protects (or the path of its database). Saving inside the folder of its database is
            refused (anyone given the project folder would hold the key too) unless
            ``allow_near_project=True``, which only warns.
        """
        if path is None:
            if self.path is None:
                raise PrivacyError("this key has never been saved; pass a path, e.g. key.save('~/keys/study.key.json')")
            target = self.path
        else:
            target = Path(path).expanduser()
        target = check_key_place(target, project, allow_near_project=allow_near_project)
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


def _key_limit(max_bytes: int | None) -> int:
    if max_bytes is not None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise ValueError(f"max_bytes must be a positive whole number, not {max_bytes!r}")
        return max_bytes
    raw = os.environ.get(KEY_BYTES_ENV, "").strip()
    if not raw:
        return MAX_KEY_BYTES
    if not raw.isdigit() or int(raw) < 1:
        raise PrivacyError(f"the environment variable {KEY_BYTES_ENV}={raw!r} must be a positive whole number of bytes")
    return int(raw)
