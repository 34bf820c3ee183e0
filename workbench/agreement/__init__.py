"""Inter-rater agreement: coefficients, confidence intervals and the per-code report.

Every coefficient takes the same data forms:

* a **units x coders table**: a DataFrame (index = units, columns = coders), a 2-D numpy
  array or a list of lists (one row per unit). ``None``/``NaN`` marks a missing value;
  cells may be sets (or frozensets) of codes for multi-label coding, with an empty set
  meaning "coded, no code applies";
* a **long DataFrame** with one row per unit and coder, its columns named by keyword:
  ``data=df, unit="unit_id", coder="coder", value="code"``;
* a **table of counts**: two coders' contingency table (:func:`from_contingency`) or the
  number of coders who put each unit in each category (:func:`from_counts`), so that
  published tables can be checked directly.

Every kappa-type coefficient and percent agreement take ``weights=``: a scheme of
:mod:`~workbench.agreement.weights` (Gwet 2014, Table 3.5.1) or a checked matrix.

Each returns a float. When a coefficient is undefined for the data (empty input, every
value missing, a single coder, no unit coded twice, or a single value everywhere so that
chance agreement is perfect) it returns ``NaN`` and emits an :class:`AgreementWarning`
that says why.

:func:`reliability_table` turns the long ``codings`` frame of a project into the tidy
report behind ``Project.agreement``: one row per code (present/absent), one per exclusive
group and one overall (multi-label, MASI distance), each with a bootstrap interval or
Gwet's analytic one, for the whole codings or per thread (``by="thread_id"``).
:func:`standard_errors` gives Gwet's standard errors, intervals and p-values as irrCAC
reports them.

The package is split by concept: :mod:`~workbench.agreement.coefficients` (the
coefficients and set distances), :mod:`~workbench.agreement.weights` (agreement weights),
:mod:`~workbench.agreement.forms` (tables of counts as input),
:mod:`~workbench.agreement.bootstrap` (bootstrap intervals),
:mod:`~workbench.agreement.variance` (Gwet's standard errors),
:mod:`~workbench.agreement.tables` (coincidence and confusion matrices, pairwise tables), :mod:`~workbench.agreement.disagreements` (who read which unit
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
from .report import CI_METHODS, NO_CODE, OVERALL, REPORT_COLUMNS, per_code_agreement, reliability_table
from .tables import coincidence_matrix, confusion_matrix, pairwise
from .variance import SE_COLUMNS, SE_MEASURES, standard_errors
from .weights import WEIGHTS, weights_matrix

__all__ = [
    "AgreementWarning",
    "BootstrapResult",
    "CI_METHODS",
    "DISAGREEMENT_COLUMNS",
    "LEVELS",
    "MEASURES",
    "NO_CODE",
    "OVERALL",
    "REPORT_COLUMNS",
    "SE_COLUMNS",
    "SE_MEASURES",
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
    "standard_errors",
    "weights_matrix",
]
