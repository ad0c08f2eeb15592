"""Cross-repository blob mounts: which repositories of a registry may already hold an image's blobs.

Pure (a Dockerfile is read, nothing is sent): the plan (:mod:`mlrelease.images.plan`) lists them per
image, the registry target asks them before uploading a blob (a blob found there is mounted).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path


def repository_of(reference: str) -> tuple[str, str] | None:
    """``(registry host, repository)`` of an image reference that names its registry."""
    name = reference.split("@", 1)[0]
    host, sep, rest = name.partition("/")
    if not sep or not ("." in host or ":" in host or host == "localhost"):
        return None  # Docker Hub shorthand or a local name
    last = rest.rsplit("/", 1)
    if ":" in last[-1]:
        rest = rest[: rest.rindex(":")]
    return host, rest


def dockerfile_bases(dockerfile: Path | None, base_image: str) -> list[str]:
    """Images a build starts from: the template's base (no ``dockerfile``), or the FROM lines of a
    project Dockerfile (build arguments left unexpanded are skipped)."""
    if dockerfile is None:
        return [base_image]
    try:
        text = dockerfile.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    found = []
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0].upper() == "FROM":
            image = next((w for w in words[1:] if not w.startswith("--")), "")
            if image and "$" not in image:
                found.append(image)
    return found


def mount_sources(
    registry: str | None, name: str, bases: Sequence[str], earlier: Sequence[tuple[str | None, str]]
) -> tuple[str, ...]:
    """Repositories of ``registry`` that may hold the blobs of ``name``: the images pushed before it
    in this run (``earlier``: (registry, name) pairs), then its base images."""
    if registry is None:
        return ()
    repos = [n for r, n in earlier if r == registry and n != name]
    for base in bases:
        found = repository_of(base)
        if found and found[0] == registry and found[1] != name:
            repos.append(found[1])
    return tuple(dict.fromkeys(repos))
