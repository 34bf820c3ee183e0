"""An LLM coder: a chat model that the researcher runs, asked through the OpenAI chat-completions API.

Any server that speaks that API will do: Ollama (``http://127.0.0.1:11434/v1``), the
llama.cpp server (``http://127.0.0.1:8080/v1``), vLLM (``http://127.0.0.1:8000/v1``). The
workbench never picks a server: the base URL and the model come from the arguments or
from the environment (``WB_LLM_BASE_URL``, ``WB_LLM_MODEL``, ``WB_LLM_API_KEY``), and
without them nothing is sent. Plain ``http://`` is accepted for loopback addresses only
(the machine itself); another host needs ``https://`` or ``allow_insecure_http=True``.
System proxy settings are ignored and redirects are not followed, so texts go to the
server named and nowhere else.

Texts are pseudonymised before they leave (see :meth:`LLMCoder.code`); sending raw text
is a decision the caller makes explicitly (``raw=True``).

Each post is one request: ``temperature`` (0 by default) and ``seed`` are sent, and the
answer is constrained by a JSON schema (``response_format={"type": "json_schema", ...}``;
``"json_object"`` or ``None`` for servers without schema support) and always checked
against the codebook. A post fails, with its reason recorded, when the answer is not
JSON, misses a field, names a code outside the codebook, is cut off, or when the server
times out, keeps answering 5xx or rate-limits (HTTP 429: ``Retry-After`` is honoured up to
``max_wait`` seconds) past ``max_retries``. A wrong key, an unknown model or endpoint
(401, 403, 404) and a server that cannot be reached stop the run with :class:`LLMError`.
"""

from __future__ import annotations

import dataclasses
import email.utils
import ipaddress
import os
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pandas as pd

from ..errors import PrivacyError, WorkbenchError
from ..privacy import PSEUDONYMISED_MARK, PseudonymKey, pseudonymise, redact
from ._data import coded_frame
from .prompt import INSTRUCTIONS, PARAPHRASE, AnswerError, Prompt, build_prompt

__all__ = ["ANSWER_COLUMNS", "ENVIRONMENT", "LLMCoder", "LLMError"]

#: the environment variables read when an argument is not given
ENVIRONMENT = {"base_url": "WB_LLM_BASE_URL", "model": "WB_LLM_MODEL", "api_key": "WB_LLM_API_KEY"}
ANSWER_COLUMNS = ["unit_id", "status", "codes", "reason", "error_kind", "error", "attempts", "seconds",
                  "served_model", "fingerprint"]
_FORMATS = ("json_schema", "json_object", None)


class LLMError(WorkbenchError, RuntimeError):
    """The LLM server cannot be used at all (unreachable, wrong key, unknown model or endpoint)."""


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_url(base_url: str, allow_insecure_http: bool) -> str:
    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"base_url must be an http(s) URL such as http://127.0.0.1:11434/v1; got {base_url!r}")
    if parts.username or parts.password:
        raise ValueError("base_url must not hold a user name or password; give the key as api_key= or WB_LLM_API_KEY")
    if parts.query or parts.fragment:
        raise ValueError(f"base_url must not have a query or fragment; got {base_url!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname) and not allow_insecure_http:
        raise ValueError(
            f"base_url {base_url!r} is plain http to another machine: the texts would cross the network "
            "unencrypted. Use https://, a server on this machine (127.0.0.1), or allow_insecure_http=True "
            "if the network is trusted"
        )
    return base_url.rstrip("/")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
        err = body.get("error") if isinstance(body, dict) else None
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])[:300]
        if isinstance(err, str):
            return err[:300]
    except ValueError:
        pass
    return response.text[:300]


@dataclass
class _Outcome:
    status: str = "failed"
    codes: list[str] = field(default_factory=list)
    reason: str = ""
    error_kind: str | None = None
    error: str | None = None
    attempts: int = 0
    served_model: str | None = None
    fingerprint: str | None = None


