"""``python -m mlrelease.stages.lint_new --base REF PATH...``: ruff failing only on findings in
lines changed against ``REF`` (:func:`mlrelease.stages.lint.main`).

A module of its own: ``mlrelease.stages`` imports ``mlrelease.stages.lint``, so running that one
with ``-m`` made runpy warn (``RuntimeWarning: 'mlrelease.stages.lint' found in sys.modules``)
before every lint run.
"""

from __future__ import annotations

from mlrelease.stages.lint import main

if __name__ == "__main__":
    raise SystemExit(main())
