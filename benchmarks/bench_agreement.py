"""Benchmark wb.agreement against the ``krippendorff`` package (run by hand, not a test).

    .venv/bin/python benchmarks/bench_agreement.py            # all three cases
    .venv/bin/python benchmarks/bench_agreement.py --quick    # smaller sizes, for a smoke run

Prints times, peak memory (tracemalloc, which sees numpy's allocations) and the ratios
ours / theirs. Targets (issue 5):

1. nominal alpha, 1,000,000 units x 3 coders, 5 categories, 20% missing:
   time <= 0.35 x krippendorff's, same value to 1e-9;
2. 100,000 units x 3 coders, 50 categories: time <= 0.05 x and peak memory <= 1/20 of
   krippendorff's (it builds a units x categories x categories tensor);
3. bootstrap of alpha, 1,000 resamples, 10,000 units x 3 coders: under 3 s;
4. Gwet's standard errors (standard_errors: percent agreement, Conger, Fleiss,
   Brennan-Prediger, AC2 with quadratic weights) on 100,000 units x 4 coders with 10%
   missing: at most 0.25 x the time of one 1,000-resample bootstrap of Fleiss' kappa on
   the same data (the analytic interval is the cheap one), and under 2 s.
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc

import numpy as np

import workbench.agreement as ag

try:
    import krippendorff
except ImportError as exc:  # pragma: no cover - a benchmark, run by hand
    raise SystemExit("the benchmark compares against the krippendorff package: pip install krippendorff") from exc


def make_data(n_units: int, n_coders: int, n_categories: int, missing: float, seed: int) -> np.ndarray:
    """Units x coders floats: a true category per unit, each coder right 70% of the time."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_categories, n_units)
    data = np.repeat(truth[:, None], n_coders, axis=1).astype(float)
    wrong = rng.random(data.shape) < 0.3
    data[wrong] = rng.integers(0, n_categories, int(wrong.sum()))
    data[rng.random(data.shape) < missing] = np.nan
    return data


def best_time(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def peak_memory(fn) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def ours(data: np.ndarray) -> float:
    return ag.krippendorff_alpha(data, level="nominal")


def theirs(data: np.ndarray) -> float:
    return float(krippendorff.alpha(reliability_data=data.T, level_of_measurement="nominal"))


def case(title: str, data: np.ndarray, repeat: int, memory: bool, time_target: float, mem_target: float | None) -> None:
    print(f"\n== {title}")
    t_ours, a_ours = best_time(lambda: ours(data), repeat)
    t_theirs, a_theirs = best_time(lambda: theirs(data), 1)
    print(f"   alpha: ours {a_ours:.12f}   krippendorff {a_theirs:.12f}   |diff| {abs(a_ours - a_theirs):.2e}")
    ratio = t_ours / t_theirs
    print(
        f"   time:  ours {t_ours:.3f} s (best of {repeat})   krippendorff {t_theirs:.3f} s   "
        f"ratio {ratio:.3f} (target <= {time_target})  {'OK' if ratio <= time_target else 'MISSED'}"
    )
    if memory:
        m_ours, m_theirs = peak_memory(lambda: ours(data)), peak_memory(lambda: theirs(data))
        mratio = m_ours / m_theirs
        print(
            f"   peak:  ours {m_ours / 2**20:.1f} MiB   krippendorff {m_theirs / 2**20:.1f} MiB   ratio {mratio:.4f}"
            + (f" (target <= {mem_target:.3f})  {'OK' if mratio <= mem_target else 'MISSED'}" if mem_target else "")
        )
    ok = abs(a_ours - a_theirs) <= 1e-9
    print(f"   same value to 1e-9: {'OK' if ok else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="one tenth of the sizes")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    print(f"numpy {np.__version__}, krippendorff {getattr(krippendorff, '__version__', '?')}")

    big = make_data(1_000_000 // scale, 3, 5, 0.20, seed=1)
    case(f"nominal alpha, {len(big)} units x 3 coders, 5 categories, 20% missing", big, 3, False, 0.35, None)
    del big

    wide = make_data(100_000 // scale, 3, 50, 0.0, seed=2)
    case(f"nominal alpha, {len(wide)} units x 3 coders, 50 categories", wide, 3, True, 0.05, 1 / 20)
    del wide

    boot = make_data(10_000, 3, 5, 0.0, seed=3)
    print("\n== bootstrap of alpha, 1,000 resamples, 10,000 units x 3 coders (Hayes & Krippendorff)")
    for cap in (True, False):
        t, res = best_time(lambda cap=cap: ag.bootstrap("alpha", boot, n=1000, seed=0, cap=cap), 3)
        print(
            f"   cap={cap!s:5}: {t:.3f} s (best of 3; target < 3 s) {'OK' if t < 3 else 'MISSED'}   "
            f"alpha {res.value:.4f} [{res.ci_low:.4f}, {res.ci_high:.4f}]"
        )
    t, res = best_time(lambda: ag.bootstrap("fleiss_kappa", boot, n=1000, seed=0), 1)
    print(f"   (for scale: fleiss_kappa, units resampled: {t:.3f} s, {res.value:.4f} [{res.ci_low:.4f}, {res.ci_high:.4f}])")


    rated = make_data(100_000 // scale, 4, 5, 0.10, seed=4)
    print(f"\n== Gwet's standard errors, {len(rated)} units x 4 coders, 5 categories, 10% missing")
    t_se, out = best_time(lambda: ag.standard_errors(rated, weights="quadratic"), 3)
    t_boot, res = best_time(lambda: ag.bootstrap("fleiss_kappa", rated, n=1000, seed=0, weights="quadratic"), 1)
    ratio = t_se / t_boot
    print(f"   standard_errors: {t_se:.3f} s for {len(out)} coefficients (target < 2 s) {'OK' if t_se < 2 else 'MISSED'}")
    print(f"   bootstrap of Fleiss' kappa, 1,000 resamples: {t_boot:.3f} s; ratio {ratio:.3f} (target <= 0.25) "
          f"{'OK' if ratio <= 0.25 else 'MISSED'}")
    fleiss = out.set_index("coefficient").loc["fleiss_kappa"]
    print(f"   Fleiss' kappa {fleiss['value']:.4f}: Gwet [{fleiss['ci_low']:.4f}, {fleiss['ci_high']:.4f}], "
          f"bootstrap [{res.ci_low:.4f}, {res.ci_high:.4f}]")


if __name__ == "__main__":
    main()
