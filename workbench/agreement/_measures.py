"""Coefficients by name: the registry behind bootstrap, pairwise and the per-code report (private)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import workbench.agreement._kernels as _kernels

from ._common import _check_level
from ._data import Coded
from .coefficients import (
    brennan_prediger,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac1,
    gwet_ac2,
    krippendorff_alpha,
    percent_agreement,
    scott_pi,
)

__all__ = ["MEASURES"]


@dataclass(frozen=True)
class _Measure:
    name: str
    function: Callable
    kernel: Callable[..., tuple[float, str | None]]
    family: str  # "alpha", "kappa" or "percent"
    options: tuple[str, ...]


MEASURES: dict[str, str] = {
    "alpha": "Krippendorff's alpha (krippendorff_alpha)",
    "percent_agreement": "percent agreement, not chance-corrected",
    "cohen_kappa": "Cohen's kappa (two coders)",
    "scott_pi": "Scott's pi (two coders)",
    "fleiss_kappa": "Fleiss' kappa",
    "conger_kappa": "Conger's kappa",
    "brennan_prediger": "Brennan & Prediger's coefficient",
    "gwet_ac1": "Gwet's AC1",
    "gwet_ac2": "Gwet's AC2 (weighted)",
}
"""Names accepted by :func:`bootstrap`, :func:`pairwise` and :func:`reliability_table`."""

_REGISTRY = {
    "alpha": _Measure("alpha", krippendorff_alpha, _kernels.alpha, "alpha", ("level", "distance")),
    "percent_agreement": _Measure("percent_agreement", percent_agreement, _kernels.percent, "percent", ("weights",)),
    "cohen_kappa": _Measure("cohen_kappa", cohen_kappa, _kernels.cohen, "kappa", ("weights",)),
    "scott_pi": _Measure("scott_pi", scott_pi, _kernels.scott, "kappa", ("weights",)),
    "fleiss_kappa": _Measure("fleiss_kappa", fleiss_kappa, _kernels.fleiss, "kappa", ("weights",)),
    "conger_kappa": _Measure("conger_kappa", conger_kappa, _kernels.conger, "kappa", ("weights",)),
    "brennan_prediger": _Measure("brennan_prediger", brennan_prediger, _kernels.brennan_prediger, "kappa", ("weights",)),
    "gwet_ac1": _Measure("gwet_ac1", gwet_ac1, lambda c: _kernels.gwet(c, None), "kappa", ()),
    "gwet_ac2": _Measure("gwet_ac2", gwet_ac2, _kernels.gwet, "kappa", ("weights",)),
}
_ALIASES = {"krippendorff_alpha": "alpha", "kappa": "cohen_kappa", "ac1": "gwet_ac1", "ac2": "gwet_ac2"}


def _measure(measure: str | Callable) -> _Measure:
    if callable(measure):
        for m in _REGISTRY.values():
            if m.function is measure:
                return m
        raise ValueError(
            f"measure must be one of this module's coefficients or their names {sorted(MEASURES)}; got {measure!r}"
        )
    if not isinstance(measure, str):
        raise TypeError(f"measure must be a name or a function; got {type(measure).__name__}")
    name = _ALIASES.get(measure, measure)
    if name not in _REGISTRY:
        raise ValueError(f"unknown measure {measure!r}; valid: {sorted(MEASURES)}")
    return _REGISTRY[name]


def _kernel_call(m: _Measure, coded: Coded, kwargs: Mapping[str, Any]) -> tuple[float, str | None]:
    if m.name == "alpha":
        level = kwargs.get("level", "nominal")
        _check_level(level)
        return _kernels.alpha(coded, level, kwargs.get("distance"))
    if m.name == "gwet_ac2":
        return _kernels.gwet(coded, kwargs.get("weights", "quadratic"))
    if "weights" in m.options:
        return m.kernel(coded, kwargs.get("weights"))
    return m.kernel(coded)


def _split_kwargs(m: _Measure, kwargs: dict[str, Any]) -> tuple[Sequence | None, dict[str, Any]]:
    kwargs = dict(kwargs)
    categories = kwargs.pop("categories", None)
    unknown = set(kwargs) - set(m.options)
    if unknown:
        valid = ["categories", *m.options]
        raise TypeError(f"{m.name} does not take {sorted(unknown)}; it takes {valid}")
    return categories, kwargs
