"""Names shared by the agreement modules (private)."""

from __future__ import annotations

import math
import warnings

__all__ = ["LEVELS", "AgreementWarning"]

LEVELS = ("nominal", "ordinal", "interval", "ratio")


class AgreementWarning(UserWarning):
    """A coefficient is undefined for these data; the message says why."""


def _finish(value: float, reason: str | None, stacklevel: int = 3) -> float:
    if reason is not None:
        warnings.warn(reason, AgreementWarning, stacklevel=stacklevel)
        return math.nan
    return float(value)


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {list(LEVELS)}; got {level!r}")
