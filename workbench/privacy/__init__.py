"""Privacy: pseudonymise authors and mentions, redact contact data, export safely.

Posts about mental-health care are special-category personal data. This module keeps
the people who wrote them (and the people they mention) out of everything the
workbench publishes:

* :func:`pseudonymise` gives every author a stable pseudonym (``P017``, or role-aware
  such as ``Professional-04``) and replaces ``@mentions`` and author names quoted in
  the texts by the same pseudonyms. The mapping lives in a :class:`PseudonymKey`, a
  JSON key file kept apart from the project (mode 0600), so that re-identification
  needs the key.
* :func:`redact` replaces URLs, e-mail addresses, phone numbers and platform handles by
  typed placeholders (``[URL]``, ``[EMAIL]``, ``[PHONE]``, ``[HANDLE]``).
* :func:`propose_names` lists person names found by a trained spaCy pipeline with NER,
  for the researcher to accept or reject (:func:`apply_names`); nothing is replaced
  silently, and without such a pipeline it raises :class:`NERUnavailableError`.
* :func:`mark_pseudonymised`, :func:`privacy_state` and :func:`export_view` record
  whether a project holds raw or pseudonymised data and give exporters (CSV, XLSX,
  REFI-QDA, HTML reports) a view that is pseudonymised unless the caller asks for raw
  data *and* shows the key; in such a view every id (unit, thread, parent) and source
  file name is a pseudonymous id keyed by the key (:class:`IdMap`), because ids are often
  made of file names, domains and handles.
* The key never sits in the project's folder (:func:`check_key_place`, one rule for the
  API and the command line); a new key goes by default to the user's configuration folder
  (:func:`default_key_path`).

Every change is recorded in a tidy report (one row per replacement) and as a list of
:class:`TextEdit` per unit, so that character offsets of codings made on the original
text can be remapped (:meth:`PrivacyResult.remap_span`). Offsets are Python string
indices (code points) into ``units["text"]``.

The reports and the key hold the original names: they are as sensitive as the raw data.

The package, one concept a module: :mod:`~workbench.privacy.key` (the key and its file),
:mod:`~workbench.privacy.place` (where a key may live),
:mod:`~workbench.privacy.edits` (text edits and offset remapping),
:mod:`~workbench.privacy.ids` (ids that carry no names),
:mod:`~workbench.privacy.text` (pseudonymise and redact: DataFrames in and out),
:mod:`~workbench.privacy.names` (NER proposals) and :mod:`~workbench.privacy.policy`
(the project-facing export policy; the only module that reads a project).
"""

from __future__ import annotations

from ..errors import PrivacyError
from ._contact import PLACEHOLDERS, REDACTION_KINDS
from .edits import PrivacyResult, TextEdit, remap_span
from .ids import ID_COLUMNS, ID_PATTERN, IdMap, id_map
from .key import KEY_FORMAT, KEY_VERSION, NON_NAMES, PseudonymKey
from .names import NERUnavailableError, apply_names, ner_available, propose_names
from .place import KeyLocationWarning, check_key_place, default_key_path
from .policy import ExportView, export_view, mark_pseudonymised, privacy_state
from .text import PSEUDONYMISED_MARK, find_redactions, pseudonymise, redact, redaction_summary

__all__ = [
    "PrivacyError",
    "NERUnavailableError",
    "KeyLocationWarning",
    "PseudonymKey",
    "TextEdit",
    "PrivacyResult",
    "ExportView",
    "REDACTION_KINDS",
    "PLACEHOLDERS",
    "NON_NAMES",
    "KEY_FORMAT",
    "KEY_VERSION",
    "ID_COLUMNS",
    "ID_PATTERN",
    "IdMap",
    "id_map",
    "check_key_place",
    "default_key_path",
    "pseudonymise",
    "PSEUDONYMISED_MARK",
    "redact",
    "find_redactions",
    "remap_span",
    "redaction_summary",
    "ner_available",
    "propose_names",
    "apply_names",
    "privacy_state",
    "mark_pseudonymised",
    "export_view",
]
