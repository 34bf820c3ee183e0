"""What :func:`~workbench.report.publish` runs inside the notebook's kernel while it publishes.

Publishing runs the notebook in a fresh kernel. Before the first cell it runs one hidden line
(:func:`setup_line`), after the last cell another (:func:`collect_line`); both call this
module, so no code travels as a string. Neither line is stored in the notebook or the page,
nor counted as a cell.

:func:`setup`
    * makes Altair charts display as their Vega-Lite specification (the renderer
      ``workbench-publish``), which the published page draws offline;
    * when the data must be pseudonymised, starts noting every units table the notebook
      reads (:func:`watch`), also tables it never binds to a name (``print(load_threads(f))``).
:func:`collect`
    Adds the tables left in the notebook's namespace (DataFrames with an ``author`` column)
    and the units of every :class:`~workbench.Project` in it, and writes them for publish.

How units tables are noticed
----------------------------
The workbench has no event for "a units table was read", so :func:`watch` wraps the two
places a notebook reads them: :func:`workbench.ingest.load_threads` (also under its name
``workbench.load_threads``) and :meth:`workbench.Project.units`. The wrappers return exactly
what the originals return and only keep a copy of the columns that can name people
(:data:`UNIT_COLUMNS`). This is the only place the workbench replaces its own functions, and
only in the kernel that publishes (:meth:`Watch.stop` puts the originals back).

Examples
--------
>>> setup_line(collect=True)
'__import__("workbench.report.kernel", fromlist=["setup"]).setup(collect=True)'
"""

from __future__ import annotations

import functools
import os
import pickle
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

__all__ = [
    "RENDERER",
    "UNIT_COLUMNS",
    "Watch",
    "collect",
    "collect_line",
    "personal_units",
    "setup",
    "setup_line",
    "use_offline_renderer",
    "watch",
]

#: The Altair renderer publishing enables in the kernel.
RENDERER = "workbench-publish"

#: The columns of a units table that can name people (kept, the rest is not needed).
UNIT_COLUMNS = ("unit_id", "author", "author_role", "text", "title")

_MODULE = "workbench.report.kernel"
_watch: Watch | None = None


# --- the lines publish runs ------------------------------------------------------------------
def setup_line(*, collect: bool) -> str:
    """The hidden line run before the notebook's first cell (it binds no name in the notebook).

    Parameters
    ----------
    collect : bool
        Note the units tables the notebook reads (when publishing pseudonymised).

    Returns
    -------
    str
        One line of Python.
    """
    return f'__import__("{_MODULE}", fromlist=["setup"]).setup(collect={bool(collect)!r})'


def collect_line(path: str | os.PathLike[str]) -> str:
    """The hidden line run after the notebook's last cell: write the tables to ``path``.

    Parameters
    ----------
    path : path
        The (pickle) file :func:`collect` writes.

    Returns
    -------
    str
        One line of Python.

    Examples
    --------
    >>> print(collect_line("/tmp/units.pickle"))
    __import__("workbench.report.kernel", fromlist=["collect"]).collect(globals(), '/tmp/units.pickle')
    """
    return f'__import__("{_MODULE}", fromlist=["collect"]).collect(globals(), {os.fspath(path)!r})'


def setup(*, collect: bool) -> None:
    """Prepare the kernel for publishing: the offline chart renderer, and (``collect``) :func:`watch`.

    Parameters
    ----------
    collect : bool
        Note every units table the notebook reads from now on.

    Returns
    -------
    None
    """
    global _watch
    use_offline_renderer()
    if collect and _watch is None:
        _watch = watch()


def collect(namespace: Mapping[str, Any], path: str | os.PathLike[str]) -> None:
    """Write the units tables the notebook used to ``path`` (a pickle of a list of DataFrames).

    The tables noted by :func:`watch` since :func:`setup`, every DataFrame with an
    ``author`` column in ``namespace`` (names starting with ``_`` and tables made by
    :func:`workbench.pseudonymise` left out) and :func:`personal_units` of every
    :class:`~workbench.Project` in it.

    Parameters
    ----------
    namespace : mapping
        The notebook's global names (``globals()`` in the kernel).
    path : path
        Where to write them.

    Returns
    -------
    None
        (The line that calls it shows nothing in the notebook.)
    """
    from ..project import Project

    frames = list(_watch.frames) if _watch is not None else []
    for name, value in list(namespace.items()):
        if (
            not name.startswith("_")
            and isinstance(value, pd.DataFrame)
            and "author" in value.columns
            and not value.attrs.get("workbench_pseudonymised")  # made by wb.pseudonymise
        ):
            frames.append(_columns(value))
    for value in list(namespace.values()):
        if not isinstance(value, Project):
            continue
        try:
            units = value.units()
        except Exception:  # noqa: BLE001 - a closed project: its units were noted when read
            continue
        try:
            units = personal_units(value, units)
        except Exception:  # noqa: BLE001 - when the state cannot be read, protect everything
            pass
        if units is not None:
            frames.append(_columns(units))
    with open(path, "wb") as fh:
        pickle.dump(frames, fh)


