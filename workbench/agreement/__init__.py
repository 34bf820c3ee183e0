"""Inter-rater agreement: coefficients, confidence intervals and the per-code report.

Every coefficient takes the same data forms:

* a **units x coders table**: a DataFrame (index = units, columns = coders), a 2-D numpy
  array or a list of lists (one row per unit). ``None``/``NaN`` marks a missing value;
  cells may be sets (or frozensets) of codes for multi-label coding, with an empty set
  meaning "coded, no code applies";
* a **long DataFrame** with one row per unit and coder, its columns named by keyword:
  ``data=df, unit="unit_id", coder="coder", value="code"``.

Each returns a float. When a coefficient is undefined for the data (empty input, every
value missing, a single coder, no unit coded twice, or a single value everywhere so that
chance agreement is perfect) it returns ``NaN`` and emits an :class:`AgreementWarning`
that says why.

:func:`reliability_table` turns the long ``codings`` frame of a project into the tidy
report behind ``Project.agreement``: one row per code (present/absent), one per exclusive
group and one overall (multi-label, MASI distance), each with a bootstrap interval.

The package is split by concept: :mod:`~workbench.agreement.coefficients` (the
coefficients and set distances), :mod:`~workbench.agreement.bootstrap` (confidence
intervals), :mod:`~workbench.agreement.tables` (coincidence and confusion matrices,
pairwise tables), :mod:`~workbench.agreement.disagreements` (who read which unit
differently), :mod:`~workbench.agreement.interpret` (benchmarks and the reliability
thresholds) and :mod:`~workbench.agreement.report` (the per-code report). Everything
public is importable from ``workbench.agreement``.
"""

from __future__ import annotations

from ._common import LEVELS, AgreementWarning
from ._measures import MEASURES
from .bootstrap import BootstrapResult, bootstrap
from .coefficients import (
    brennan_prediger,
    cohen_kappa,
    conger_kappa,
    fleiss_kappa,
    gwet_ac1,
    gwet_ac2,
    jaccard_distance,
    krippendorff_alpha,
    masi_distance,
    percent_agreement,
    scott_pi,
)
from .disagreements import DISAGREEMENT_COLUMNS, disagreements
from .forms import Tabulated, from_contingency, from_counts
from .interpret import THRESHOLDS, band, interpret
from .report import NO_CODE, OVERALL, REPORT_COLUMNS, per_code_agreement, reliability_table
from .tables import coincidence_matrix, confusion_matrix, pairwise
from .weights import WEIGHTS, weights_matrix

__all__ = [
    "AgreementWarning",
    "BootstrapResult",
    "DISAGREEMENT_COLUMNS",
    "LEVELS",
    "MEASURES",
    "NO_CODE",
    "OVERALL",
    "REPORT_COLUMNS",
    "THRESHOLDS",
    "Tabulated",
    "WEIGHTS",
    "band",
    "bootstrap",
    "brennan_prediger",
    "coincidence_matrix",
    "cohen_kappa",
    "confusion_matrix",
    "conger_kappa",
    "disagreements",
    "fleiss_kappa",
    "from_contingency",
    "from_counts",
    "gwet_ac1",
    "gwet_ac2",
    "interpret",
    "jaccard_distance",
    "krippendorff_alpha",
    "masi_distance",
    "pairwise",
    "per_code_agreement",
    "percent_agreement",
    "reliability_table",
    "scott_pi",
    "weights_matrix",
]
