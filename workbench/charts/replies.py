"""Replies and what they reply to: transitions from a parent's code to its replies' codes, and the flow down a thread.

Relations are formed within one coder: a reply is paired with the same coder's codes of
its parent (see :mod:`workbench.charts`).
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from ._frames import (
    NOT_CODED,
    PARENT_MISSING,
    UNKNOWN,
    CodeColors,
    attach,
    check_int,
    choice,
    code_color,
    code_order,
    depth_labels,
    esc,
    esc_series,
    ids,
    lookup,
    rounded,
    select_codings,
    units_frame,
)

__all__ = ["reply_transitions", "reply_flow"]


def _parent_codes(replies: pd.DataFrame, coded: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Replies joined with the same coder's codes of their parent (column ``from``).

    One row per (reply coding, parent code); ``"(not coded)"`` where that coder did
    not code the parent, ``"(parent missing)"`` where the parent is not in ``units``.
    """
    p, u = ids(replies["parent_id"], coded["unit_id"])
    rc, cc = ids(replies["coder"], coded["coder"])
    n = int(max(rc.max(initial=0), cc.max(initial=0))) + 1
    left = replies.assign(_key=np.where(p >= 0, p * n + rc, -1))
    right = pd.DataFrame({"_key": u * n + cc, "from": coded["code"].array})
    out = left.merge(right, on="_key", how="left").drop(columns="_key")
    out["from"] = out["from"].astype("str").fillna(NOT_CODED)
    missing = lookup(out["parent_id"], units["unit_id"]) < 0
    out.loc[missing, "from"] = PARENT_MISSING
    return out


def reply_transitions(
    codings: pd.DataFrame,
    units: pd.DataFrame,
    by: str = "code",
    *,
    coder: str | Sequence[str] | None = None,
    codebook: CodeColors = None,
) -> alt.LayerChart:
    """The code of a reply given the code (or the author role) of what it replies to.

    Rows are what was replied to, columns the code of the reply. A cell holds the
    number of coded replies and is coloured by the conditional share: of the coded
    replies to a unit coded ``from``, the share coded ``to`` (rows can add up to more
    than 100% when replies carry several codes). Parents come from ``units``; a
    parent the same coder did not code is ``"(not coded)"``, a parent not in
    ``units`` ``"(parent missing)"``. Root posts (no parent) are not replies.

    Parameters
    ----------
    codings : DataFrame
        ``unit_id, coder, code``.
    units : DataFrame
        ``unit_id, parent_id`` (and ``author_role`` for ``by="author_role"``).
    by : {"code", "author_role"}
        What the rows are: the parent's code (same coder) or its author's role.
    coder : str or list of str, optional
        Only these coders.
    codebook : Codebook or mapping, optional
        Code order.

    Returns
    -------
    alt.LayerChart
        Data columns: ``from, to, n, n_from, share``.

    Examples
    --------
    >>> import pandas as pd
    >>> units = pd.DataFrame({"unit_id": ["p", "r1", "r2"], "parent_id": [None, "p", "p"],
    ...                       "author_role": ["patient", "professional", "carer"]})
    >>> codings = pd.DataFrame({"unit_id": ["p", "r1", "r2"], "coder": ["al"] * 3,
    ...                         "code": ["disclosure", "defensive", "validating"]})
    >>> rows = next(iter(reply_transitions(codings, units).to_dict()["datasets"].values()))
    >>> [(r["from"], r["to"], r["n"], r["share"]) for r in rows]
    [('disclosure', 'defensive', 1, 0.5), ('disclosure', 'validating', 1, 0.5)]
    """
    choice(by, "by", ["code", "author_role"])
    df = select_codings(codings, coder)
    cols = ["author_role"] if by == "author_role" else []
    u = units_frame(units, ["parent_id", *cols])
    replies = attach(df, u, ["parent_id"])
    replies = replies[replies["parent_id"].notna()].reset_index(drop=True)
    if by == "code":
        pairs = _parent_codes(replies, df, u)
    else:
        pos = lookup(replies["parent_id"], u["unit_id"])
        roles = pd.Series(pd.api.extensions.take(u["author_role"].array, pos, allow_fill=True)).astype("str").fillna(UNKNOWN)
        roles[pos < 0] = PARENT_MISSING
        pairs = replies.assign(**{"from": roles.array})
    pairs = pairs.rename(columns={"code": "to"})
    agg = pairs.groupby(["from", "to"]).size().rename("n").reset_index()
    n_from = pairs.groupby("from")["obs"].nunique()
    agg["n_from"] = agg["from"].map(n_from).astype(int)
    agg["share"] = agg["n"] / agg["n_from"]
    agg = rounded(agg)
    to_order = code_order(df["code"], codebook)
    if by == "code":
        from_order = code_order(list(pd.unique(df["code"])) + list(agg["from"]), codebook)
    else:
        from_order = sorted(c for c in pd.unique(agg["from"]) if c != PARENT_MISSING) + (
            [PARENT_MISSING] if (agg["from"] == PARENT_MISSING).any() else []
        )
    agg["from"] = pd.Categorical(agg["from"], categories=from_order)
    agg["to"] = pd.Categorical(agg["to"], categories=to_order)
    agg = agg.sort_values(["from", "to"]).reset_index(drop=True)
    agg["from"] = esc_series(agg["from"].astype(str))
    agg["to"] = esc_series(agg["to"].astype(str))
    row_title = "in reply to (code)" if by == "code" else "in reply to (author role)"
    base = alt.Chart(agg).encode(
        x=alt.X("to:N", title="reply coded", sort=[esc(c) for c in to_order], axis=alt.Axis(labelAngle=-40)),
        y=alt.Y("from:N", title=row_title, sort=[esc(c) for c in from_order]),
        tooltip=[
            alt.Tooltip("from:N", title=row_title),
            alt.Tooltip("to:N", title="reply coded"),
            alt.Tooltip("n:Q", title="replies"),
            alt.Tooltip("n_from:Q", title="coded replies to this row"),
            alt.Tooltip("share:Q", title="share of those replies", format=".1%"),
        ],
    )
    rect = base.mark_rect(stroke="white").encode(
        color=alt.Color("share:Q", title="share of replies", scale=alt.Scale(scheme="oranges", domain=[0, 1]), legend=alt.Legend(format=".0%"))
    )
    text = base.mark_text(fontSize=10).encode(
        text="n:Q", color=alt.when(alt.datum.share > 0.6).then(alt.value("white")).otherwise(alt.value("black"))
    )
    title = "Replies by what they reply to" + (" (author role)" if by == "author_role" else "")
    return (rect + text).properties(title=title, width=alt.Step(36), height=alt.Step(26))


