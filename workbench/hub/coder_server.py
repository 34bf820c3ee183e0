"""The coder's single-user server: the coder app in Voilà, and nothing a coder could run code with.

A coder's server is ``jupyterhub-singleuser`` (Jupyter Server with JupyterHub's login)
serving one folder that holds only the coder app, opened at
``/voila/render/coder_app.ipynb`` by Voilà's server extension. Jupyter Server offers more
than a coder needs, so :func:`configure_coder_server` takes it away with Jupyter Server's
own settings:

* the kernel's websocket passes only the widget messages Voilà's own stand-alone server
  allows (:data:`ALLOWED_MESSAGE_TYPES`): an ``execute_request`` forged in the page is
  dropped, so the page can drive the widgets but run no code;
* JupyterLab, the classic notebook, the language server and terminals are not loaded;
* :class:`CoderAuthorizer` lets the coder reach the kernels Voilà started and nothing
  else of Jupyter Server's REST API (no contents, no new kernels, no sessions, no shutdown).

The hub writes a two-line configuration file that calls :func:`configure_coder_server`
and passes it to each coder's server with ``--config``.

Examples
--------
>>> "execute_request" in ALLOWED_MESSAGE_TYPES, "comm_msg" in ALLOWED_MESSAGE_TYPES
(False, True)
>>> CoderAuthorizer.allows("read", "kernels"), CoderAuthorizer.allows("write", "contents")
(True, False)
"""

from __future__ import annotations

from typing import Any

from jupyterhub.singleuser.extension import JupyterHubAuthorizer

__all__ = ["ALLOWED_MESSAGE_TYPES", "DISABLED_EXTENSIONS", "CoderAuthorizer", "configure_coder_server"]

#: Kernel messages a coder's page may send: the widgets' comms and the kernel's hello
#: (the list Voilà's stand-alone server uses). Everything else, ``execute_request`` first,
#: is dropped by Jupyter Server before it reaches the kernel.
ALLOWED_MESSAGE_TYPES: tuple[str, ...] = (
    "comm_open",
    "comm_close",
    "comm_msg",
    "comm_info_request",
    "kernel_info_request",
    "shutdown_request",
)

#: Jupyter Server extensions a coder's server does not load.
DISABLED_EXTENSIONS: tuple[str, ...] = (
    "jupyterlab",
    "notebook",
    "nbclassic",
    "notebook_shim",
    "jupyter_lsp",
    "jupyter_server_terminals",
)

#: (action, resource) pairs of Jupyter Server's authorisation a coder's page needs.
_ALLOWED: frozenset[tuple[str, str]] = frozenset({
    ("execute", "kernels"),  # the kernel's websocket (filtered by ALLOWED_MESSAGE_TYPES)
    ("read", "kernels"),
    ("read", "kernelspecs"),
})


class CoderAuthorizer(JupyterHubAuthorizer):
    """JupyterHub's check that the user may use this server, then: only the kernels.

    Every request a coder's page makes to Jupyter Server's API passes through here with
    an action (``read``, ``write``, ``execute``) and a resource (``contents``,
    ``kernels``, ...). Refusals are logged with the user's name.
    """

    @staticmethod
    def allows(action: str, resource: str) -> bool:
        """Whether a coder may take ``action`` on ``resource`` at all."""
        return (action, resource) in _ALLOWED

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        """Refuse everything but the kernels, after JupyterHub's own check."""
        if not self.allows(action, resource):
            self.log.warning("coder server: refused %s to %s on %s (%s)", getattr(user, "username", "?"), action,
                             resource, getattr(getattr(handler, "request", None), "path", "?"))
            return False
        return bool(super().is_authorized(handler, user, action, resource))


def configure_coder_server(c: Any) -> None:
    """Lock a coder's Jupyter Server down to the coder app (see the module docstring).

    Parameters
    ----------
    c : traitlets.config.Config
        The configuration object of a Jupyter Server configuration file.

    Examples
    --------
    >>> from traitlets.config import Config
    >>> c = Config()
    >>> configure_coder_server(c)
    >>> c.ServerApp.jpserver_extensions["jupyterlab"], c.ServerApp.jpserver_extensions["voila"]
    (False, True)
    """
    c.ServerApp.authorizer_class = CoderAuthorizer
    c.MappingKernelManager.allowed_message_types = list(ALLOWED_MESSAGE_TYPES)
    c.MappingKernelManager.allow_tracebacks = False
    extensions = {name: False for name in DISABLED_EXTENSIONS}
    extensions["voila"] = True
    c.ServerApp.jpserver_extensions = extensions
    c.ServerApp.terminals_enabled = False
    c.VoilaConfiguration.show_tracebacks = False
    c.VoilaConfiguration.file_allowlist = []
