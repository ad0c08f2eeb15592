"""Sphinx configuration for driftwatch."""

import driftwatch

project = "driftwatch"
author = "mlrelease developers"
release = driftwatch.__version__
version = release

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode"]
autodoc_typehints = "description"
autodoc_member_order = "bysource"
nitpicky = False
exclude_patterns = ["_build"]
html_theme = "alabaster"
