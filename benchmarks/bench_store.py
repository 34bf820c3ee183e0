"""Store benchmark: bulk import, next_unit and code() at project scale; twenty coders at once.

Targets (issue 2), SQLite: bulk ``add_units`` of 1,000,000 units in at most 60 s with peak
memory under 2 GB; with 200,000 coding events stored, ``next_unit`` median under 2 ms and
95th percentile under 5 ms; ``code()`` median under 5 ms. Issue 16, PostgreSQL (where
``code()`` and ``next_unit()`` are one statement each): the panel's action, ``code()`` then
``next_unit(after=...)``, 95th percentile under 15 ms, ``next_unit`` under 5 ms; SQLite's
figures beside them in the same run. ``--load``: twenty coder processes, each logged in as
its own coder, coding at once against one PostgreSQL server (loopback) for 60 s:
throughput, latency percentiles, and no acknowledged coding lost or written twice.

Run::

    .venv/bin/python benchmarks/bench_store.py                       # SQLite, 1M units
    .venv/bin/python benchmarks/bench_store.py --postgres            # also PostgreSQL (starts a server)
    .venv/bin/python benchmarks/bench_store.py --units 100000        # smaller
    .venv/bin/python benchmarks/bench_store.py --load                # only the 20-coder load (60 s)

The 200,000 events are written in bulk through the store's tables (as a long coding
history would have left them: four coders, three coding the queue in order, one scattered)
and the derived state is built from them, so that setting up does not take hours; the
timed calls then go through the public API.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import workbench as wb  # noqa: E402
from workbench.storage import tables as T  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def synthetic_units(n: int, per_thread: int = 100) -> pd.DataFrame:
    i = np.arange(n)
    thread = i // per_thread
    pos = i % per_thread
    parent_pos = np.where(pos == 0, -1, (pos - 1) // 2)  # a binary reply tree in each thread
    unit_id = pd.Series(i).map("u{}".format)
    parent_id = pd.Series(np.where(parent_pos < 0, None, (thread * per_thread + parent_pos))).map(
        lambda v: None if v is None else f"u{v}"
    )
    depth = np.floor(np.log2(pos + 1)).astype(int)
    return pd.DataFrame(
        {
            "unit_id": unit_id,
            "thread_id": pd.Series(thread).map("t{}".format),
            "parent_id": parent_id,
            "depth": depth,
            "position": pos,
            "author": pd.Series(i % 5000).map("author{}".format),
            "author_role": None,
            "posted_at": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(i, unit="s"),
            "text": "But we're not all like that! " * 3,
            "kind": np.where(pos == 0, "post", "comment"),
            "status": "ok",
            "source": "synthetic",
        }
    )


def percentiles(times: list[float]) -> tuple[float, float]:
    ms = sorted(t * 1000 for t in times)
    return statistics.median(ms), ms[int(0.95 * (len(ms) - 1))]


def bulk_events(project: wb.Project, n_units: int, n_events: int) -> None:
    """Write ``n_events`` apply events and their derived state in bulk."""
    coders = ["alice", "bob", "carol", "dave"]
    for c in coders:
        project.add_coder(c)
    per = n_events // len(coders)
    rng = np.random.default_rng(0)
    codes = project.codebook().names
    with project.engine.begin() as conn:
        if project.dialect == "postgresql":  # the state is written below in bulk, not event by event
            conn.exec_driver_sql("ALTER TABLE coding_events DISABLE TRIGGER wb_derive")
        ids = dict(conn.execute(sa.select(T.coders.c.name, T.coders.c.coder_id)).all())
        event_id = 0
        now = pd.Timestamp.now(tz="UTC").to_pydatetime()
        for c in coders:
            if c == "dave":  # scattered across the whole project
                seqs = np.sort(rng.choice(n_units, size=per, replace=False))
            else:  # the first `per` units of the queue, in order
                seqs = np.arange(per)
            rows, state = [], []
            for s in seqs:
                event_id += 1
                code = codes[int(s) % len(codes)]
                rows.append(
                    {"event_id": event_id, "unit_id": f"u{s}", "code": code, "action": "apply",
                     "coder_id": ids[c], "round_id": None, "codebook_version": 1, "at": now}
                )
                state.append(
                    {"coder_id": ids[c], "round_key": 0, "unit_id": f"u{s}", "code": code,
                     "span_key": "", "event_id": event_id}
                )
            for lo in range(0, len(rows), 20_000):
                conn.execute(T.coding_events.insert(), rows[lo : lo + 20_000])
                conn.execute(T.current_codings.insert(), state[lo : lo + 20_000])
            frontier = per + 1 if c != "dave" else int(np.setdiff1d(np.arange(n_units), seqs)[0]) + 1
            conn.execute(T.queue_cursors.insert().values(coder_id=ids[c], round_key=0, frontier_seq=frontier))
        if project.dialect == "postgresql":  # explicit ids do not advance PostgreSQL's sequence
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('coding_events', 'event_id'), (SELECT max(event_id) FROM coding_events))"
            )
            conn.exec_driver_sql("ALTER TABLE coding_events ENABLE TRIGGER wb_derive")
    if project.dialect == "postgresql":
        # the history was written in one bulk step: analyse, as autovacuum does after large
        # writes in a project that grew by coding
        with project.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE current_codings")
            conn.exec_driver_sql("ANALYZE coding_events")


def run(url: str, n_units: int, n_events: int, label: str) -> dict:
    print(f"\n== {label}: {n_units:,} units, {n_events:,} coding events ==")
    units = synthetic_units(n_units)
    units = wb.make_units(units)
    base = peak_rss_mb()
    project = wb.open_project(url)
    t = time.perf_counter()
    added = project.add_units(units, progress=False)
    t_add = time.perf_counter() - t
    peak = peak_rss_mb()
    del units
    print(f"add_units: {added:,} units in {t_add:.1f} s (target <= 60 s); peak RSS {peak:.0f} MB "
          f"(process before import {base:.0f} MB; target < 2048 MB)")
    project.add_codebook(wb.Codebook.from_dict({"name": "bench", "codes": [
        {"name": n, "label": n, "definition": n} for n in ["validating", "defensive", "systemic-deflection", "gratitude"]]}))
    t = time.perf_counter()
    bulk_events(project, n_units, n_events)
    print(f"(set-up: {n_events:,} events written in bulk in {time.perf_counter() - t:.1f} s)")

    rng = np.random.default_rng(1)
    results: dict = {"add_units_s": t_add, "peak_rss_mb": peak}
    for coder in ["alice", "dave"]:
        times = []
        for _ in range(300):
            after = f"u{int(rng.integers(0, n_units - 1))}" if rng.random() < 0.5 else None
            t = time.perf_counter()
            project.next_unit(coder, after=after)
            times.append(time.perf_counter() - t)
        med, p95 = percentiles(times)
        results[f"next_unit ({'in order' if coder == 'alice' else 'scattered'})"] = (med, p95)
        kind = "queue coded in order" if coder == "alice" else "codings scattered"
        print(f"next_unit ({kind}): median {med:.2f} ms, p95 {p95:.2f} ms (targets 2 / 5 ms)")
    times = []
    for i in range(300):
        unit = f"u{int(rng.integers(0, n_units))}"
        t = time.perf_counter()
        project.code(unit, ["validating"], coder="bob", memo=f"bench {i}")
        times.append(time.perf_counter() - t)
    med, p95 = percentiles(times)
    results["code()"] = (med, p95)
    print(f"code(): median {med:.2f} ms, p95 {p95:.2f} ms (target median 5 ms)")
    med, p95 = panel_loop(project, "carol", 300)
    results["code() + next_unit(after=...)"] = (med, p95)
    print(f"code() + next_unit(after=...), the panel's action: median {med:.2f} ms, p95 {p95:.2f} ms "
          "(target p95 15 ms on PostgreSQL)")
    if project.dialect == "postgresql":  # the same as a coder's own login, under row-level security
        project.add_coder("erin")
        project.create_login("erin", password="bench-password-erin")
        project.new_round("bench", units=[f"u{i}" for i in range(0, n_units, max(1, n_units // 5000))],
                          coders=["erin"], seed=1)
        erin = wb.open_project(url, coder="erin", password="bench-password-erin")
        med, p95 = panel_loop(erin, "erin", 300, round="bench")
        results["the same as a coder's login, in a round"] = (med, p95)
        print(f"  ... as erin's own login, in a blind round (row-level security): median {med:.2f} ms, p95 {p95:.2f} ms")
        erin.close()
    project.close()
    return results


def panel_loop(project: wb.Project, coder: str, n: int, round: str | None = None) -> tuple[float, float]:
    """The coding panel's action: code the current unit, then find the next one."""
    times = []
    current = project.next_unit(coder, round=round)
    for _ in range(n):
        t = time.perf_counter()
        project.code(current, ["gratitude"], coder=coder, round=round)
        current = project.next_unit(coder, round=round, after=current)
        times.append(time.perf_counter() - t)
        if current is None:
            break
    return percentiles(times)


