"""Commit messages whose reading mlrelease must share with python-semantic-release: the unit test
compares each parse with PSR's parser, the integration test releases them with real PSR."""

from __future__ import annotations

MESSAGES: tuple[str, ...] = (
    "feat: add the drift report",
    "fix(io): handle empty frames",
    "perf: vectorise PSI",
    "docs: explain windows",
    "chore(deps): bump numpy",
    "build: use hatchling",
    "ci: cache uv",
    "style: black",
    "refactor: split the monitor",
    "test: cover empty frames",
    # breaking changes
    "feat(api)!: drop the v1 monitor",
    "refactor!: rename Window",
    "fix: crash\n\nBREAKING CHANGE: drops Python 3.9",
    "fix: crash\n\nBREAKING-CHANGE: drops Python 3.9",
    "docs: note\n\nBREAKING CHANGE:no space after the colon",
    "docs: note\n\nBREAKING CHANGE:",
    "fix: crash\n\nsome explanation\nBREAKING CHANGE: right under the body",
    "fix: crash\n\nRefs: #12\nBREAKING CHANGE: under another footer",
    "chore: tidy\n\nbreaking change: lowercase does not count",
    "feat: BREAKING CHANGE: in the subject",
    "fix: x\nBREAKING CHANGE: no blank line after the header",
    # with scopes
    "feat(io,api): two scopes",
    "fix(a)(b): odd scope",
    "feat(api): subject: with a colon (and parens)",
    "feat(): empty scope",
    # not conventional, or not counted
    "revert: feat: add the drift report",
    'Revert "feat: add the drift report"\n\nThis reverts commit 0123456789abcdef.',
    "Feat: capitalised type",
    "FIX: shouting",
    "feature: the report",
    "fix:no space",
    "feat:  two spaces",
    "feat:\tafter a tab",
    "feat add it",
    "WIP",
    "Merge branch 'feature' into main",
    "Merge pull request #7 from me/feature\n\nfeat: the merged work",
    "fixup! fix: crash",
    "  feat: indented header",
    "* feat: a bullet as the header",
    "- fix: a dash bullet header",
    "feat: subject (#123)",
    "feat(ui): merge request (!45)",
    # squash merges hold several commits
    "docs: update the guide (#12)\n\n* feat(io): read parquet files\n\n* fix: empty frames crash",
    "Squashed commit of the following:\n\ncommit 0123456789abcdef0123456789abcdef01234567\n"
    "Author: Dev <dev@example.invalid>\nDate:   Sun Oct 13 12:05:23 2024 -0600\n\n"
    "    feat(io): read parquet files\n",
    "chore: release prep\n\nfix: #123",
    "feat: big change\n\n- fix: a bullet with words\n- docs: another bullet",
    "ci: pipeline\n\nfeat!: a breaking squashed feature",
    "Update README.md\n\nfeat: buried in the body of a non-conventional commit",
)
