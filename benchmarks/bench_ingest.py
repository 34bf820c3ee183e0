"""Benchmark thread ingest and sentence segmentation (run by hand; not a test).

Each figure is printed beside its target, as a ratio to the peer measured in the same run:

1. ``--n`` Pushshift-style NDJSON comments (generated: threads of ~50 with nesting,
   deleted and removed comments) -> units with ``load_threads``, beside
   ``pyarrow.json.read_json(path).to_pandas()`` on the same file; best of two each.
   Target: at most 3x pyarrow. Peak memory of the load (target < 3 GB at 1,000,000).
   Then the same file with some ``created_utc`` written as text, which pyarrow alone
   cannot read: it must still load, with the lines reported.
2. A saved WordPress page of ``--html-n`` nested comments (~1 KB each) -> units: target
   under 5 s for 5,000, and linear (time per comment at n/4, n/2 and n about equal).
3. ``segment`` throughput beside spaCy's own ``nlp.pipe`` + ``doc.sents`` on the same
   texts (blank English + sentencizer), best of two: target at least 0.9.
4. ``--store``: the units -> a fresh SQLite project with ``Project.add_units``.

Usage::

    .venv/bin/python benchmarks/bench_ingest.py                   # 200,000 comments, 5,000-comment page
    .venv/bin/python benchmarks/bench_ingest.py --n 1000000 --store
"""

from __future__ import annotations

import argparse
import html
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


def sentences(rng: random.Random, lo: int = 8, hi: int = 60) -> str:
    k = rng.randrange(lo, hi)
    out = []
    while k > 0:
        m = min(k, rng.randrange(4, 16))
        out.append(" ".join(rng.choice(WORDS) for _ in range(m)).capitalize() + ".")
        k -= m
    return " ".join(out)


def generate(path: Path, n: int, seed: int = 1, text_times: int = 0) -> None:
    """Pushshift comments; ``text_times`` of them with ``created_utc`` written as text."""
    rng = random.Random(seed)
    odd = set(rng.sample(range(n), text_times)) if text_times else set()
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
                    body, author = sentences(rng), f"user{rng.randrange(5000)}"
                created: int | str = 1_600_000_000 + written
                if written in odd:
                    created = str(created)
                fh.write(json.dumps({"id": cid, "parent_id": parent, "link_id": link, "author": author,
                                     "body": body, "created_utc": created,
                                     "subreddit": "CPTSD", "score": rng.randrange(-5, 50)}) + "\n")
                ids.append(cid)
                written += 1


def generate_page(path: Path, n: int, seed: int = 2) -> None:
    """A WordPress page (HTML5 comment walker) with ``n`` comments nested up to 5 deep, with page chrome."""
    rng = random.Random(seed)
    children: dict[int, list[int]] = {0: []}
    depth = {0: 0}
    for c in range(1, n + 1):
        candidates = [p for p in (0, *rng.sample(range(max(1, c - 30), c), min(3, c - 1))) if depth[p] < 5]
        p = rng.choice(candidates) if rng.random() < 0.6 else 0
        children.setdefault(p, []).append(c)
        children[c] = []
        depth[c] = depth[p] + 1
    out = ['<!DOCTYPE html><html><head><meta charset="utf-8"><title>Bench &amp; page</title></head><body>',
           '<nav class="main-navigation"><a href="/">Home</a></nav>',
           '<article id="post-1" class="post hentry"><h1 class="entry-title">Bench page</h1>',
           '<div class="entry-content"><p>' + html.escape(sentences(rng, 60, 120)) + '</p></div></article>',
           '<div id="comments" class="comments-area"><ol class="comment-list">']
    stack: list[tuple[int, bool]] = [(c, False) for c in reversed(children[0])]
    while stack:
        c, closing = stack.pop()
        if closing:
            out.append("</ol></li>" if children[c] else "</li>")
            continue
        out.append(
            f'<li id="comment-{c}" class="comment depth-{depth[c]}"><article id="div-comment-{c}" class="comment-body">'
            f'<footer class="comment-meta"><div class="comment-author vcard"><img alt="" src="a.png" class="avatar">'
            f'<b class="fn">user{rng.randrange(500)}</b> <span class="says">says:</span></div>'
            f'<div class="comment-metadata"><a href="#comment-{c}"><time datetime="2024-03-04T09:{c % 60:02d}:00+00:00">'
            f'4 March 2024</time></a></div></footer><div class="comment-content"><p>'
            + html.escape(sentences(rng, 20, 120)).replace("&amp;amp;", "&amp;")
            + '</p></div><div class="reply"><a class="comment-reply-link" href="#">Reply</a></div></article>')
        stack.append((c, True))
        if children[c]:
            out.append('<ol class="children">')
            stack.extend((k, False) for k in reversed(children[c]))
    out.append('</ol><div id="respond" class="comment-respond"><h3>Leave a Reply</h3><form><textarea></textarea>'
               '</form></div></div><footer class="site-footer">Powered by WordPress</footer></body></html>')
    path.write_text("".join(out), encoding="utf-8")


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


