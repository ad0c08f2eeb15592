"""The feed backends by kind: ``FEED_BACKENDS[target.kind](target)`` opens a target's feed.

A new kind is one module implementing :class:`~mlrelease.wheels.feed.Feed`, one entry here and its
config sub-table (docs/how-to/add-a-feed-kind.md). Plans and runners never import a backend: the
caller looks one up here and passes it.
"""

from __future__ import annotations

from collections.abc import Callable

from mlrelease._util.http import Session
from mlrelease.auth.feed import feed_credential
from mlrelease.wheels.directory import DirectoryFeed
from mlrelease.wheels.feed import Feed, FeedTarget, Kind
from mlrelease.wheels.remote import RemoteFeed


def _remote_feed(target: FeedTarget) -> Feed:
    """A feed over HTTP with its credentials (resolved in the documented order)."""
    cred = feed_credential(target.upload_url, azure=target.kind == "azure-artifacts")
    auth = (cred.username, cred.password) if cred.present else None
    session = Session(auth=auth, auth_url=target.upload_url)
    return RemoteFeed(target, cred, session)


FEED_BACKENDS: dict[Kind, Callable[[FeedTarget], Feed]] = {
    "azure-artifacts": _remote_feed,
    "generic": _remote_feed,
    "directory": DirectoryFeed,
}


def open_feed(target: FeedTarget) -> Feed:
    """The feed object of ``target``'s kind, with its credentials."""
    return FEED_BACKENDS[target.kind](target)
