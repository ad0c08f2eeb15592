"""The feed backends by kind: ``FEED_BACKENDS[target.kind].open(target)`` opens a target's feed.

A new kind is one module (its :class:`~mlrelease.wheels.feed.Feed` and the function that turns its
config sub-table into a :class:`~mlrelease.wheels.feed.FeedTarget`), one entry here and its config
sub-table (docs/how-to/add-a-feed-kind.md). Plans and runners never import a backend: the caller
looks one up here and passes it (:func:`open_feed`, :func:`resolve`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mlrelease._util.http import Session
from mlrelease.auth.feed import feed_credential
from mlrelease.wheels.directory import DirectoryFeed
from mlrelease.wheels.feed import Feed, FeedTarget, Kind, SubtableResolver, resolve_target
from mlrelease.wheels.remote import RemoteFeed

if TYPE_CHECKING:
    from mlrelease.project import Project


def _remote_feed(target: FeedTarget) -> Feed:
    """A feed over HTTP with its credentials (resolved in the documented order)."""
    cred = feed_credential(target.upload_url, azure=target.kind == "azure-artifacts")
    auth = (cred.username, cred.password) if cred.present else None
    session = Session(auth=auth, auth_url=target.upload_url)
    return RemoteFeed(target, cred, session)


@dataclass(frozen=True)
class FeedBackend:
    """One kind of feed: how to open it, and (for a kind with its own config sub-table, named as
    the kind) how that sub-table becomes a target. The built-in kinds come from ``upload-url`` /
    ``azure-artifacts`` / no feed table (``wheels.feed.resolve_target``)."""

    open: Callable[[FeedTarget], Feed]
    target: SubtableResolver | None = None


FEED_BACKENDS: dict[Kind, FeedBackend] = {
    "azure-artifacts": FeedBackend(_remote_feed),
    "generic": FeedBackend(_remote_feed),
    "directory": FeedBackend(DirectoryFeed),
}


def open_feed(target: FeedTarget) -> Feed:
    """The feed object of ``target``'s kind, with its credentials."""
    return FEED_BACKENDS[target.kind].open(target)


def resolve(project: Project) -> FeedTarget:
    """The project's feed target, every registered kind's sub-table considered."""
    subtables = {kind: b.target for kind, b in FEED_BACKENDS.items() if b.target is not None}
    return resolve_target(project, subtables)
