"""The example data and helpers of the chart tests (tests/test_charts*.py).

The example data are two threads modelled on the example documents in data/examples
(the "But we're not all like that" blog post and its comments, and an unrolled
Twitter thread), coded by two coders who disagree on a few units. Expected values in
the tests were counted by hand from these tables.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd

import workbench as wb
from workbench import charts

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def example_units() -> pd.DataFrame:
    rows = [
        # blog post and its comments
        ("wp:0", "wp", None, "Ward Nurse Blog", "patient", "2024-08-16 09:00", "post",
         "But we're not all like that! What happens when a patient describes a brutal experience of care?"),
        ("wp:1", "wp", "wp:0", "MH nurse", "professional", "2024-08-16 10:00", "comment",
         "We're not all like that, most staff work really hard."),
        ("wp:2", "wp", "wp:1", "Ward Nurse Blog", "patient", "2024-08-16 11:00", "comment",
         "That is exactly the response the post describes."),
        ("wp:3", "wp", "wp:0", "Carer K", "carer", "2024-08-17 08:00", "comment",
         "Thank you for writing this, it is how my son was treated."),
        ("wp:4", "wp", "wp:3", "Dr P", "professional", "2024-08-18 12:00", "comment",
         "Services are underfunded, staff are stretched thin."),
        ("wp:5", "wp", "wp:4", "Carer K", "carer", "2024-08-19 12:00", "comment",
         "Funding does not explain being shouted at."),
        ("wp:6", "wp", "wp:0", "Anon", None, "2024-08-25 12:00", "comment", HOSTILE),
        # unrolled twitter thread and replies
        ("tw:0", "tw", None, "@survivor", "patient", "2024-09-02 09:00", "tweet",
         "I'm sorry if MH workers are disheartened when people like me raise concerns about our experience."),
        ("tw:1", "tw", "tw:0", "@psych_nurse", "professional", "2024-09-02 09:30", "tweet",
         "Not all of us! I have worked in MH for 20 years and never seen that."),
        ("tw:2", "tw", "tw:0", "@peer_worker", "patient", "2024-09-02 10:00", "tweet",
         "This. Thank you for saying it so clearly."),
        ("tw:3", "tw", "tw:1", "@survivor", "patient", "2024-09-03 10:00", "tweet",
         "This is the exact sort of harm people like me are vulnerable to."),
        ("tw:4", "tw", "tw:0", "@gp_doc", "professional", "2024-09-10 10:00", "tweet",
         "The system is broken, we are all victims of it."),
    ]
    cols = ["unit_id", "thread_id", "parent_id", "author", "author_role", "posted_at", "kind", "text"]
    df = pd.DataFrame(rows, columns=cols)
    df["source"] = np.where(df["thread_id"] == "wp", "wordpress", "twitter")
    return wb.make_units(df)


# alice codes everything; bob codes the blog thread (overlap for agreement).


ALICE = {
    "wp:0": ["disclosure"],
    "wp:1": ["defensive"],
    "wp:2": ["challenge"],
    "wp:3": ["validating", "gratitude"],
    "wp:4": ["systemic-deflection"],
    "wp:5": ["challenge"],
    "wp:6": ["defensive"],
    "tw:0": ["disclosure"],
    "tw:1": ["defensive"],
    "tw:2": ["validating", "gratitude"],
    "tw:3": ["challenge"],
    "tw:4": ["systemic-deflection"],
}


BOB = {
    "wp:0": ["disclosure"],
    "wp:1": ["defensive"],
    "wp:2": ["challenge"],
    "wp:3": ["validating"],
    "wp:4": ["defensive"],
    "wp:5": ["challenge"],
}


def example_codings() -> pd.DataFrame:
    rows = [(u, coder, c) for coder, table in (("alice", ALICE), ("bob", BOB)) for u, codes in table.items() for c in codes]
    df = pd.DataFrame(rows, columns=["unit_id", "coder", "code"])
    df["round"] = "pilot"
    df["at"] = pd.Timestamp("2024-10-01", tz="UTC") + pd.to_timedelta(np.arange(len(df)), unit="h")
    return df


CODEBOOK = wb.Codebook.from_dict(
    {
        "name": "response-types",
        "codes": [
            {"name": "disclosure", "label": "Disclosure", "definition": "Describes an experience of care.", "color": "#555555"},
            {"name": "validating", "label": "Validating", "definition": "Believes the account.", "color": "#1b9e77"},
            {"name": "defensive", "label": "Defensive", "definition": "Not all of us.", "color": "#d95f02"},
            {"name": "systemic-deflection", "label": "Systemic deflection", "definition": "Moves it onto the system.", "color": "#7570b3"},
            {"name": "gratitude", "label": "Gratitude", "definition": "Thanks the writer.", "color": "#e7298a"},
            {"name": "challenge", "label": "Challenge", "definition": "Pushes back on a response.", "color": "#66a61e"},
        ],
    }
)


def example_report() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": ["overall", "disclosure", "validating", "defensive", "systemic-deflection", "gratitude"],
            "measure": "krippendorff_alpha",
            "value": [0.74, 1.0, 0.81, 0.52, np.nan, 0.69],
            "ci_low": [0.61, 1.0, 0.66, 0.21, np.nan, 0.4],
            "ci_high": [0.86, 1.0, 0.93, 0.79, np.nan, 0.9],
            "n_units": [6, 6, 6, 6, 6, 6],
            "n_coders": [2] * 6,
            "n_pairable": [12] * 6,
            "interpretation": ["tentative", "reliable", "reliable", "unreliable", "undefined", "tentative"],
        }
    )


def example_matrix() -> pd.DataFrame:
    cats = ["disclosure", "validating", "defensive", "challenge"]
    return pd.DataFrame([[4, 0, 0, 0], [0, 2, 1, 0], [0, 1, 3, 0], [0, 0, 0, 4]], index=cats, columns=cats)


def data_of(spec: dict, layer: int | None = None) -> list[dict]:
    """The rows behind a chart (or one of its layers)."""
    if layer is not None:
        spec_layer = spec["layer"][layer]
        name = spec_layer.get("data", spec.get("data", {})).get("name")
    else:
        name = spec.get("data", {}).get("name")
    if name is None:
        (only,) = spec["datasets"].values()
        return only
    return spec["datasets"][name]


def rows_where(rows: list[dict], **match) -> list[dict]:
    return [r for r in rows if all(r.get(k) == v for k, v in match.items())]


def all_charts(codings: pd.DataFrame, units: pd.DataFrame) -> dict[str, alt.TopLevelMixin]:
    return {
        "code_frequencies": charts.code_frequencies(codings, codebook=CODEBOOK),
        "code_frequencies_by_source": charts.code_frequencies(codings, units, by="source", codebook=CODEBOOK),
        "code_frequencies_by_role": charts.code_frequencies(codings, units, by="author_role", codebook=CODEBOOK),
        "cooccurrence": charts.cooccurrence(codings, codebook=CODEBOOK),
        "reply_transitions": charts.reply_transitions(codings, units, codebook=CODEBOOK),
        "reply_transitions_role": charts.reply_transitions(codings, units, by="author_role", codebook=CODEBOOK),
        "reply_flow": charts.reply_flow(codings, units, codebook=CODEBOOK),
        "codes_by_depth": charts.codes_by_depth(codings, units, codebook=CODEBOOK),
        "codes_over_time": charts.codes_over_time(codings, units, freq="W", codebook=CODEBOOK),
        "thread_tree": charts.thread_tree(codings, units, "wp", codebook=CODEBOOK),
        "code_explorer": charts.code_explorer(codings, units, codebook=CODEBOOK),
        "coder_code_rates": charts.coder_code_rates(codings, codebook=CODEBOOK),
        "agreement_by_code": charts.agreement_by_code(example_report()),
        "agreement_trend": charts.agreement_trend({"pilot": example_report(), "round 2": example_report().assign(value=lambda d: d["value"] * 0 + 0.85)}),
        "coincidence_heatmap": charts.coincidence_heatmap(example_matrix()),
    }


def png_pixels(data: bytes) -> tuple[int, int, np.ndarray]:
    """Decode an 8-bit RGB/RGBA/grey PNG (non-interlaced) with zlib: (width, height, pixels)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and interlace == 0, "only 8-bit non-interlaced PNGs are decoded here"
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    raw = zlib.decompress(idat)
    stride = width * channels
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int64)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1).astype(np.int64)
        if f == 0:  # none
            cur = line
        elif f == 1:  # sub: a running sum along the row, per channel
            cur = np.cumsum(line.reshape(width, channels), axis=0).ravel() & 0xFF
        elif f == 2:  # up
            cur = (line + prev) & 0xFF
        else:  # average, paeth: byte by byte
            cur_b = bytearray(stride)
            up = prev.tolist()
            for x, v in enumerate(line.tolist()):
                a = cur_b[x - channels] if x >= channels else 0
                b = up[x]
                if f == 3:
                    pred = (a + b) // 2
                else:
                    c = up[x - channels] if x >= channels else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur_b[x] = (v + pred) & 0xFF
            cur = np.frombuffer(bytes(cur_b), dtype=np.uint8).astype(np.int64)
        out[y] = cur
        prev = cur
    return width, height, out.reshape(height, width, channels)