def load(seconds: float, n_coders: int, n_units: int) -> dict:
    """``n_coders`` processes, each logged in as its coder, coding at once for ``seconds``."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from conftest import PostgresServer
    from test_storage_load import percentile, prepare, run_load, stored

    print(f"\n== PostgreSQL load: {n_coders} coder processes for {seconds:.0f} s, {n_units:,} units ==")
    server = PostgresServer()
    server.start()
    try:
        url = server.new_database()
        coders = prepare(url, n_coders, n_units)
        result = run_load(url, coders, seconds)
        memos, state, derived = stored(url)
    finally:
        server.stop()
    acked = [m for c in coders for m in result["acks"][c]]
    lat = [x for c in coders for x in result["done"].get(c, {}).get("latencies_ms", [])]
    lost = len(set(acked) - set(memos))
    twice = sum(1 for v in memos.values() if v > 1)
    failed = {c: e for c, e in result["errors"].items() if e}
    print(f"calls (code() + next_unit(after=...)): {len(lat):,} in {result['wall_s']:.1f} s = "
          f"{len(lat) / result['wall_s']:.0f} per second ({len(lat) / result['wall_s'] / n_coders:.1f} per coder)")
    print(f"latency: median {percentile(lat, .5):.1f} ms, p95 {percentile(lat, .95):.1f} ms, "
          f"p99 {percentile(lat, .99):.1f} ms, max {max(lat, default=float('nan')):.1f} ms")
    print(f"acknowledged {len(acked):,}; lost {lost}; written twice {twice}; not acknowledged but stored "
          f"{len(set(memos) - set(acked))}; derived state {'equals' if state == derived else 'DIFFERS FROM'} the log's"
          + (f"; FAILED: {failed}" if failed else ""))
    return {"calls": len(lat), "wall_s": result["wall_s"], "lost": lost, "twice": twice}


def summary(figures: dict[str, dict]) -> None:
    """The timed calls of each backend side by side (median / p95, ms)."""
    labels = list(dict.fromkeys(k for f in figures.values() for k, v in f.items() if isinstance(v, tuple)))
    print("\n== median / p95 (ms) ==")
    print(f"{'':58}" + "".join(f"{name:>18}" for name in figures))
    for label in labels:
        cells = "".join(f"{figures[n][label][0]:>8.2f} / {figures[n][label][1]:<7.2f}" if label in figures[n]
                        else f"{'':>18}" for n in figures)
        print(f"{label:58}{cells}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--postgres", action="store_true", help="also run on a PostgreSQL server it starts")
    parser.add_argument("--only-postgres", action="store_true")
    parser.add_argument("--load", nargs="?", type=float, const=60.0, metavar="SECONDS",
                        help="only the load of --coders coder processes on PostgreSQL (default 60 s)")
    parser.add_argument("--coders", type=int, default=20)
    parser.add_argument("--load-units", type=int, default=10_000)
    args = parser.parse_args(argv)
    if args.load is not None:
        load(args.load, args.coders, args.load_units)
        return
    figures = {}
    if not args.only_postgres:
        with tempfile.TemporaryDirectory() as d:
            figures["SQLite"] = run(str(Path(d) / "bench.db"), args.units, args.events, "SQLite")
    if args.postgres or args.only_postgres:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        from conftest import PostgresServer

        server = PostgresServer()
        server.start()
        try:
            figures["PostgreSQL"] = run(server.new_database(), args.units, args.events, "PostgreSQL")
        finally:
            server.stop()
    summary(figures)


if __name__ == "__main__":
    main()
