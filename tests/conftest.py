"""Shared by every test: the hypothesis profile, and the pytest-xdist groups.

Locally the fuzzers draw new inputs on every run (that is how they find new defects); under CI
(``CI`` set) they are derandomized, so a submission's verdict does not depend on the draw. A
failure found locally is replayed with the seed hypothesis prints (``--hypothesis-seed``).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``--dist loadgroup``: a test marked ``xdist_group(name)`` gets ``@name`` on its node id, so
    the controller hands the whole group to one worker (./ci/test relies on it).

    pytest-xdist 3.8 appends the suffix by assigning ``item._nodeid``; pytest 9 keeps the id in
    ``item._id``, so there the assignment is lost and the groups' tests were spread over every
    worker, each rebuilding the module's slow fixture. This sets the id pytest reads, once.
    """
    if getattr(config.option, "loadgroup", False) is not True:  # set on workers by xdist
        return
    for item in items:
        names = {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
        suffix = "@" + "_".join(sorted(names))
        if not names or item.nodeid.endswith(suffix):
            continue
        if hasattr(item, "_id"):  # pytest >= 9
            from _pytest.nodeid import NodeId

            item._id = NodeId.parse(item.nodeid + suffix)
        else:
            item._nodeid = item.nodeid + suffix
