"""One thread as a tree: each unit a dot placed by depth and reply order, coloured by its code."""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from ._frames import (
    NOT_CODED,
    UNKNOWN,
    CodeColors,
    check_frame,
    check_int,
    code_color,
    code_order,
    esc,
    esc_series,
    lookup,
    select_codings,
)

__all__ = ["thread_tree"]


def _preorder(thread: pd.DataFrame) -> list[int]:
    """Row positions of a thread in reply order: each unit followed by its replies."""
    ids = list(thread["unit_id"])
    index = {uid: i for i, uid in enumerate(ids)}
    kids: dict[int, list[int]] = {}
    roots: list[int] = []
    for i, parent in enumerate(thread["parent_id"]):
        p = index.get(parent) if parent is not None else None
        if p is None or p == i:
            roots.append(i)
        else:
            kids.setdefault(p, []).append(i)
    out: list[int] = []
    seen: set[int] = set()
    stack = list(reversed(roots))
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen.add(i)
        out.append(i)
        stack.extend(reversed(kids.get(i, [])))
    out.extend(i for i in range(len(ids)) if i not in seen)  # units on a reply cycle
    return out


def _clip(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def thread_tree(
    codings: pd.DataFrame,
    units: pd.DataFrame,
    thread_id: str,
    *,
    coder: str | Sequence[str] | None = None,
    codebook: CodeColors = None,
    max_units: int = 300,
    max_chars: int = 280,
    label_chars: int = 60,
) -> alt.LayerChart:
    """One thread as a tree: each unit a dot placed by depth and reply order, coloured by its code.

    The layout is computed in Python: units are listed in reply order (a unit, then
    its replies, each in thread ``position`` order), one row each, indented by
    ``depth``; elbow lines join each reply to its parent. Hover a dot for the author,
    the codes (with their coders) and the text. Orphans keep their depth and have no
    line.

    A unit's colour is its most used code among the chosen coders (ties go to the
    code first in codebook order, then alphabetically); units nobody coded are grey.

    Parameters
    ----------
    codings : DataFrame
        ``unit_id, coder, code``.
    units : DataFrame
        ``unit_id, thread_id, parent_id, depth, position, text`` (``author,
        author_role, posted_at, status`` are shown when present).
    thread_id : str
        The thread to draw.
    coder : str or list of str, optional
        Only these coders' codes.
    codebook : Codebook or mapping, optional
        Code order and colours.
    max_units : int
        Longer threads show their first ``max_units`` units in reply order (said in the subtitle).
    max_chars, label_chars : int
        Text length in the tooltip and in the label beside each dot.

    Returns
    -------
    alt.LayerChart
        Layers: edges (``x, x2, y, y2``), dots and labels (``row, depth, unit_id,
        author, author_role, posted_at, status, code, codes, text, label``).

    Examples
    --------
    >>> import pandas as pd
    >>> units = pd.DataFrame({"unit_id": ["p", "r1", "r2"], "thread_id": "t",
    ...     "parent_id": [None, "p", "r1"], "depth": [0, 1, 2], "position": [0, 1, 2],
    ...     "text": ["It hurt.", "Not all of us <b>!</b>", "That is not the point."]})
    >>> codings = pd.DataFrame({"unit_id": ["r1"], "coder": ["al"], "code": ["defensive"]})
    >>> spec = thread_tree(codings, units, "t").to_dict()
    >>> nodes = spec["datasets"][spec["layer"][1]["data"]["name"]]
    >>> [(r["row"], r["depth"], r["code"], r["text"]) for r in nodes]
    [(0, 0, '(not coded)', 'It hurt.'), (1, 1, 'defensive', 'Not all of us <b>!</b>'), (2, 2, '(not coded)', 'That is not the point.')]
    """
    max_units = check_int(max_units, "max_units", 1)
    max_chars = check_int(max_chars, "max_chars", 1)
    label_chars = check_int(label_chars, "label_chars", 0)
    check_frame(units, "units", ("unit_id", "thread_id", "parent_id", "text"))
    thread_id = str(thread_id)
    mask = units["thread_id"].astype(str) == thread_id
    if not mask.any():
        known = list(pd.unique(units["thread_id"].astype(str)))
        raise ValueError(f"thread {thread_id!r} is not in units; threads include {known[:10]}")
    t = units[mask].copy()
    t["unit_id"] = t["unit_id"].astype(str)
    t["parent_id"] = t["parent_id"].map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA else str(v))
    if "position" in t:
        t = t.sort_values("position", kind="stable")
    t = t.reset_index(drop=True)
    order_rows = _preorder(t)
    total = len(order_rows)
    order_rows = order_rows[:max_units]
    t = t.iloc[order_rows].reset_index(drop=True)
    t["row"] = np.arange(len(t))
    if "depth" in t:
        t["depth"] = pd.to_numeric(t["depth"], errors="coerce").fillna(0).astype(int)
    else:  # pragma: no cover - depth is part of the units schema
        t["depth"] = 0

    df = select_codings(codings, coder)
    df = df[lookup(df["unit_id"], t["unit_id"]) >= 0]
    order = code_order(df["code"], codebook)
    rank = {c: i for i, c in enumerate(order)}
    primary: dict[str, str] = {}
    described: dict[str, str] = {}
    for uid, g in df.groupby("unit_id", sort=False):
        by_code = g.groupby("code")["coder"].apply(list)
        ranked = sorted(by_code.index, key=lambda c: (-len(by_code[c]), rank.get(c, len(rank))))
        primary[uid] = ranked[0]
        described[uid] = "; ".join(f"{c} ({', '.join(sorted(by_code[c]))})" for c in ranked)
    nodes = pd.DataFrame(
        {
            "row": t["row"],
            "depth": t["depth"],
            "unit_id": t["unit_id"],
            "author": t["author"].fillna("") if "author" in t else "",
            "author_role": t["author_role"].fillna(UNKNOWN) if "author_role" in t else UNKNOWN,
            "posted_at": pd.to_datetime(t["posted_at"], utc=True, errors="coerce").dt.strftime("%Y-%m-%d %H:%M UTC").fillna("")
            if "posted_at" in t
            else "",
            "status": t["status"].fillna("ok") if "status" in t else "ok",
            "code": [primary.get(u, NOT_CODED) for u in t["unit_id"]],
            "codes": [described.get(u, "none") for u in t["unit_id"]],
            "text": [_clip(x, max_chars) for x in t["text"].fillna("")],
        }
    )
    nodes["label"] = [
        _clip(f"{a}: {x}" if a else x, label_chars) if label_chars else ""
        for a, x in zip(nodes["author"], nodes["text"])
    ]
    nodes.loc[nodes["status"].isin(["deleted", "removed"]), "label"] = "[" + nodes["status"] + "]"
    for c in ("unit_id", "author", "author_role", "status", "code", "codes", "text", "label"):
        nodes[c] = esc_series(nodes[c].astype(str))
    if NOT_CODED in set(nodes["code"]) and NOT_CODED not in order:
        order = order + [NOT_CODED]

    row_of = dict(zip(t["unit_id"], t["row"]))
    depth_of = dict(zip(t["unit_id"], t["depth"]))
    edges = []
    for uid, parent in zip(t["unit_id"], t["parent_id"]):
        if parent in row_of and parent != uid:
            px, py, cx, cy = depth_of[parent], row_of[parent], depth_of[uid], row_of[uid]
            edges.append((px, px, py, cy))  # down from the parent
            edges.append((px, cx, cy, cy))  # across to the reply
    edges_df = pd.DataFrame(edges, columns=["x", "x2", "y", "y2"])

    max_d = int(t["depth"].max()) if len(t) else 0
    label_room = 12 if label_chars else 1
    x_scale = alt.Scale(domain=[-0.4, max_d + 0.4 + label_room], nice=False, zero=False)
    y_scale = alt.Scale(domain=[-0.5, max(len(t), 1) - 0.5], reverse=True, nice=False, zero=False)
    height = min(max(18 * len(t), 80), 3000)
    lines = alt.Chart(edges_df).mark_rule(color="#999", strokeWidth=1.2).encode(
        x=alt.X("x:Q", scale=x_scale, axis=None), x2="x2:Q", y=alt.Y("y:Q", scale=y_scale, axis=None), y2="y2:Q"
    )
    base = alt.Chart(nodes).encode(
        x=alt.X("depth:Q", scale=x_scale, axis=None),
        y=alt.Y("row:Q", scale=y_scale, axis=None),
        tooltip=[
            alt.Tooltip("author:N"),
            alt.Tooltip("author_role:N", title="role"),
            alt.Tooltip("posted_at:N", title="posted"),
            alt.Tooltip("depth:Q"),
            alt.Tooltip("codes:N", title="codes (coders)"),
            alt.Tooltip("status:N"),
            alt.Tooltip("text:N"),
            alt.Tooltip("unit_id:N", title="unit"),
        ],
    )
    dots = base.mark_circle(size=140, opacity=1, stroke="white", strokeWidth=1).encode(
        color=code_color("code", order, codebook)
    )
    labels = base.mark_text(align="left", dx=10, fontSize=11, color="#333").encode(text="label:N")
    title = f"Thread {esc(thread_id)}"
    subtitle = f"{total} units" + (f"; the first {len(t)} in reply order are shown" if total > len(t) else "")
    return (lines + dots + labels).properties(
        title=alt.TitleParams(title, subtitle=subtitle, anchor="start"), width=24 * (max_d + 1) + 24 * label_room, height=height
    )


