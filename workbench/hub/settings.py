"""What a team server is made of: the settings of one hub, checked once, as plain data.

A :class:`HubSettings` names the project, where the hub listens, where it keeps its state,
who supervises, and the two hub groups that decide what each user gets:

* members of ``coders`` (:data:`CODERS`) get the Voilà coder app and nothing else;
* members of ``supervisors`` (:data:`SUPERVISORS`) get JupyterLab.

Settings travel from ``workbench hub`` to the JupyterHub configuration file as JSON
(:meth:`HubSettings.to_json`, :meth:`HubSettings.from_json`), so the file the hub reads
holds no code of its own.

Examples
--------
>>> s = HubSettings(project="postgresql://wb@db.example/study", state_dir="/srv/hub", supervisors=("sam",))
>>> s.ip, s.port, s.open_signup
('127.0.0.1', 8000, False)
>>> HubSettings.from_json(s.to_json()) == s
True
>>> role_of({"coders"}), role_of({"coders", "supervisors"}), role_of(set())
('coder', 'supervisor', None)
>>> project_for("postgresql://{username}@db/study", "o'neil")
'postgresql://o%27neil@db/study'
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

__all__ = [
    "CODERS",
    "SUPERVISORS",
    "ROLES",
    "HubSettings",
    "is_loopback",
    "project_for",
    "role_of",
]

#: The hub group whose members get the coder app.
CODERS = "coders"
#: The hub group whose members get JupyterLab (and are the hub's admins when named at start).
SUPERVISORS = "supervisors"
#: What a member of each group is, in the project's words.
ROLES: dict[str, str] = {SUPERVISORS: "supervisor", CODERS: "coder"}

_MIN_PASSWORD = 8


def is_loopback(address: str) -> bool:
    """Whether ``address`` (an IP address or ``localhost``) reaches this machine only.

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, True, False)
    """
    if address.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def role_of(groups: Iterable[str]) -> str | None:
    """``'supervisor'``, ``'coder'`` or ``None`` for a user in these hub groups (supervisor wins).

    Parameters
    ----------
    groups : iterable of str
        The names of the hub groups the user is in.

    Returns
    -------
    str or None
        The role, or ``None`` when the user is in neither group (no server for them).
    """
    names = set(groups)
    for group, role in ROLES.items():
        if group in names:
            return role
    return None


def project_for(project: str, username: str) -> str:
    """The project URL one hub user's server gets: ``{username}`` replaced, URL-quoted.

    A URL without ``{username}`` is the same for everyone. With it, each user's server can
    connect as their own database role (e.g. ``postgresql://{username}@db/study`` with
    PostgreSQL's row-level security).

    Parameters
    ----------
    project : str
        A SQLite path or a database URL, optionally holding ``{username}``.
    username : str
        The hub user's name.

    Returns
    -------
    str
        The URL for that user.
    """
    return project.replace("{username}", quote(username, safe=""))


@dataclasses.dataclass(frozen=True)
class HubSettings:
    """The settings of one team server.

    Parameters
    ----------
    project : str
        The project: a ``postgresql://`` URL for a team (or an absolute SQLite path for a
        trial on one machine); may hold ``{username}`` (see :func:`project_for`). Every
        user's server gets it as ``WB_PROJECT``.
    state_dir : str
        Where the hub keeps its own database (users, groups, the NativeAuthenticator's
        password hashes), its cookie secret, the API token and the coder app.
    ip, port : str, int
        Where the hub's public proxy listens (default ``127.0.0.1:8000``, this machine only).
    hub_port, proxy_api_port : int
        The hub's internal API and the proxy's API, always on 127.0.0.1 (0: JupyterHub's
        defaults, 8081 and 8001).
    supervisors : tuple of str
        Hub users put in the group ``supervisors`` and made the hub's admins (they authorise
        sign-ups at ``/hub/authorize`` and manage groups at ``/hub/admin``).
    coders : tuple of str
        Hub users put in the group ``coders`` at start (more can be added at any time).
    open_signup : bool
        Sign-ups need no supervisor's approval (tests, a small trusted team). Default off.
    round : str, optional
        The round coders code in (``WB_ROUND``).
    notebook_dir : str
        The folder supervisors' JupyterLab opens in.
    coder_app : str
        The coder app notebook (copied into the state folder at start).
    proxy_command : tuple of str
        The ``configurable-http-proxy`` command.
    python : str
        The Python whose ``jupyterhub-singleuser`` every user's server runs.
    ssl_key, ssl_cert : str, optional
        A TLS key and certificate for the public address (needed off this machine, unless
        a reverse proxy terminates TLS in front of the hub).
    min_password_length : int
        The shortest password NativeAuthenticator accepts at sign-up.
    config_file : str, optional
        A further JupyterHub configuration file loaded last (another authenticator, a
        spawner with OS users or containers, ...).
    extra_env : dict
        More environment variables for every user's server.
    """

    project: str
    state_dir: str
    ip: str = "127.0.0.1"
    port: int = 8000
    hub_port: int = 0
    proxy_api_port: int = 0
    supervisors: tuple[str, ...] = ()
    coders: tuple[str, ...] = ()
    open_signup: bool = False
    round: str | None = None
    notebook_dir: str = "."
    coder_app: str = ""
    proxy_command: tuple[str, ...] = ("configurable-http-proxy",)
    python: str = "python3"
    ssl_key: str | None = None
    ssl_cert: str | None = None
    min_password_length: int = _MIN_PASSWORD
    config_file: str | None = None
    extra_env: dict[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.project, str) or not self.project.strip():
            raise ValueError("HubSettings needs a project: a postgresql:// URL (or a SQLite file for a trial)")
        for name in ("port", "hub_port", "proxy_api_port"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 <= value < 65536 or (name == "port" and value == 0):
                raise ValueError(f"HubSettings.{name} must be a port number between 1 and 65535, not {value!r}")
        if self.min_password_length < 1:
            raise ValueError(f"HubSettings.min_password_length must be at least 1, not {self.min_password_length}")
        if bool(self.ssl_key) != bool(self.ssl_cert):
            raise ValueError("HubSettings needs both ssl_key and ssl_cert, or neither")
        for field in ("supervisors", "coders", "proxy_command"):
            object.__setattr__(self, field, tuple(getattr(self, field)))
        object.__setattr__(self, "extra_env", dict(self.extra_env))

    @property
    def url(self) -> str:
        """The hub's public address, e.g. ``http://127.0.0.1:8000/``."""
        host = f"[{self.ip}]" if ":" in self.ip else self.ip
        scheme = "https" if self.ssl_cert else "http"
        return f"{scheme}://{host or '0.0.0.0'}:{self.port}/"

    def to_json(self) -> str:
        """The settings as a JSON object (for the generated configuration file)."""
        return json.dumps(dataclasses.asdict(self), indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> HubSettings:
        """Settings from :meth:`to_json`'s output; unknown keys are refused by name."""
        data: dict[str, Any] = json.loads(text)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown hub settings {unknown}; known: {sorted(known)}")
        return cls(**data)
