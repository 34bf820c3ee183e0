"""Twenty coders at once on one PostgreSQL server (workbench/storage/access.py, codings.py, queue.py):
each a process logged in as its own coder, coding for a bounded time on loopback; nothing
acknowledged is lost, nothing is written twice, and the derived state is the log's.

``benchmarks/bench_store.py --load`` runs the same for 60 s and prints throughput and latency.
"""

from __future__ import annotations

import collections
import json
import multiprocessing
import os
import threading
import time

import pytest

import workbench as wb

CODEBOOK = {
    "name": "load",
    "groups": [{"name": "stance", "label": "Stance", "exclusive": True}],
    "codes": [
        {"name": "validating", "label": "Validating", "definition": "d", "group": "stance"},
        {"name": "defensive", "label": "Defensive", "definition": "d", "group": "stance"},
        {"name": "systemic-deflection", "label": "Systemic deflection", "definition": "d", "group": "stance"},
        {"name": "gratitude", "label": "Gratitude", "definition": "d"},
    ],
}
CODES = [c["name"] for c in CODEBOOK["codes"]]


def password_of(coder: str) -> str:
    return f"load-test-password-{coder}"


def prepare(url: str, n_coders: int, n_units: int) -> list[str]:
    """Units, the codebook, ``n_coders`` coders with logins, and the open round 'load' (every unit, every coder)."""
    coders = [f"coder{i:02d}" for i in range(n_coders)]
    with wb.open_project(url) as owner:
        owner.add_units(wb.make_units(
            [{"unit_id": f"u{i}", "thread_id": f"t{i // 50}", "text": "We're not all like that."} for i in range(n_units)]
        ), progress=False)
        owner.add_codebook(wb.Codebook.from_dict(CODEBOOK))
        for c in coders:
            owner.add_coder(c)
            owner.create_login(c, password=password_of(c))
        owner.new_round("load", coders=coders, seed=1)
    return coders


def worker(url: str, coder: str, seconds: float, out, go) -> None:
    """Code as the panel does (code, then the next unit after it) until the time is up.

    Writes ``READY`` to ``out``, waits for ``go``, then ``ACK <memo>`` after each ``code()``
    has returned, and at the end ``DONE <json>`` with the latencies in ms.
    """
    project = wb.open_project(url, coder=coder, password=password_of(coder))
    queue = project.queue(coder, round="load")
    unit = project.next_unit(coder, round="load") or queue[0]
    print("READY", file=out, flush=True)
    go.wait()
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline:
        memo = f"{coder}:{i}"
        start = time.perf_counter()
        project.code(unit, [CODES[i % len(CODES)]], coder=coder, round="load", memo=memo)
        print(f"ACK {memo}", file=out, flush=True)
        unit = project.next_unit(coder, round="load", after=unit) or queue[0]
        latencies.append((time.perf_counter() - start) * 1000)
        i += 1
    project.close()
    print("DONE " + json.dumps({"calls": i, "latencies_ms": latencies}), file=out, flush=True)


def _child(url: str, coder: str, seconds: float, fd: int, go) -> None:
    with os.fdopen(fd, "w") as out:
        try:
            worker(url, coder, seconds, out, go)
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, which fails the run
            print(f"ERROR {type(exc).__name__}: {exc}", file=out, flush=True)
            raise


def run_load(url: str, coders: list[str], seconds: float) -> dict:
    """One process per coder (forked, so that twenty start at once), coding at the same time;
    what each acknowledged, its latencies, and the wall time from the start signal."""
    context = multiprocessing.get_context("fork")
    go = context.Event()
    procs, pipes = {}, {}
    for c in coders:
        read_fd, write_fd = os.pipe()
        procs[c] = context.Process(target=_child, args=(url, c, seconds, write_fd, go), daemon=True)
        procs[c].start()
        os.close(write_fd)
        pipes[c] = os.fdopen(read_fd)
    lines: dict[str, list[str]] = {c: [] for c in coders}
    ready = {c: threading.Event() for c in coders}

    def read(c: str) -> None:
        for line in pipes[c]:
            lines[c].append(line.rstrip("\n"))
            if line.startswith(("READY", "ERROR")):
                ready[c].set()
        ready[c].set()

    readers = [threading.Thread(target=read, args=(c,), daemon=True) for c in coders]
    for t in readers:
        t.start()
    for c in coders:
        ready[c].wait(timeout=300)
    started = time.monotonic()
    go.set()
    for c in coders:
        procs[c].join(timeout=seconds + 300)
    wall = time.monotonic() - started
    for t in readers:
        t.join(timeout=30)
    acks = {c: [x.split(" ", 1)[1] for x in lines[c] if x.startswith("ACK ")] for c in coders}
    done = {c: json.loads(x.split(" ", 1)[1]) for c in coders for x in lines[c] if x.startswith("DONE ")}
    errors = {c: [x for x in lines[c] if x.startswith("ERROR")] for c in coders}
    return {"acks": acks, "done": done, "exitcodes": {c: procs[c].exitcode for c in coders}, "errors": errors,
            "wall_s": wall}


def stored(url: str) -> tuple[collections.Counter, int, int]:
    """The memos of the round's apply events, and the rows of the derived state against the log's."""
    with wb.open_project(url) as owner:
        hist = owner.history(round="load")
        memos = collections.Counter(hist.loc[hist["action"] == "apply", "memo"])
        with owner.engine.connect() as conn:
            state = conn.exec_driver_sql("SELECT count(*) FROM current_codings").scalar()
            # the current state as the latest event per (coder, round, unit, code, span), recomputed from the log
            derived = conn.exec_driver_sql(
                """
                SELECT count(*) FROM (
                  SELECT DISTINCT ON (coder_id, round_id, unit_id, code, span_start, span_end) action, event_id
                  FROM coding_events ORDER BY coder_id, round_id, unit_id, code, span_start, span_end, event_id DESC
                ) latest JOIN current_codings c ON c.event_id = latest.event_id WHERE latest.action = 'apply'
                """
            ).scalar()
    return memos, int(state), int(derived)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1)))] if ordered else float("nan")


@pytest.mark.slow
def test_twenty_coders_at_once_lose_and_duplicate_nothing(pg_url):
    coders = prepare(pg_url, 20, 2000)
    result = run_load(pg_url, coders, seconds=10)
    assert result["exitcodes"] == {c: 0 for c in coders}, result["errors"]
    acked = [m for c in coders for m in result["acks"][c]]
    assert all(result["done"][c]["calls"] == len(result["acks"][c]) > 0 for c in coders)
    memos, state, derived = stored(pg_url)
    assert set(acked) == set(memos), "an acknowledged coding is missing, or one appeared that was not acknowledged"
    assert max(memos.values()) == 1, "a coding was written twice"
    assert len(acked) == len(set(acked)) == sum(memos.values())
    assert state == derived > 0  # the trigger's state is the log's, under concurrency

