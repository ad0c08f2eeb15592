"""Handlers of ``mlrelease publish wheels|images|all`` (parsing lives in :mod:`mlrelease.cli.main`).

Order for ``all`` (failure mode 15): wheels (immutable) -> images (digest, immutable tags,
then moving tags). Both targets are checked before the first byte goes out.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mlrelease._util import console
from mlrelease._util.runner import echo
from mlrelease.cli.common import project_dir
from mlrelease.errors import EXIT_OK, PublishError
from mlrelease.images import publish as images
from mlrelease.images.sbom import SPEC_VERSION, dumps, read_pins, resolve_pins, wheel_sbom
from mlrelease.project import Project, load_project
from mlrelease.versioning.cleantree import refuse_dirty
from mlrelease.wheels import publish as wheels


def _clean_tree(args: argparse.Namespace, project: Project, *, images: bool) -> None:
    """Refuse a dirty tree (the files that decide the publication), unless --allow-dirty; a dry
    run only says what a real one would refuse."""
    allow = bool(getattr(args, "allow_dirty", False)) or args.dry_run
    for line in refuse_dirty(project, images=images, allow_dirty=allow):
        console.warn(f"{line} (a real publish refuses this without --allow-dirty)")


def cmd_publish_wheels(args: argparse.Namespace) -> int:
    project = load_project(project_dir(args))
    if not getattr(args, "_checked_tree", False):
        _clean_tree(args, project, images=False)
    target, outcomes = wheels.publish(project, dist=args.dist, dry_run=args.dry_run)
    wheels.report(target, outcomes, as_json=args.json, dry_run=args.dry_run)
    return EXIT_OK


def cmd_publish_images(args: argparse.Namespace) -> int:
    project = load_project(project_dir(args))
    if not getattr(args, "_checked_tree", False):
        _clean_tree(args, project, images=True)
    outcomes = images.publish(
        project, dist=args.dist, dry_run=args.dry_run, sbom=getattr(args, "sbom", False)
    )
    images.report(outcomes, as_json=args.json, dry_run=args.dry_run)
    return EXIT_OK


def cmd_publish_all(args: argparse.Namespace) -> int:
    """Wheels, then images; both targets are checked before the first byte goes out."""
    project = load_project(project_dir(args))
    _clean_tree(args, project, images=True)
    args._checked_tree = True
    if not args.dry_run:
        echo("preflight: wheels and images, before anything is uploaded")
        wheels.publish(project, dist=args.dist, dry_run=True)
        images.preflight(project, dist=args.dist)
    code = cmd_publish_wheels(args)
    if code != 0:
        return code
    return cmd_publish_images(args)


def cmd_sbom(args: argparse.Namespace) -> int:
    """``mlrelease sbom --wheel dist/x.whl [--requirements pins.txt] --output sbom.cdx.json``."""
    wheel: Path = args.wheel
    if not wheel.is_file():
        raise PublishError(f"{wheel}: no such wheel", hint="build it first (`nox -s build`)")
    pins = read_pins(args.requirements) if args.requirements else resolve_pins(wheel)
    doc = wheel_sbom(wheel, pins)
    data = dumps(doc)
    if args.output is None or str(args.output) == "-":
        console.out(data.decode().rstrip("\n"))
        return EXIT_OK
    output: Path = args.output
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".partial")
    tmp.write_bytes(data)
    tmp.replace(output)
    echo(f"sbom: {output} ({len(doc['components'])} packages, CycloneDX {SPEC_VERSION})")
    return EXIT_OK
