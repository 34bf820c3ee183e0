"""Model coders, measured as coders: a classifier trained on the project's codings and an LLM you run.

A model coder is a coder of kind *model* whose codings go through the same coding log as
everyone's, under its own name (``model:logreg-tfidf@<hash>``, ``llm:<model>@<prompt hash>``),
never replacing a human's coding. Each run is recorded with the model, its version, its
full settings or prompt, seed, temperature, units and time (:func:`runs`,
:func:`run_record`). The practice followed is the published one: treat the model as a
named coder, validate it per code against human gold on units it never saw, freeze and
report the prompt and the model, test its stability, and keep humans' codings untouched.

* :func:`train` fits TF-IDF word and character n-grams and logistic regression (one per
  exclusive group, one per other code) on the gold set, the agreed units or one coder's
  codings; offline, on the CPU, seeded. :meth:`ClassifierModel.evaluate` gives per-code
  precision, recall and F1 by stratified k-fold cross-validation beside text-blind
  baselines; a code is offered only where the model clearly beats them.
* :func:`suggest` gives per-unit code probabilities for the coding panel and
  :func:`uncertainty_order` a queue order, most uncertain first.
* :class:`LLMCoder` asks a chat model on an OpenAI-compatible server that you run
  (Ollama, llama.cpp server, vLLM), with a prompt built from the codebook, answers
  constrained to the codebook's codes and always checked, pseudonymised texts only
  unless told otherwise.
* :func:`apply` records a model's codings in a project and returns the coder's name.
* :func:`validate` measures the model against the gold and each human beside the humans'
  own agreement on the same units; :func:`stability` runs the same and a paraphrased prompt.

Examples
--------
>>> import pandas as pd, workbench as wb
>>> cb = wb.Codebook.from_dict({"name": "demo", "codes": [
...     {"name": "thanks", "label": "Thanks", "definition": "Thanks the writer."}]})
>>> texts = [f"thank you so much {i}" for i in range(20)] + [f"the rota is late {i}" for i in range(20)]
>>> units = pd.DataFrame({"unit_id": [f"u{i}" for i in range(40)], "text": texts})
>>> gold = pd.DataFrame({"unit_id": units["unit_id"], "code": ["thanks"] * 20 + [None] * 20})
>>> model = wb.assist.train(units, on="gold", codings=gold, codebook=cb, seed=0)
>>> model.evaluate(k=5)[["code", "f1", "baseline_f1", "offered"]].round(3)
     code   f1  baseline_f1  offered
0  thanks  1.0        0.667     True
"""

from __future__ import annotations

from ._record import run_record, runs
from .apply import apply
from .classifier import EVALUATION_COLUMNS, MODEL_KIND, SETTINGS, ClassifierModel, train
from .llm import ANSWER_COLUMNS, ENVIRONMENT, LLMCoder, LLMError
from .prompt import INSTRUCTIONS, PARAPHRASE, AnswerError, Prompt, build_prompt
from .suggest import SUGGESTION_COLUMNS, suggest, uncertainty_order
from .validate import VALIDATION_COLUMNS, Validation, stability, validate

__all__ = [
    "ANSWER_COLUMNS",
    "ENVIRONMENT",
    "EVALUATION_COLUMNS",
    "INSTRUCTIONS",
    "MODEL_KIND",
    "PARAPHRASE",
    "SETTINGS",
    "SUGGESTION_COLUMNS",
    "VALIDATION_COLUMNS",
    "AnswerError",
    "ClassifierModel",
    "LLMCoder",
    "LLMError",
    "Prompt",
    "Validation",
    "apply",
    "build_prompt",
    "run_record",
    "runs",
    "stability",
    "suggest",
    "train",
    "uncertainty_order",
    "validate",
]
