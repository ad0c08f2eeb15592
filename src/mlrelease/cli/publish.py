"""Handlers of ``mlrelease publish wheels|images|all`` (parsing lives in :mod:`mlrelease.cli.main`).

Order for ``all`` (failure mode 15): wheels (immutable) -> images (digest, immutable tags,
then moving tags). Both targets are checked before the first byte goes out.
"""

from __future__ import annotations

import argparse

from mlrelease._util.runner import echo
from mlrelease.cli.common import project_dir
from mlrelease.errors import EXIT_OK
from mlrelease.images import publish as images
from mlrelease.project import load_project
from mlrelease.wheels import publish as wheels


def cmd_publish_wheels(args: argparse.Namespace) -> int:
    project = load_project(project_dir(args))
    target, outcomes = wheels.publish(project, dist=args.dist, dry_run=args.dry_run)
    wheels.report(target, outcomes, as_json=args.json, dry_run=args.dry_run)
    return EXIT_OK


def cmd_publish_images(args: argparse.Namespace) -> int:
    project = load_project(project_dir(args))
    outcomes = images.publish(project, dist=args.dist, dry_run=args.dry_run)
    images.report(outcomes, as_json=args.json, dry_run=args.dry_run)
    return EXIT_OK


def cmd_publish_all(args: argparse.Namespace) -> int:
    """Wheels, then images; both targets are checked before the first byte goes out."""
    if not args.dry_run:
        project = load_project(project_dir(args))
        echo("preflight: wheels and images, before anything is uploaded")
        wheels.publish(project, dist=args.dist, dry_run=True)
        images.preflight(project, dist=args.dist)
    code = cmd_publish_wheels(args)
    if code != 0:
        return code
    return cmd_publish_images(args)
