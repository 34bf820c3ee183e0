"""``workbench agreement``: inter-coder agreement on the command line."""

from __future__ import annotations

import argparse
import warnings

from ._common import EXIT_OK, EXIT_PROBLEMS, CommandError, _not_found, _open_project, _Out, _round

__all__ = ["_cmd_agreement"]


# --- agreement ----------------------------------------------------------------------------
def _cmd_agreement(args: argparse.Namespace, out: _Out) -> int:
    from ..agreement import MEASURES, OVERALL
    from ..errors import NotFoundError
    from ..sentinels import ALL_ROUNDS

    measures = args.measure or ["alpha"]
    unknown = [m for m in measures if m not in MEASURES]
    if unknown:
        raise CommandError(f"unknown --measure {unknown}; valid measures: {', '.join(sorted(MEASURES))}")
    if args.n_boot < 1:
        raise CommandError(f"--n-boot must be a positive integer, not {args.n_boot}")
    round_ = _round(args)
    with _open_project(args, create=False) as project:
        try:
            codings = project.codings(round=ALL_ROUNDS if round_ is None else round_)
            if codings.empty:
                where = "" if round_ is None else f" in round {round_!r}"
                raise CommandError(f"there are no codings{where} yet; nothing to compare", EXIT_PROBLEMS)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # undefined coefficients say why in 'interpretation'
                table = project.agreement(
                    round=ALL_ROUNDS if round_ is None else round_,
                    codes=args.code or None,
                    coders=args.coder or None,
                    measures=measures,
                    ci=not args.no_ci,
                    n_boot=args.n_boot,
                    seed=args.seed,
                    by=args.by,
                    weights=args.weights,
                )
        except NotFoundError as exc:
            raise CommandError(_not_found(exc, args)) from exc
    if table.empty or (table["n_pairable"] == 0).all():
        out.print("no unit was coded by two or more coders; agreement is undefined")
        return EXIT_PROBLEMS
    if args.format == "csv":
        out.stdout.write(table.to_csv(index=False))
    elif args.format == "json":
        out.print(table.to_json(orient="records", indent=1))
    else:
        import pandas as pd

        with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_rows", 500,
                               "display.max_colwidth", 60):
            out.print(table.round({"value": 3, "ci_low": 3, "ci_high": 3}).to_string(index=False))
    if args.fail_under is not None:
        overall = table[(table["code"] == OVERALL) & (table["measure"] == measures[0])]
        if args.by is not None:  # every group with units coded twice or more
            overall = overall[overall["n_pairable"] > 0]
            low = overall[~(overall["value"] >= args.fail_under)]
            if len(low):
                names = ", ".join(f"{g} ({v:.3f})" for g, v in zip(low[table.columns[0]], low["value"], strict=True))
                out.note(f"overall {measures[0]} is below --fail-under {args.fail_under} in {names}")
                return EXIT_PROBLEMS
            return EXIT_OK
        value = float(overall["value"].iloc[0]) if len(overall) else float("nan")
        if not value >= args.fail_under:  # NaN fails too
            out.note(f"overall {measures[0]} {value:.3f} is below --fail-under {args.fail_under}")
            return EXIT_PROBLEMS
    return EXIT_OK