def reply_flow(
    codings: pd.DataFrame,
    units: pd.DataFrame,
    *,
    coder: str | Sequence[str] | None = None,
    max_depth: int = 3,
    min_n: int = 1,
    codebook: CodeColors = None,
) -> alt.LayerChart:
    """How a thread flows: root post codes, then first replies, then their replies.

    Columns are depths (0 = root post), rows are codes; a dot's size is the number of
    coded units (x coder) at that depth with that code, a line's width the number of
    replies at the next depth with that code under a parent with the first code (same
    coder). Depths beyond ``max_depth`` are pooled in the last column and only their
    dots are drawn.

    Parameters
    ----------
    codings : DataFrame
        ``unit_id, coder, code``.
    units : DataFrame
        ``unit_id, parent_id, depth``.
    coder : str or list of str, optional
        Only these coders.
    max_depth : int
        The last column (``"3+"`` by default).
    min_n : int
        Links with fewer replies are not drawn (keeps busy charts readable).
    codebook : Codebook or mapping, optional
        Code order and colours.

    Returns
    -------
    alt.LayerChart
        Link layer data ``link, depth, code, n, share, from, to`` (two rows per link);
        node layer data ``depth, code, n``.

    Examples
    --------
    >>> import pandas as pd
    >>> units = pd.DataFrame({"unit_id": ["p", "r1", "r2"], "parent_id": [None, "p", "p"],
    ...                       "depth": [0, 1, 1]})
    >>> codings = pd.DataFrame({"unit_id": ["p", "r1", "r2"], "coder": ["al"] * 3,
    ...                         "code": ["disclosure", "defensive", "defensive"]})
    >>> spec = reply_flow(codings, units).to_dict()
    >>> links = spec["datasets"][spec["layer"][0]["data"]["name"]]
    >>> [(r["from"], r["to"], r["n"]) for r in links]
    [('disclosure', 'defensive', 2), ('disclosure', 'defensive', 2)]
    """
    max_depth = check_int(max_depth, "max_depth", 1)
    min_n = check_int(min_n, "min_n", 1)
    df = select_codings(codings, coder)
    u = units_frame(units, ["parent_id", "depth"])
    df = attach(df, u, ["parent_id", "depth"])
    depth = pd.to_numeric(df["depth"], errors="coerce").fillna(0).astype(int)
    df["depth_label"], labels = depth_labels(depth, max_depth)
    nodes = df.groupby(["depth_label", "code"]).size().rename("n").reset_index()

    replies = df[df["parent_id"].notna() & (depth >= 1) & (depth <= max_depth)]
    pairs = _parent_codes(replies, df[["unit_id", "coder", "code"]], u)
    pairs = pairs[pairs["from"] != PARENT_MISSING]
    pairs = pairs.assign(d=pd.to_numeric(pairs["depth"]).astype(int))
    links = pairs.groupby(["d", "from", "code"]).size().rename("n").reset_index()
    n_from = pairs.groupby(["d", "from"]).size().rename("n_from").reset_index()
    links = links.merge(n_from, on=["d", "from"])
    links["share"] = links["n"] / links["n_from"]
    links = rounded(links[links["n"] >= min_n].reset_index(drop=True))
    # Parents nobody coded still need a dot to hang their links on.
    uncoded = pairs[pairs["from"] == NOT_CODED]
    if len(uncoded):
        extra = (
            uncoded.assign(depth_label=(uncoded["d"] - 1).map(dict(enumerate(labels))))
            .drop_duplicates(["parent_id", "coder"])
            .groupby("depth_label")
            .size()
            .rename("n")
            .reset_index()
            .assign(code=NOT_CODED)
        )
        nodes = pd.concat([nodes, extra], ignore_index=True)
    order = code_order(list(nodes["code"]), codebook)

    link_rows = pd.DataFrame(
        {
            "link": np.repeat(np.arange(len(links)), 2),
            "depth": np.ravel(np.column_stack([(links["d"] - 1).map(dict(enumerate(labels))), links["d"].map(dict(enumerate(labels)))])),
            "code": np.ravel(np.column_stack([links["from"], links["code"]])),
            "n": np.repeat(links["n"].to_numpy(), 2),
            "share": np.repeat(links["share"].to_numpy(), 2),
            "from": np.repeat(links["from"].to_numpy(), 2),
            "to": np.repeat(links["code"].to_numpy(), 2),
        }
    )
    for frame, cols in ((link_rows, ("code", "from", "to")), (nodes, ("code",))):
        for c in cols:
            frame[c] = esc_series(frame[c].astype(str)) if len(frame) else frame[c]
    nodes = nodes.rename(columns={"depth_label": "depth"})
    nodes["depth"] = pd.Categorical(nodes["depth"], categories=labels)
    nodes["code"] = pd.Categorical(nodes["code"], categories=[esc(c) for c in order])
    nodes = nodes.sort_values(["depth", "code"]).reset_index(drop=True)
    nodes["depth"] = nodes["depth"].astype(str)
    nodes["code"] = nodes["code"].astype(str)

    x = alt.X("depth:O", title="depth in the thread (0 = root post)", sort=labels, scale=alt.Scale(domain=labels), axis=alt.Axis(labelAngle=0))
    y = alt.Y("code:N", title=None, sort=[esc(c) for c in order], scale=alt.Scale(domain=[esc(c) for c in order]))
    line = (
        alt.Chart(link_rows)
        .mark_line(opacity=0.35, color="#666")
        .encode(
            x=x,
            y=y,
            detail="link:N",
            strokeWidth=alt.StrokeWidth("n:Q", title="replies", scale=alt.Scale(range=[1, 14]), legend=alt.Legend(format="d", tickMinStep=1)),
            tooltip=[
                alt.Tooltip("from:N", title="parent coded"),
                alt.Tooltip("to:N", title="reply coded"),
                alt.Tooltip("n:Q", title="replies"),
                alt.Tooltip("share:Q", title="share of replies to that parent code", format=".1%"),
            ],
        )
    )
    dots = (
        alt.Chart(nodes)
        .mark_circle(opacity=0.95, stroke="white")
        .encode(
            x=x,
            y=y,
            size=alt.Size("n:Q", title="coded units", scale=alt.Scale(range=[40, 900]), legend=alt.Legend(format="d", tickMinStep=1)),
            color=code_color("code", order, codebook, legend=False),
            tooltip=[alt.Tooltip("depth:O"), alt.Tooltip("code:N"), alt.Tooltip("n:Q", title="coded units (x coder)")],
        )
    )
    return (line + dots).properties(title="Reply flow: root post, replies, replies to replies", width=alt.Step(110), height=alt.Step(34))


