"""The check stages (lint, tests, docs, build): each plans a :class:`StagePlan` from a project.

The plans are plain data; ``noxsessions`` runs them and ``mlrelease plan`` prints them. A consumer's
own nox session can reuse them::

    from mlrelease.project import load_project
    from mlrelease.stages import tests_plan

    plan = tests_plan(load_project(Path()), "3.12")
"""

from mlrelease.stages.build import build_plan
from mlrelease.stages.docs import docs_plan
from mlrelease.stages.lint import lint_plan
from mlrelease.stages.plan import Command, Install, StagePlan
from mlrelease.stages.test import tests_plan

__all__ = ["Command", "Install", "StagePlan", "build_plan", "docs_plan", "lint_plan", "tests_plan"]
