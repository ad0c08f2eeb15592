"""Shared by every test: the hypothesis profile.

Locally the fuzzers draw new inputs on every run (that is how they find new defects); under CI
(``CI`` set) they are derandomized, so a submission's verdict does not depend on the draw. A
failure found locally is replayed with the seed hypothesis prints (``--hypothesis-seed``).
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