def artifacts(tmp_path: Path) -> Path:
    folder = Path(os.environ["WB_ARTIFACTS"]) / "charts" if os.environ.get("WB_ARTIFACTS") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def synthetic(n_codings: int = 1_000_000, seed: int = 8) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Units in threads of 50 and two coders coding every unit, one or two codes each."""
    rng = np.random.default_rng(seed)
    n_units = n_codings // 3  # two coders x 1.5 codes a unit on average
    per_thread = 50
    idx = np.arange(n_units)
    thread = idx // per_thread
    pos = idx % per_thread
    parent_pos = np.where(pos == 0, -1, (rng.random(n_units) * np.maximum(pos, 1)).astype(int))
    depth = np.zeros(n_units, dtype=int)
    for p in range(1, per_thread):  # depth of parent + 1, a vector per position
        rows = pos == p
        depth[rows] = depth[(thread[rows] * per_thread) + parent_pos[rows]] + 1
    uid = np.char.add("u", idx.astype(str))
    units = pd.DataFrame(
        {
            "unit_id": uid,
            "thread_id": np.char.add("t", thread.astype(str)),
            "parent_id": np.where(pos == 0, None, np.char.add("u", (thread * per_thread + parent_pos).astype(str))),
            "depth": depth,
            "position": pos,
            "author": np.char.add("user", (idx % 997).astype(str)),
            "author_role": rng.choice(["patient", "professional", "carer", "unknown"], n_units),
            "posted_at": pd.Timestamp("2023-01-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 365 * 24, n_units), unit="h"),
            "text": np.char.add("post text ", idx.astype(str)),
            "kind": "comment",
            "status": "ok",
            "source": rng.choice(["wordpress", "twitter", "reddit", "mastodon"], n_units),
        }
    )
    codes = np.array(["disclosure", "validating", "defensive", "systemic-deflection", "gratitude", "challenge", "other", "question"])
    first = np.concatenate([idx, idx])
    coder = np.repeat(["alice", "bob"], n_units)
    extra = rng.random(2 * n_units) < 0.52  # a second, different code on about half the codings
    k1 = rng.integers(0, len(codes), 2 * n_units)
    k2 = (k1[extra] + rng.integers(1, len(codes), int(extra.sum()))) % len(codes)
    unit_rows = np.concatenate([first, first[extra]])
    coder_rows = np.concatenate([coder, coder[extra]])
    code_rows = codes[np.concatenate([k1, k2])]
    codings = pd.DataFrame({"unit_id": uid[unit_rows][:n_codings], "coder": coder_rows[:n_codings], "code": code_rows[:n_codings]})
    codings["at"] = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(np.arange(len(codings)) % (300 * 24), unit="h")
    return codings, units
