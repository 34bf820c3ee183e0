"""The team server: JupyterHub with log-in, the coder app for coders and JupyterLab for supervisors.

``workbench hub`` starts it; ``deploy/README.md`` describes the deployment. The pieces:

* :mod:`workbench.hub.settings`: :class:`HubSettings`, the groups ``coders`` and
  ``supervisors``, the role of a user from their groups;
* :mod:`workbench.hub.config`: :func:`configure`, JupyterHub's configuration from the settings;
* :mod:`workbench.hub.coder_server`: the coder's Jupyter Server, locked down to the coder app;
* :mod:`workbench.hub.run`: the command line that runs JupyterHub, and groups through its API;
* :mod:`workbench.hub.command`: ``workbench hub``'s options.

:mod:`workbench.hub.coder_server` imports JupyterHub; the rest imports it only when the
hub starts, so ``workbench --help`` works without it.

Examples
--------
>>> from workbench.hub import CODERS, SUPERVISORS, role_of
>>> CODERS, SUPERVISORS, role_of(["coders"])
('coders', 'supervisors', 'coder')
"""

from __future__ import annotations

from .config import API_SCOPES, API_SERVICE, CODER_APP_NAME, CoderNotInGroupError, configure, prepare_state, spawn_hook
from .run import (
    HubError,
    add_to_group,
    exec_hub,
    find_proxy,
    free_port,
    group_members,
    hub_command,
    jupyterhub_version,
    write_config,
)
from .settings import CODERS, ROLES, SUPERVISORS, HubSettings, is_loopback, project_for, role_of

__all__ = [
    "API_SCOPES",
    "API_SERVICE",
    "CODERS",
    "CODER_APP_NAME",
    "ROLES",
    "SUPERVISORS",
    "CoderNotInGroupError",
    "HubError",
    "HubSettings",
    "add_to_group",
    "configure",
    "exec_hub",
    "find_proxy",
    "free_port",
    "group_members",
    "hub_command",
    "is_loopback",
    "jupyterhub_version",
    "prepare_state",
    "project_for",
    "role_of",
    "spawn_hook",
    "write_config",
]
