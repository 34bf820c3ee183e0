"""JupyterHub configuration for a workbench team server, for running JupyterHub by hand.

Run it as::

  WB_PROJECT=postgresql://wb@db.example/study WB_HUB_SUPERVISORS="sam" jupyterhub -f deploy/jupyterhub_config.py

`workbench hub` does the same from its options (and writes STATE_DIR/jupyterhub_config.py).
Everything below `configure(c, SETTINGS)` is yours to change: it runs after workbench's
settings and wins over them. See deploy/README.md.

Environment::

  WB_PROJECT            the project (required): postgresql://USER@HOST/DB, may hold {username}
  WB_HUB_SUPERVISORS    supervisors' hub user names, space-separated (hub admins, group 'supervisors')
  WB_HUB_CODERS         hub user names put in the group 'coders' at start (optional)
  WB_HUB_STATE          the hub's own files (default: hub-state beside this folder)
  WB_HUB_IP, WB_HUB_PORT  the public address (default 127.0.0.1 and 8000)
  WB_HUB_OPEN_SIGNUP    1: sign-ups need no supervisor's approval (default 0)
  WB_ROUND              the round coders code in (optional)
  WB_PROXY              configurable-http-proxy (default: node_modules/.bin, then PATH)
"""

import os
import sys
from pathlib import Path

from workbench.hub import HubSettings, configure, find_proxy, free_port

REPO = Path(__file__).resolve().parent.parent
if not os.environ.get("WB_PROJECT"):
    raise ValueError("deploy/jupyterhub_config.py: set WB_PROJECT to the project, e.g. "
                     "WB_PROJECT=postgresql://wb@db.example/study jupyterhub -f deploy/jupyterhub_config.py")

SETTINGS = HubSettings(
    project=os.environ["WB_PROJECT"],
    state_dir=os.environ.get("WB_HUB_STATE") or str(REPO / "hub-state"),
    ip=os.environ.get("WB_HUB_IP", "127.0.0.1"),
    port=int(os.environ.get("WB_HUB_PORT", "8000")),
    hub_port=free_port(),
    proxy_api_port=free_port(),
    supervisors=tuple(os.environ.get("WB_HUB_SUPERVISORS", "").split()),
    coders=tuple(os.environ.get("WB_HUB_CODERS", "").split()),
    open_signup=os.environ.get("WB_HUB_OPEN_SIGNUP", "0") == "1",
    round=os.environ.get("WB_ROUND") or None,
    notebook_dir=str(REPO),
    coder_app=str(REPO / "notebooks" / "coder_app.ipynb"),
    proxy_command=tuple(find_proxy(roots=[REPO])),
    python=sys.executable,
)
configure(c, SETTINGS)  # type: ignore[name-defined]  # noqa: F821 - `c` is the configuration object JupyterHub provides

# --- your changes -----------------------------------------------------------------------------
# Another authenticator (pip install oauthenticator): log in with the institution's accounts.
# The NativeAuthenticator's sign-up pages then go; the groups stay as they are.
#
#   c.JupyterHub.authenticator_class = "generic-oauth"   # or "github", "azuread", "ldapauthenticator"
#   c.Authenticator.allow_all = False
#   c.Authenticator.allowed_users = {"sam", "alice", "bob"}
#
# One operating-system account per user instead of the hub's own (see deploy/README.md):
#
#   c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
#
# TLS on the public address (or put a reverse proxy with HTTPS in front):
#
#   c.JupyterHub.ssl_key = "/etc/ssl/private/hub.key"
#   c.JupyterHub.ssl_cert = "/etc/ssl/certs/hub.pem"
