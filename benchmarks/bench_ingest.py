"""Benchmark thread ingest and sentence segmentation (run by hand; not a test).

1. ``--n`` Pushshift-style NDJSON comments (generated, in threads of ~50 with nesting,
   deleted and removed comments) -> units DataFrame with ``load_threads``: wall time
   and peak memory (targets: 1,000,000 comments in <= 30 s, peak < 3 GB).
2. The same units -> a fresh SQLite project with ``Project.add_units`` (target <= 90 s).
3. ``segment`` throughput in units per second beside spaCy's own ``nlp.pipe`` on the
   same texts (blank English + sentencizer); the ratio should be close to 1.

Usage::

    .venv/bin/python benchmarks/bench_ingest.py            # 1,000,000 comments
    .venv/bin/python benchmarks/bench_ingest.py --n 100000 --segment-n 20000
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import workbench as wb  # noqa: E402
from workbench.ingest import IngestWarning, load_threads  # noqa: E402
from workbench.segment import load_pipeline, segment  # noqa: E402

WORDS = ("we are not all like that the crisis team never called back thank you for writing this "
         "services are underfunded listening first is what matters I felt heard 😀 &amp; staff").split()


def generate(path: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as fh:
        thread = 0
        written = 0
        while written < n:
            thread += 1
            link = f"t3_p{thread:x}"
            ids: list[str] = []
            for _ in range(min(50, n - written)):
                cid = f"c{written:x}"
                parent = link if not ids or rng.random() < 0.4 else f"t1_{rng.choice(ids[-10:])}"
                r = rng.random()
                if r < 0.02:
                    body, author = "[deleted]", "[deleted]"
                elif r < 0.03:
                    body, author = "[removed]", f"user{rng.randrange(5000)}"
                else:
                    k = rng.randrange(8, 60)
                    sentences = []
                    while k > 0:
                        m = min(k, rng.randrange(4, 16))
                        sentences.append(" ".join(rng.choice(WORDS) for _ in range(m)).capitalize() + ".")
                        k -= m
                    body, author = " ".join(sentences), f"user{rng.randrange(5000)}"
                fh.write(json.dumps({"id": cid, "parent_id": parent, "link_id": link, "author": author,
                                     "body": body, "created_utc": 1_600_000_000 + written,
                                     "subreddit": "CPTSD", "score": rng.randrange(-5, 50)}) + "\n")
                ids.append(cid)
                written += 1


class PeakRSS:
    """Peak resident memory of this process while the block runs (sampled every 50 ms)."""

    def __enter__(self):
        self.proc = psutil.Process()
        self.base = self.proc.memory_info().rss
        self.peak = self.base
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            time.sleep(0.05)

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="comments to generate (default 1,000,000)")
    ap.add_argument("--segment-n", type=int, default=50_000, help="units to segment (default 50,000)")
    ap.add_argument("--skip-store", action="store_true", help="skip the SQLite step")
    args = ap.parse_args()
    gb = 1024**3
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "RC_bench.ndjson"
        t0 = time.perf_counter()
        generate(data, args.n)
        print(f"generated {args.n:,} comments ({data.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")

        with PeakRSS() as mem:
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", IngestWarning)
                units = load_threads(data, progress=False)
            t_load = time.perf_counter() - t0
        print(f"load_threads (pushshift): {len(units):,} units in {t_load:.1f} s "
              f"= {len(units) / t_load:,.0f} units/s; peak RSS {mem.peak / gb:.2f} GB "
              f"(+{(mem.peak - mem.base) / gb:.2f} GB over the {mem.base / gb:.2f} GB before)")
        scale = 1_000_000 / args.n
        print(f"  target <= 30 s per 1M: {t_load * scale:.1f} s per 1M (ratio {t_load * scale / 30:.2f} of target); "
              f"peak target < 3 GB: ratio {mem.peak / (3 * gb):.2f}")

        if not args.skip_store:
            project = wb.open_project(tmp / "bench.db")
            t0 = time.perf_counter()
            added = project.add_units(units, progress=False)
            t_store = time.perf_counter() - t0
            project.close()
            print(f"Project.add_units (SQLite): {added:,} units in {t_store:.1f} s = {added / t_store:,.0f} units/s")
            print(f"  target <= 90 s per 1M: {t_store * scale:.1f} s per 1M (ratio {t_store * scale / 90:.2f} of target)")

        sample = units.loc[units["text"] != ""].head(args.segment_n)
        texts = sample["text"].tolist()
        nlp = load_pipeline(None)
        t0 = time.perf_counter()
        n_sents = 0
        for doc in nlp.pipe(texts, batch_size=256):
            n_sents += sum(1 for _ in doc.sents)
        t_spacy = time.perf_counter() - t0
        t0 = time.perf_counter()
        seg = segment(sample, nlp, progress=False)
        t_seg = time.perf_counter() - t0
        print(f"spaCy nlp.pipe + doc.sents: {len(texts):,} units in {t_spacy:.1f} s = {len(texts) / t_spacy:,.0f} units/s "
              f"({n_sents:,} sentences)")
        print(f"workbench.segment:          {len(texts):,} units in {t_seg:.1f} s = {len(texts) / t_seg:,.0f} units/s "
              f"({len(seg):,} segments)")
        print(f"  throughput ratio segment / nlp.pipe = {t_spacy / t_seg:.2f}")
        print(f"max RSS of the whole run (getrusage): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2:.2f} GB")


if __name__ == "__main__":
    main()
