"""Container engines (docker, podman, buildah) behind one small interface."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ENGINES = ("docker", "podman", "buildah")


def _docker_daemon_reachable() -> bool:
    host = os.environ.get("DOCKER_HOST", "")
    if host:
        return True
    return Path("/var/run/docker.sock").exists()


def detect_engine_name(preference: str = "auto") -> str | None:
    """The engine to use: ``MLRELEASE_CONTAINER_ENGINE``, else the configured one, else the first
    that works here (docker only with a reachable daemon)."""
    wanted = os.environ.get("MLRELEASE_CONTAINER_ENGINE") or preference
    if wanted != "auto":
        return wanted if shutil.which(wanted) else None
    for name in ENGINES:
        if shutil.which(name) and (name != "docker" or _docker_daemon_reachable()):
            return name
    return None
