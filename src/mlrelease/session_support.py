"""What the shared nox sessions (``noxsessions/``) use from the core beside ``project``,
``stages`` and ``monorepo``: the public door to the few helpers of the private ``_util``.

``noxsessions`` import no private module (``tests/unit/test_output_rules.py`` holds them to it),
and write through the reporter (:func:`note`) like the rest of mlrelease.
"""

from __future__ import annotations

from mlrelease._util.console import counted, note
from mlrelease._util.uvtool import find_uv, session_uv, uv_shim_dir

__all__ = ["counted", "find_uv", "note", "session_uv", "uv_shim_dir"]
