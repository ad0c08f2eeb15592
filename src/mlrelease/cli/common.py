"""What every command handler shares."""

from __future__ import annotations

import argparse
from pathlib import Path


def project_dir(args: argparse.Namespace) -> Path:
    """The project directory a command works on (``--project``/``-C``, default: here)."""
    path: Path = getattr(args, "project", None) or Path()
    return path
