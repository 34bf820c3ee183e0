"""The coder app: what ``notebooks/coder_app.ipynb`` shows in Voilà, a coding panel and little else.

Where the app runs decides who codes:

* **on the team server** (``workbench hub``), JupyterHub sets ``JUPYTERHUB_USER`` in the
  coder's server: the app opens the project *for that coder*
  (``open_project(WB_PROJECT, coder=JUPYTERHUB_USER)``), so everything it does is done
  as them and reads only what a blind round lets them see; there is no name to type. A
  hub user who is not yet a coder of the project is added with the role ``coder`` when
  the project's login may add coders (else a supervisor adds them:
  ``workbench team add-coder NAME``). A server that says it is on a hub
  (``WB_HUB_ROLE``, ``JUPYTERHUB_API_URL`` or ``JUPYTERHUB_SERVICE_PREFIX``) without
  saying who is logged in codes for nobody;
* **on the coder's own computer** (``workbench app``, 127.0.0.1 behind a token), the coder
  types their name and presses *Start coding*; a name new to the project is asked twice.

The project and the round come from ``WB_PROJECT`` and ``WB_ROUND`` (a coder's kit, made
by ``workbench kit``, opens in its round without ``WB_ROUND``).

Examples
--------
>>> import os, tempfile, workbench as wb
>>> path = os.path.join(tempfile.mkdtemp(), "p.db")
>>> project = wb.open_project(path)
>>> project.add_units(wb.make_units([{"unit_id": "a", "thread_id": "t", "text": "A post"}]))
1
>>> project.add_codebook(wb.Codebook.from_dict({"name": "demo", "codes": [
...     {"name": "thanks", "label": "Thanks", "definition": "Thanks the writer."}]}))
1
>>> project.close()
>>> app = coder_app({"WB_PROJECT": path, "JUPYTERHUB_USER": "alice", "WB_HUB_ROLE": "coder"})
>>> app.project.coder, app.panel.coder, app.children[0].value
('alice', 'alice', 'Coding as alice')
>>> app.panel.toggle("thanks")
>>> app.project.codings()[["coder", "unit_id", "code"]].values.tolist()
[['alice', 'a', 'thanks']]
>>> app.project.close()
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from ..errors import AccessError, UnknownCoderError, WorkbenchError
from ..project import Project, open_project
from .coding_panel import CodingPanel

__all__ = ["CoderApp", "coder_app", "HUB_MARKERS"]

#: Environment variables that say the app runs on a team server (JupyterHub).
HUB_MARKERS = ("WB_HUB_ROLE", "JUPYTERHUB_API_URL", "JUPYTERHUB_SERVICE_PREFIX")


class CoderApp(widgets.VBox):
    """The coder app's widget: a name box and a note, then the coding panel.

    Parameters
    ----------
    project : str
        The project's path or URL (``WB_PROJECT``).
    round : str, optional
        The round to code in (``WB_ROUND``).
    hub_user : str, optional
        The coder logged in to the team server (``JUPYTERHUB_USER``): the app codes as them.
    on_hub : bool
        Whether the app runs on a team server (then it never codes under a typed name).

    Attributes
    ----------
    project : Project or None
        The open project (for ``hub_user`` when given).
    panel : CodingPanel or None
        The panel, once coding has started.
    """

    def __init__(self, project: str, *, round: str | None = None, hub_user: str | None = None,
                 on_hub: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url, self.round, self.hub_user = project, round, (hub_user or "").strip() or None
        self.project: Project | None = None
        self.panel: CodingPanel | None = None
        self._asked_new: set[str] = set()
        self.name = widgets.Combobox(description="Your name", placeholder="e.g. alice", ensure_option=False)
        self.name.add_class("wb-coder-name")
        self.start = widgets.Button(description="Start coding", button_style="primary")
        self.start.add_class("wb-start")
        self.note = widgets.Label()
        self.note.add_class("wb-app-note")
        self.children = [widgets.HBox([self.name, self.start]), self.note]
        self.start.on_click(self._begin)
        if on_hub and self.hub_user is None:
            self.children = [self.note]
            self.note.value = ("This team server did not say who you are (no JUPYTERHUB_USER), so coding is off. "
                               "Tell your supervisor.")
        elif not Path(project).exists() and "://" not in project:
            self.note.value = f"No project at {project}. Ask your researcher to prepare it (notebooks/01_code_threads.ipynb)."
            self.start.disabled = True
        elif self.hub_user is not None:
            self.children = [self.note]  # the coder is the hub user: no name to type
            self._open_for_hub_user(self.hub_user)
        else:
            self.project = open_project(project)
            self.name.options = tuple(self.project.coders()["name"])

    def _open_for_hub_user(self, user: str) -> None:
        try:
            try:
                self.project = open_project(self.url, coder=user)
            except UnknownCoderError:
                self._join(user)
                self.project = open_project(self.url, coder=user)
        except (WorkbenchError, ValueError) as exc:
            self.note.value = f"Could not start: {exc}"
            return
        self._open_panel(user)

    def _join(self, user: str) -> None:
        """Add a hub coder to the project (when the project's login may add coders)."""
        owner = open_project(self.url)
        try:
            if owner.role == "coder":
                raise AccessError(f"{user!r} is not a coder of this project yet: ask a supervisor to add you "
                                  f"(workbench team add-coder {user})")
            owner.add_coder(user)
        finally:
            owner.close()

    def _open_panel(self, coder: str) -> None:
        if self.project is None:
            return
        try:
            if self.project.coder is None and coder not in set(self.project.coders()["name"]):
                self.project.add_coder(coder)
            # a coder's kit (workbench kit) opens in its round
            rnd = self.round or (self.project.get_setting("kit") or {}).get("round") or None
            self.panel = CodingPanel(self.project, coder=coder, round=rnd)
        except (WorkbenchError, ValueError) as exc:
            self.note.value = f"Could not start: {exc}"
            return
        coding_as = widgets.Label(f"Coding as {coder}")
        coding_as.add_class("wb-coding-as")
        self.children = [coding_as, self.panel]

    def _begin(self, _: Any = None) -> None:
        coder = (self.name.value or "").strip()
        if self.project is None or self.hub_user is not None:
            return
        if not coder:
            self.note.value = "Please type your name first."
            return
        if coder not in self.name.options and coder not in self._asked_new:
            self._asked_new.add(coder)
            self.note.value = f"'{coder}' is a new coder name here. Check the spelling, then press Start coding again."
            return
        self._open_panel(coder)


def coder_app(environ: Mapping[str, str] | None = None) -> CoderApp:
    """The coder app for the environment it runs in (see the module docstring).

    Parameters
    ----------
    environ : mapping, optional
        The environment (default ``os.environ``): ``WB_PROJECT`` (default
        ``../data/project.db``), ``WB_ROUND``, ``JUPYTERHUB_USER`` and :data:`HUB_MARKERS`.

    Returns
    -------
    CoderApp
    """
    env = os.environ if environ is None else environ
    return CoderApp(
        env.get("WB_PROJECT") or str(Path("..") / "data" / "project.db"),
        round=env.get("WB_ROUND") or None,
        hub_user=env.get("JUPYTERHUB_USER", ""),
        on_hub=any(env.get(v) for v in HUB_MARKERS),
    )
