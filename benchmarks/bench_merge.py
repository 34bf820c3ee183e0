"""Merge benchmark: two coders' kits, 2,000 coding events in all, merged back by the command line.

Issue 17. A supervisor project with 1,000 units (ten threads) and a round in which alice
and bob each code all of them, offline, in their own kit (1,000 coding events each, made
through the public API); then, timed, the command a supervisor runs::

    workbench --project PROJECT merge alice.db bob.db

first (2,000 events, their current codings and queues brought up to date) and again
(nothing new: every event is found as already present). The times are the command's wall
clock (a new Python process: its start and imports are included; the time of
``workbench --help`` is shown beside them). The merged state is checked against a
rebuild from the log.

Run::

    .venv/bin/python benchmarks/bench_merge.py              # SQLite
    .venv/bin/python benchmarks/bench_merge.py --postgres   # also PostgreSQL (starts a server)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import workbench as wb  # noqa: E402

WORKBENCH = str(Path(sys.executable).with_name("workbench"))
STANCE = ["validating", "defensive", "systemic-deflection", "dismissing"]


def supervisor(url: str, n_units: int) -> None:
    project = wb.open_project(url)
    records = [{"unit_id": f"u{i}", "thread_id": f"t{i // 100}", "parent_id": None if i % 100 == 0 else f"u{i - 1}",
                "text": f"reply number {i}: thank you, but the service was not listening"} for i in range(n_units)]
    project.add_units(wb.make_units(records))
    project.add_codebook(wb.Codebook.from_yaml(ROOT / "codebooks" / "response-types.yaml"))
    for c in ("alice", "bob"):
        project.add_coder(c)
    project.new_round("pilot", coders=["alice", "bob"], overlap=1.0, seed=1)
    project.close()


def code_kit(path: Path, coder: str) -> int:
    kit = wb.open_project(path)
    n = 0
    while (unit := kit.next_unit(coder, round="pilot")) is not None:
        kit.code(unit, [STANCE[(hash((coder, unit)) % 4)]], coder=coder, round="pilot")
        n += 1
    kit.close()
    return n


def timed(*argv: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([WORKBENCH, *argv], capture_output=True, text=True, env={**os.environ, "CI": "true"})
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"workbench {' '.join(argv)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return took, done.stdout


def run(url: str, folder: Path, n_units: int, label: str) -> dict[str, float]:
    supervisor(url, n_units)
    project = wb.open_project(url)
    n = 0
    for coder in ("alice", "bob"):
        project.kit(folder / f"{coder}.db", coder=coder, round="pilot")
        n += code_kit(folder / f"{coder}.db", coder)
    project.close()
    kits = [str(folder / "alice.db"), str(folder / "bob.db")]
    help_s, _ = timed("--help")
    first, out = timed("--project", url, "merge", *kits)
    assert f"merged {kits[0]}: {n // 2} events" in out, out
    again, out = timed("--project", url, "merge", *kits)
    assert "0 events, 0 memos" in out, out
    project = wb.open_project(url)
    state = project.codings().sort_values(["coder", "unit_id"]).reset_index(drop=True)
    assert len(state) == n, (len(state), n)
    project.rebuild_state()
    assert state.equals(project.codings().sort_values(["coder", "unit_id"]).reset_index(drop=True))
    project.close()
    print(f"{label}: {n} events; workbench merge {first:.2f} s, again {again:.2f} s, workbench --help {help_s:.2f} s")
    return {"events": n, "merge": first, "again": again, "help": help_s}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=1_000, help="units in the round (each coder codes them all)")
    parser.add_argument("--postgres", action="store_true", help="also run on a PostgreSQL server it starts")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "lite").mkdir()
        run(str(Path(d) / "lite" / "project.db"), Path(d) / "lite", args.units, "SQLite")
        if args.postgres:
            sys.path.insert(0, str(ROOT / "tests"))
            from conftest import PostgresServer

            server = PostgresServer()
            server.start()
            try:
                (Path(d) / "pg").mkdir()
                run(server.new_database(), Path(d) / "pg", args.units, "PostgreSQL")
            finally:
                server.stop()


if __name__ == "__main__":
    main()
