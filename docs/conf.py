"""Sphinx configuration of the mlrelease documentation (built by ./ci/test with -W --keep-going)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

from mlrelease import __version__

project = "mlrelease"
author = "mlrelease developers"
copyright = "2026, mlrelease developers"  # Sphinx reads this name
release = __version__
version = ".".join(__version__.split(".")[:2])

extensions = ["myst_parser", "mlrelease_reference", "sphinx_copybutton"]
# The copy button leaves out shell prompts and output markers, so a copied command runs as is.
copybutton_prompt_text = r"\$ |>>> |\.\.\. "
copybutton_prompt_is_regexp = True
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "examples", "README.md"]
nitpicky = True
# Straight quotes and double hyphens stay as written: "--strict" must not become an en-dash, nor
# "auto" curly quotes, in text a reader copies into a shell or a pyproject.toml.
smartquotes = False

html_theme = "furo"
html_title = f"mlrelease {release}"
