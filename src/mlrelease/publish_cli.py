"""``mlrelease publish wheels|images|all``: thin dispatch to the feed and image stages.

Order for ``all`` (RELIABILITY.md item 15): wheels (immutable) -> images (digest, immutable tags,
then moving tags). Each stage preflights everything before its first upload.
"""

from __future__ import annotations

import argparse


def cmd_publish_wheels(args: argparse.Namespace) -> int:
    from mlrelease.feeds_cli import run_publish_wheels

    return run_publish_wheels(args)


def cmd_publish_images(args: argparse.Namespace) -> int:
    from mlrelease.images_cli import run_publish_images

    return run_publish_images(args)


def cmd_publish_all(args: argparse.Namespace) -> int:
    """Wheels, then images; both targets are checked before the first byte goes out."""
    if not args.dry_run:
        from mlrelease.commands import project_dir
        from mlrelease.feeds_cli import publish as publish_wheels
        from mlrelease.images_cli import preflight as images_preflight
        from mlrelease.project import load_project
        from mlrelease.runner import echo

        project = load_project(project_dir(args))
        echo("preflight: wheels and images, before anything is uploaded")
        publish_wheels(project, dist=args.dist, dry_run=True)
        images_preflight(project, dist=args.dist)
    code = cmd_publish_wheels(args)
    if code != 0:
        return code
    return cmd_publish_images(args)