# --- charts ----------------------------------------------------------------------------------
def use_offline_renderer() -> None:
    """Make Altair charts display as their Vega-Lite spec (drawn offline in the published page).

    Returns
    -------
    None
    """
    try:
        import altair
    except ImportError:  # pragma: no cover - altair is a dependency of the charts
        return
    major = str(getattr(altair, "SCHEMA_VERSION", "v5")).lstrip("v").split(".")[0]

    def workbench_publish(spec: dict[str, Any], **options: Any) -> dict[str, Any]:
        return {f"application/vnd.vegalite.v{major}+json": spec, "text/plain": "<altair chart>"}

    altair.renderers.register(RENDERER, workbench_publish)
    altair.renderers.enable(RENDERER)


# --- units tables ----------------------------------------------------------------------------
def _columns(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[[c for c in UNIT_COLUMNS if c in frame.columns]].copy()


def personal_units(project: Any, units: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """The units of ``project`` whose authors must not be published.

    All of them; for a project marked pseudonymised (:func:`workbench.privacy.privacy_state`)
    only the units added after it was marked (None when that cannot be told).

    Parameters
    ----------
    project : Project
        The project.
    units : DataFrame, optional
        Its units table as already read (``project.units()`` by default).

    Returns
    -------
    DataFrame or None
        The units to protect.
    """
    from ..privacy import privacy_state

    units = project.units() if units is None else units
    state = privacy_state(project)
    if state.get("state") != "pseudonymised":
        return units
    through = state.get("through_seq")
    if through is None or "seq" not in units.columns:
        return None
    return units[units["seq"] > through]


class Watch:
    """Notes the units tables read while it runs (see the module notes); :meth:`stop` ends it.

    Attributes
    ----------
    frames : list of DataFrame
        The tables noted, reduced to :data:`UNIT_COLUMNS`.
    """

    def __init__(self) -> None:
        import workbench
        import workbench.ingest as ingest
        from workbench.project import Project

        self.frames: list[pd.DataFrame] = []
        self._busy = False
        self._restore: list[Callable[[], None]] = []

        original_load = ingest.load_threads

        @functools.wraps(original_load)
        def load_threads(*args: Any, **kwargs: Any) -> Any:
            units = original_load(*args, **kwargs)
            self.keep(units)
            return units

        setattr(ingest, "load_threads", load_threads)  # noqa: B010 - the wrapper (see the module notes)
        self._restore.append(lambda: setattr(ingest, "load_threads", original_load))
        if getattr(workbench, "load_threads", None) is original_load:
            setattr(workbench, "load_threads", load_threads)  # noqa: B010
            self._restore.append(lambda: setattr(workbench, "load_threads", original_load))

        original_units = Project.units

        @functools.wraps(original_units)
        def units(project: Any, *args: Any, **kwargs: Any) -> Any:
            frame = original_units(project, *args, **kwargs)
            if self._busy:  # privacy_state may read the units itself
                return frame
            self._busy = True
            try:
                self.keep(personal_units(project, frame))
            except Exception:  # noqa: BLE001 - when the state cannot be read, protect everything
                self.keep(frame)
            finally:
                self._busy = False
            return frame

        setattr(Project, "units", units)  # noqa: B010
        self._restore.append(lambda: setattr(Project, "units", original_units))

    def keep(self, frame: Any) -> None:
        """Note ``frame`` when it is a table that can name people (an ``author`` or ``text`` column).

        Parameters
        ----------
        frame : object
            What a read returned; anything but such a table is ignored.

        Returns
        -------
        None
        """
        if isinstance(frame, pd.DataFrame) and ("author" in frame.columns or "text" in frame.columns):
            self.frames.append(_columns(frame))

    def stop(self) -> None:
        """Put the original functions back.

        Returns
        -------
        None
        """
        while self._restore:
            self._restore.pop()()


def watch() -> Watch:
    """Start noting the units tables the notebook reads (see the module notes).

    Returns
    -------
    Watch
        Its ``frames``; :meth:`Watch.stop` ends it.

    Examples
    --------
    >>> import os, tempfile, workbench as wb
    >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "p.db"))
    >>> project.add_units(wb.make_units([{"unit_id": "1", "thread_id": "t", "author": "kath", "text": "Hi"}]))
    1
    >>> w = watch()
    >>> _ = project.units()
    >>> w.stop()
    >>> _ = project.units()  # no longer noted
    >>> [list(frame["author"]) for frame in w.frames]
    [['kath']]
    >>> project.close()
    """
    return Watch()