@dataclass(frozen=True)
class LLMCoder:
    """A model coder that asks a chat model, through an OpenAI-compatible server you run.

    Parameters
    ----------
    base_url : str, optional
        The server's API root, e.g. ``http://127.0.0.1:11434/v1`` (Ollama); the request
        goes to ``<base_url>/chat/completions``. Default: ``WB_LLM_BASE_URL``; there is no
        built-in default.
    model : str, optional
        The model's name on that server. Default: ``WB_LLM_MODEL``.
    api_key : str, optional
        Sent as ``Authorization: Bearer``; default ``WB_LLM_API_KEY``; never recorded.
    codebook : Codebook, optional
        The codebook the prompt is built from; :func:`apply` binds the project's.
    temperature : float
        Sampling temperature (0 = the most probable answer).
    seed : int or None
        Sent to servers that seed their sampling.
    timeout : float
        Seconds to wait for one answer.
    max_retries : int
        Further attempts after a timeout, a 5xx or a 429.
    max_wait : float
        The longest pause (seconds) between attempts, also for ``Retry-After``.
    response_format : {"json_schema", "json_object", None}
        How the answer is constrained on the server (always checked here).
    context : int
        How many posts of the chain a post replies to are shown with it (the thread's
        opening post and the nearest replies; 0 for none).
    max_chars : int
        Longer texts are shortened in the prompt.
    max_tokens : int
        The longest answer asked for.
    instructions : str
        The opening instructions (:data:`~workbench.assist.prompt.INSTRUCTIONS`).
    allow_insecure_http : bool
        Allow plain ``http://`` to another machine.

    Examples
    --------
    >>> import workbench as wb
    >>> coder = wb.assist.LLMCoder("http://127.0.0.1:11434/v1", "llama3.1:8b")
    >>> coder.endpoint
    'http://127.0.0.1:11434/v1/chat/completions'
    >>> wb.assist.LLMCoder("http://10.0.0.5:8000/v1", "m")
    Traceback (most recent call last):
    ...
    ValueError: base_url 'http://10.0.0.5:8000/v1' is plain http to another machine: ...
    """

    base_url: str | None = None
    model: str | None = None
    api_key: str | None = field(default=None, repr=False)
    codebook: Any = field(default=None, repr=False)
    temperature: float = 0.0
    seed: int | None = 0
    timeout: float = 60.0
    max_retries: int = 2
    max_wait: float = 60.0
    response_format: str | None = "json_schema"
    context: int = 3
    max_chars: int = 4000
    max_tokens: int = 512
    instructions: str = field(default=INSTRUCTIONS, repr=False)
    allow_insecure_http: bool = False

    def __post_init__(self) -> None:
        base_url = self.base_url or os.environ.get(ENVIRONMENT["base_url"]) or None
        model = self.model or os.environ.get(ENVIRONMENT["model"]) or None
        if base_url is None:
            raise ValueError(
                "LLMCoder needs the base URL of a server you run (e.g. http://127.0.0.1:11434/v1 for Ollama): "
                f"give base_url= or set {ENVIRONMENT['base_url']}; nothing is sent anywhere by default"
            )
        if model is None:
            raise ValueError(f"LLMCoder needs the model's name on the server: give model= or set {ENVIRONMENT['model']}")
        object.__setattr__(self, "base_url", _check_url(str(base_url), self.allow_insecure_http))
        object.__setattr__(self, "model", str(model))
        if self.api_key is None and os.environ.get(ENVIRONMENT["api_key"]):
            object.__setattr__(self, "api_key", os.environ[ENVIRONMENT["api_key"]])
        if self.response_format not in _FORMATS:
            raise ValueError(f"response_format must be one of {list(_FORMATS)}; got {self.response_format!r}")
        if not 0 <= float(self.temperature) <= 2:
            raise ValueError(f"temperature must be between 0 and 2; got {self.temperature!r}")
        for name in ("timeout", "max_wait"):
            if not float(getattr(self, name)) > 0:
                raise ValueError(f"{name} must be a positive number of seconds; got {getattr(self, name)!r}")
        for name in ("max_retries", "context", "max_chars", "max_tokens"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < (1 if name in ("max_chars", "max_tokens") else 0):
                raise ValueError(f"{name} must be a non-negative integer; got {value!r}")

    # --- identity -----------------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        """The URL every request goes to."""
        return f"{self.base_url}/chat/completions"

    @property
    def prompt(self) -> Prompt:
        """The frozen prompt (needs a codebook: :meth:`bind`)."""
        if self.codebook is None:
            raise ValueError("this LLM coder has no codebook yet: coder.bind(codebook), or apply it to a project")
        return build_prompt(self.codebook, instructions=self.instructions)

    @property
    def name(self) -> str:
        """``llm:<model>@<prompt hash>``: the coder's name in the project (at most 64 characters)."""
        model = str(self.model)
        room = 64 - len("llm:@") - 12
        if len(model) > room:
            model = model[: room - 1] + "…"
        return f"llm:{model}@{self.prompt.hash}"

    def bind(self, codebook: Any) -> LLMCoder:
        """The same coder with a codebook (the prompt and the name follow from it)."""
        return dataclasses.replace(self, codebook=codebook)

    def paraphrased(self, instructions: str = PARAPHRASE) -> LLMCoder:
        """The same coder with the instructions in other words (another prompt, so another name)."""
        return dataclasses.replace(self, instructions=instructions)

    def settings(self) -> dict[str, Any]:
        """Everything a run record keeps (the full prompt; never the key)."""
        p = self.prompt
        return {
            "endpoint": self.endpoint, "model": self.model, "temperature": self.temperature, "seed": self.seed,
            "timeout": self.timeout, "max_retries": self.max_retries, "max_wait": self.max_wait,
            "response_format": self.response_format, "context": self.context, "max_chars": self.max_chars,
            "max_tokens": self.max_tokens, "prompt_hash": p.hash, "system": p.system,
            "user_template": p.user_template, "schema": p.schema, "api_key": "set" if self.api_key else None,
        }

    def seen_units(self) -> list[str]:
        """Units quoted in the prompt as examples or near misses (never validate on them)."""
        if self.codebook is None:
            return []
        return sorted({e.unit for c in self.codebook.codes for e in (*c.examples, *c.near_misses) if e.unit})

    # --- asking -------------------------------------------------------------------------------
    def _body(self, user: str) -> dict[str, Any]:
        p = self.prompt
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": "system", "content": p.system}, {"role": "user", "content": user}],
            "temperature": float(self.temperature),
            "max_tokens": self.max_tokens,
            "n": 1,
        }
        if self.seed is not None:
            body["seed"] = int(self.seed)
        if self.response_format == "json_schema":
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": "coding", "strict": True, "schema": p.schema}}
        elif self.response_format == "json_object":
            body["response_format"] = {"type": "json_object"}
        return body

    def _client(self) -> httpx.Client:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return httpx.Client(headers=headers, timeout=httpx.Timeout(float(self.timeout)), trust_env=False,
                            follow_redirects=False)

    def _pause(self, attempt: int) -> float:
        return min(float(self.max_wait), 0.5 * 2 ** (attempt - 1))

    def _ask(self, client: httpx.Client, user: str) -> _Outcome:
        out = _Outcome()
        body = self._body(user)
        for attempt in range(1, self.max_retries + 2):
            out.attempts = attempt
            last = attempt == self.max_retries + 1
            try:
                response = client.post(self.endpoint, json=body)
            except httpx.TimeoutException:
                out.error_kind, out.error = "timeout", f"no answer within {self.timeout:g} s"
                if not last:
                    time.sleep(self._pause(attempt))
                continue
            except httpx.TransportError as exc:
                raise LLMError(f"cannot reach the LLM server at {self.endpoint}: {exc}") from exc
            code = response.status_code
            if code == 429:
                wait = _retry_after(response)
                wait = self._pause(attempt) if wait is None else wait
                out.error_kind = "rate_limited"
                out.error = f"HTTP 429 (rate limited) after {attempt} attempt(s): {_error_text(response)}"
                if wait > self.max_wait:
                    out.error += f"; the server asks to wait {wait:g} s, more than max_wait={self.max_wait:g}"
                    return out
                if not last:
                    time.sleep(wait)
                continue
            if code >= 500:
                out.error_kind, out.error = "server_error", f"HTTP {code} after {attempt} attempt(s): {_error_text(response)}"
                if not last:
                    time.sleep(self._pause(attempt))
                continue
            if code in (401, 403):
                raise LLMError(f"the LLM server refused the key (HTTP {code}): {_error_text(response)}; "
                               f"check api_key= or {ENVIRONMENT['api_key']}")
            if code == 404:
                raise LLMError(f"HTTP 404 from {self.endpoint}: {_error_text(response)}; check base_url= (it usually "
                               f"ends in /v1) and that the server has the model {self.model!r}")
            if not 200 <= code < 300:
                out.error_kind, out.error = "rejected", f"HTTP {code}: {_error_text(response)}"
                return out
            return self._read(response, out)
        return out

    def _read(self, response: httpx.Response, out: _Outcome) -> _Outcome:
        try:
            data = response.json()
            choice = data["choices"][0]
            message = choice["message"]
        except (ValueError, KeyError, IndexError, TypeError):
            out.error_kind, out.error = "malformed", f"the server's reply is not a chat completion: {response.text[:120]!r}"
            return out
        out.served_model = data.get("model") if isinstance(data.get("model"), str) else None
        out.fingerprint = data.get("system_fingerprint") if isinstance(data.get("system_fingerprint"), str) else None
        if isinstance(message, dict) and message.get("refusal"):
            out.error_kind, out.error = "refusal", f"the model refused: {str(message['refusal'])[:200]}"
            return out
        if choice.get("finish_reason") == "length":
            out.error_kind, out.error = "malformed", f"the answer was cut off at max_tokens={self.max_tokens}"
            return out
        try:
            out.codes, out.reason = self.prompt.parse(message.get("content") if isinstance(message, dict) else None)
        except AnswerError as exc:
            out.error_kind, out.error = exc.kind if exc.kind != "missing" else "malformed", str(exc)
            return out
        out.status, out.error_kind, out.error = "ok", None, None
        return out

    # --- coding a table -----------------------------------------------------------------------
    def _private(self, units: pd.DataFrame, key: PseudonymKey | None, raw: bool) -> pd.DataFrame:
        if raw:
            return units
        if units.attrs.get(PSEUDONYMISED_MARK):
            return units
        if key is None:
            raise PrivacyError(
                "an LLM coder sends texts to a server: pseudonymise them first (give key= the study's "
                "PseudonymKey, or pass units from wb.pseudonymise), or pass raw=True if the supervisor has "
                "decided that raw texts may go to this server"
            )
        pseudo = pseudonymise(units, key).units
        keep = {"@" + p for p in key.pseudonyms()}
        return redact(pseudo, ("url", "email", "phone", "handle"), keep=keep).units

    def _chains(self, units: pd.DataFrame) -> dict[str, tuple[list[str], int]]:
        text = dict(zip(units["unit_id"].astype(str), units["text"].fillna("").astype(str)))
        parent = dict(zip(units["unit_id"].astype(str), units.get("parent_id", pd.Series(None, index=units.index))))
        chains: dict[str, tuple[list[str], int]] = {}
        for uid in text:
            chain: list[str] = []
            seen = {uid}
            p = parent.get(uid)
            while isinstance(p, str) and p in text and p not in seen:
                seen.add(p)
                chain.insert(0, p)
                p = parent.get(p)
            left_out = 0
            if self.context == 0:
                chain = []
            elif len(chain) > self.context:
                left_out = len(chain) - self.context
                chain = chain[:1] + chain[len(chain) - self.context + 1:]
            chains[uid] = ([text[c] for c in chain], left_out)
        return chains

    def iter_code(
        self, units: pd.DataFrame, unit_ids: Sequence[str] | None = None, *, key: PseudonymKey | None = None,
        raw: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Code units one at a time, yielding one answer row (see :meth:`code`) per unit as it comes."""
        if not isinstance(units, pd.DataFrame) or not {"unit_id", "text"} <= set(units.columns):
            raise ValueError("units must be a units table (unit_id, text; parent_id for context)")
        view = self._private(units, key, raw)
        chains = self._chains(view)
        role = dict(zip(view["unit_id"].astype(str), view.get("author_role", pd.Series(None, index=view.index))))
        text = dict(zip(view["unit_id"].astype(str), view["text"].fillna("").astype(str)))
        todo = [str(u) for u in (unit_ids if unit_ids is not None else text)]
        missing = [u for u in todo if u not in text]
        if missing:
            raise ValueError(f"unit(s) {missing[:5]} are not in the units table given")
        with self._client() as client:
            for uid in todo:
                ctx, left_out = chains[uid]
                r = role.get(uid)
                r = r if isinstance(r, str) and r and r != "unknown" else None
                user = self.prompt.user(text[uid], ctx, role=r, max_chars=self.max_chars, left_out=left_out)
                start = time.perf_counter()
                out = self._ask(client, user)
                yield {"unit_id": uid, "status": out.status, "codes": list(out.codes), "reason": out.reason,
                       "error_kind": out.error_kind, "error": out.error, "attempts": out.attempts,
                       "seconds": time.perf_counter() - start, "served_model": out.served_model,
                       "fingerprint": out.fingerprint}

    def code(
        self, units: pd.DataFrame, unit_ids: Sequence[str] | None = None, *, key: PseudonymKey | None = None,
        raw: bool = False,
    ) -> pd.DataFrame:
        """Code units without recording anything: one answer row per unit.

        Parameters
        ----------
        units : pandas.DataFrame
            A units table (``unit_id``, ``text``; ``parent_id`` for context, ``author_role``).
        unit_ids : sequence of str, optional
            Code only these units (the others still give context). Default: all.
        key : PseudonymKey, optional
            The study's pseudonym key: texts are pseudonymised and redacted (URLs, e-mail
            addresses, phone numbers, handles) before they are sent. Not needed for units
            that come from :func:`workbench.pseudonymise`.
        raw : bool
            Send the texts as they are (the supervisor's decision).

        Returns
        -------
        pandas.DataFrame
            ``unit_id``, ``status`` (``ok`` / ``failed``), ``codes`` (a list; empty when no
            code applies or on failure), ``reason`` (the model's), ``error_kind``
            (``malformed``, ``outside``, ``refusal``, ``timeout``, ``rate_limited``,
            ``server_error``, ``rejected``), ``error``, ``attempts``, ``seconds``,
            ``served_model`` and ``fingerprint`` (as the server reports them).
        """
        rows = list(self.iter_code(units, unit_ids, key=key, raw=raw))
        df = pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object) for c in ANSWER_COLUMNS})
        return df.astype({"attempts": "int64", "seconds": "float64"})

    def code_frame(self, units: pd.DataFrame, **options: Any) -> pd.DataFrame:
        """The coder's codings as long codings (``unit_id, coder, code``); failed units left out."""
        answers = self.code(units, **options)
        ok = answers[answers["status"] == "ok"]
        return coded_frame(dict(zip(ok["unit_id"], ok["codes"])), self.name)