def best_of(k: int, fn):
    times, result = [], None
    for _ in range(k):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def quiet_load(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IngestWarning)
        return load_threads(path, progress=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000, help="Pushshift comments to generate (default 200,000)")
    ap.add_argument("--html-n", type=int, default=5_000, help="comments on the saved page (default 5,000)")
    ap.add_argument("--segment-n", type=int, default=20_000, help="units to segment (default 20,000)")
    ap.add_argument("--store", action="store_true", help="also time Project.add_units into SQLite")
    args = ap.parse_args()
    gb = 1024**3
    import pyarrow.json as pj

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "RC_bench.ndjson"
        t0 = time.perf_counter()
        generate(data, args.n)
        print(f"generated {args.n:,} comments ({data.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")
        t_arrow, _ = best_of(2, lambda: pj.read_json(data).to_pandas())
        with PeakRSS() as mem:
            t_load, units = best_of(2, lambda: quiet_load(data))
        print(f"pyarrow.json.read_json(path).to_pandas(): {t_arrow:.2f} s (best of 2)")
        print(f"load_threads (pushshift): {len(units):,} units in {t_load:.2f} s (best of 2); "
              f"ratio {t_load / t_arrow:.2f} x pyarrow (target <= 3); peak RSS {mem.peak / gb:.2f} GB "
              f"(target < 3 GB at 1,000,000)")
        odd = tmp / "RC_odd.ndjson"
        generate(odd, args.n, text_times=max(1, args.n // 20_000))
        try:
            pj.read_json(odd)
            arrow_odd = "read it"
        except Exception as exc:  # pyarrow refuses mixed types
            arrow_odd = f"refuses it ({str(exc).splitlines()[0][:60]})"
        t_odd, odd_units = best_of(1, lambda: quiet_load(odd))
        notes = [r for r in odd_units.attrs["report"] if r["field"] == "created_utc"]
        print(f"with {max(1, args.n // 20_000)} created_utc as text: pyarrow {arrow_odd}; load_threads "
              f"{len(odd_units):,} units in {t_odd:.2f} s, reported: {notes[0]['message'][:90] if notes else 'NOTHING'}")

        if args.store:
            project = wb.open_project(tmp / "bench.db")
            t0 = time.perf_counter()
            added = project.add_units(units, progress=False)
            t_store = time.perf_counter() - t0
            project.close()
            print(f"Project.add_units (SQLite): {added:,} units in {t_store:.1f} s = {added / t_store:,.0f} units/s")

        sizes = [args.html_n // 4, args.html_n // 2, args.html_n]
        per = []
        for size in sizes:
            page = tmp / f"page_{size}.html"
            generate_page(page, size)
            t_page, page_units = best_of(2, lambda page=page: quiet_load(page))
            per.append(t_page / size)
            print(f"saved page, {size:,} comments ({page.stat().st_size / 1e6:.1f} MB): {len(page_units):,} units in "
                  f"{t_page:.2f} s = {t_page / size * 1000:.3f} ms per comment"
                  + (" (target under 5 s)" if size == args.html_n else ""))
        print(f"  linearity: time per comment at n vs n/4 = {per[-1] / per[0]:.2f} (1.0 is linear)")

        sample = units.loc[units["text"] != ""].head(args.segment_n)
        texts = sample["text"].tolist()
        nlp = load_pipeline(None)

        def spacy_own():
            return sum(sum(1 for _ in doc.sents) for doc in nlp.pipe(texts, batch_size=256))

        t_spacy, n_sents = best_of(2, spacy_own)
        t_seg, seg = best_of(2, lambda: segment(sample, nlp, progress=False))
        print(f"spaCy nlp.pipe + doc.sents: {len(texts):,} units in {t_spacy:.2f} s = {len(texts) / t_spacy:,.0f} "
              f"units/s ({n_sents:,} sentences)")
        print(f"workbench.segment:          {len(texts):,} units in {t_seg:.2f} s = {len(texts) / t_seg:,.0f} "
              f"units/s ({len(seg):,} segments)")
        print(f"  throughput ratio segment / nlp.pipe = {t_spacy / t_seg:.2f} (target >= 0.9)")
        print(f"max RSS of the whole run (getrusage): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2:.2f} GB")


if __name__ == "__main__":
    main()
