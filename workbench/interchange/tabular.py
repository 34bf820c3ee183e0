"""CSV and XLSX export of units and codings, pseudonymised unless raw is asked for with the key.

Both writers go through :func:`workbench.privacy.export_view`: a project holding raw
data is pseudonymised and redacted on the way out (the pseudonym key is required), and
real names are written only with ``raw=True`` *and* the key. Safe exports have an
``author_pseudonym`` column and no ``author`` column, so a reader can tell at a glance,
and their ``unit_id``, ``thread_id`` and ``parent_id`` are pseudonymous ids keyed by the
key (ids are often made of file names, domains and handles). Files are written
atomically (nothing is left when an export fails); raw files are readable by their owner
only (mode 0600).

Every text from a thread is untrusted. In XLSX files texts are always stored as text,
never as formulas. In CSV files, which carry no types, a cell that a spreadsheet would
run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) is
prefixed with ``'`` unless ``formula_guard=False``. Characters that XLSX cannot hold
(control characters) are written as U+FFFD. Times are UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..privacy import ExportView, PseudonymKey, export_view
from ..sentinels import ALL_ROUNDS
from ._files import atomic_write

if TYPE_CHECKING:  # pragma: no cover
    from workbench.project import Project

__all__ = ["FORMATS", "export_codings", "export_units", "codings_table", "units_table"]

#: Formats the writers know, by file suffix.
FORMATS: dict[str, str] = {".csv": "csv", ".xlsx": "xlsx"}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_UNIT_COLUMNS = [
    "unit_id",
    "thread_id",
    "parent_id",
    "depth",
    "position",
    "author_pseudonym",
    "author_role",
    "posted_at",
    "kind",
    "status",
    "title",
    "text",
]
_CODING_COLUMNS = ["coder", "code", "round", "codebook_version", "span_start", "span_end", "span_text", "memo", "coded_at"]


def _format(path: Path, format: str | None) -> str:
    if format is not None:
        fmt = str(format).lower().lstrip(".")
        if fmt not in FORMATS.values():
            raise ValueError(f"format must be one of {sorted(set(FORMATS.values()))}, not {format!r}")
        return fmt
    by_suffix = FORMATS.get(path.suffix.lower())
    if by_suffix is None:
        raise ValueError(
            f"cannot tell the format of {path} from its suffix {path.suffix!r}; "
            f"use one of {sorted(FORMATS)} or pass format='csv' / format='xlsx'"
        )
    return by_suffix


def units_table(view: ExportView) -> pd.DataFrame:
    """The units of an export view as written: one row per unit.

    With a raw view the real ``author`` is added after ``author_pseudonym``.

    Examples
    --------
    >>> import tempfile, os, workbench as wb
    >>> from workbench.privacy import PseudonymKey, export_view
    >>> project = wb.open_project(os.path.join(tempfile.mkdtemp(), "p.db"))
    >>> _ = project.add_units(wb.make_units([{"unit_id": "1", "thread_id": "t", "author": "Sam", "text": "Hi"}]))
    >>> key = PseudonymKey(); _ = key.save(os.path.join(tempfile.mkdtemp(), "k.json"))
    >>> table = units_table(export_view(project, key=key))
    >>> table[["author_pseudonym", "text"]].values.tolist(), table.loc[0, "unit_id"].startswith("id-")
    ([['P001', 'Hi']], True)
    >>> project.close()
    """
    u = view.units.copy()
    if view.raw:
        u["author_pseudonym"] = u["author_pseudonym"] if "author_pseudonym" in u.columns else None
    else:
        u["author_pseudonym"] = u["author"]
    cols = [c for c in _UNIT_COLUMNS if c in u.columns or c == "title"]
    for c in cols:
        if c not in u.columns:
            u[c] = None
    if view.raw:
        cols.insert(cols.index("author_pseudonym") + 1, "author")
    return u[cols].reset_index(drop=True)


def codings_table(view: ExportView, *, include_uncoded: bool = True) -> pd.DataFrame:
    """One row per unit x coder x code (uncoded units once, with empty coding columns).

    ``span_text`` is the coded stretch of the exported text (spans are remapped onto
    pseudonymised and redacted texts by :func:`~workbench.privacy.export_view`).
    """
    units = units_table(view)
    c = view.codings.rename(columns={"at": "coded_at"}).copy()
    for col in _CODING_COLUMNS:
        if col not in c.columns and col != "span_text":
            c[col] = None
    how = "left" if include_uncoded else "inner"
    merged = units.merge(c[["unit_id"] + [x for x in _CODING_COLUMNS if x != "span_text"]], on="unit_id", how=how)
    spans: list[str | None] = []
    for text, s, e in zip(merged["text"], merged["span_start"], merged["span_end"]):
        if pd.isna(s) or pd.isna(e) or not isinstance(text, str):
            spans.append(None)
        else:
            spans.append(text[int(s) : int(e)])
    merged["span_text"] = spans
    for col in ("span_start", "span_end", "codebook_version"):
        merged[col] = merged[col].astype("Int64")
    first = [x for x in units.columns if x != "text"]
    return merged[first + _CODING_COLUMNS + ["text"]].reset_index(drop=True)


def _guard(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _cell_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (AttributeError, ValueError):
            return value
    return value


def _write_csv(df: pd.DataFrame, path: Path, *, formula_guard: bool) -> None:
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif formula_guard and (out[col].dtype == object or pd.api.types.is_string_dtype(out[col])):
            out[col] = out[col].map(_guard)
    out.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")


def _write_xlsx(sheets: dict[str, pd.DataFrame], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    wb = Workbook(write_only=True)
    for name, df in sheets.items():
        ws = wb.create_sheet(title=name)
        ws.append([str(c) for c in df.columns])
        for row in df.itertuples(index=False, name=None):
            cells = []
            for value in row:
                v = _cell_value(value)
                if isinstance(v, str):
                    v = ILLEGAL_CHARACTERS_RE.sub("\ufffd", v)
                    cell = WriteOnlyCell(ws, value=v)
                    cell.data_type = "s"  # text, never a formula
                else:
                    cell = WriteOnlyCell(ws, value=v)
                cells.append(cell)
            ws.append(cells)
    wb.save(path)


def _about(view: ExportView, what: str) -> pd.DataFrame:
    facts = {"export": what, "exported_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
    facts.update(view.about())
    return pd.DataFrame({"field": list(facts), "value": [str(v) for v in facts.values()]})


def _export(
    project: Project,
    path: str | Path,
    *,
    what: str,
    format: str | None,
    raw: bool,
    key: PseudonymKey | None,
    formula_guard: bool,
    redact_kinds: Sequence[str],
    coder: Any = None,
    round: Any = ALL_ROUNDS,
    include_uncoded: bool = True,
) -> Path:
    target = Path(path).expanduser()
    fmt = _format(target, format)
    view = export_view(project, raw=raw, key=key, redact_kinds=redact_kinds, coder=coder, round=round)
    if what == "codings":
        table = codings_table(view, include_uncoded=include_uncoded)
    else:
        table = units_table(view)
    if fmt == "csv":
        return atomic_write(target, lambda p: _write_csv(table, p, formula_guard=formula_guard), private=raw)
    return atomic_write(target, lambda p: _write_xlsx({what: table, "about": _about(view, what)}, p), private=raw)


def export_codings(
    project: Project,
    path: str | Path,
    *,
    format: str | None = None,
    raw: bool = False,
    key: PseudonymKey | None = None,
    coder: str | Sequence[str] | None = None,
    round: Any = ALL_ROUNDS,
    include_uncoded: bool = True,
    redact_kinds: Sequence[str] = ("url", "email", "phone", "handle"),
    formula_guard: bool = True,
) -> Path:
    """Write units with their current codings: one row per unit x coder x code.

    Parameters
    ----------
    project : Project
        The project to export.
    path : str or Path
        Target file; ``.csv`` or ``.xlsx`` (or say which with ``format``).
    format : {"csv", "xlsx"}, optional
        Overrides the suffix.
    raw, key
        See :func:`workbench.privacy.export_view`: pseudonymised unless ``raw=True``
        with the project's key; a project holding raw data needs ``key`` either way.
        Raw files are written readable by their owner only.
    coder, round
        Restrict to some coders / one round (as :meth:`Project.codings`).
    include_uncoded : bool
        Also list units nobody coded (once each, coding columns empty).
    redact_kinds : sequence of str
        Contact data redacted on the way out (not for raw exports).
    formula_guard : bool
        CSV only: prefix cells a spreadsheet would run as formulas with ``'``.

    Returns
    -------
    Path
        The file written. Columns: ``unit_id, thread_id, parent_id, depth, position,
        author_pseudonym, author_role, posted_at, kind, status, title, coder, code,
        round, codebook_version, span_start, span_end, span_text, memo, coded_at, text``
        (raw exports add ``author``). XLSX files have a second sheet, ``about``.

    Examples
    --------
    >>> import tempfile, os, workbench as wb
    >>> from workbench.privacy import PseudonymKey
    >>> folder = tempfile.mkdtemp()
    >>> project = wb.open_project(os.path.join(folder, "p.db"))
    >>> _ = project.add_units(wb.make_units([{"unit_id": "1", "thread_id": "t", "author": "Sam",
    ...                                       "text": "Ask @Sam"}]))
    >>> key = PseudonymKey(); _ = key.save(os.path.join(tempfile.mkdtemp(), "k.json"))
    >>> out = export_codings(project, os.path.join(folder, "codings.csv"), key=key)
    >>> pd.read_csv(out)[["author_pseudonym", "text"]].values.tolist()
    [['P001', 'Ask @P001']]
    >>> project.close()
    """
    return _export(
        project, path, what="codings", format=format, raw=raw, key=key, formula_guard=formula_guard,
        redact_kinds=redact_kinds, coder=coder, round=round, include_uncoded=include_uncoded,
    )


def export_units(
    project: Project,
    path: str | Path,
    *,
    format: str | None = None,
    raw: bool = False,
    key: PseudonymKey | None = None,
    redact_kinds: Sequence[str] = ("url", "email", "phone", "handle"),
    formula_guard: bool = True,
) -> Path:
    """Write the units (one row per unit), pseudonymised unless raw is asked for with the key.

    Parameters and safeguards as :func:`export_codings`. Columns: ``unit_id, thread_id,
    parent_id, depth, position, author_pseudonym, author_role, posted_at, kind, status,
    title, text`` (raw exports add ``author``).
    """
    return _export(
        project, path, what="units", format=format, raw=raw, key=key, formula_guard=formula_guard,
        redact_kinds=redact_kinds,
    )
