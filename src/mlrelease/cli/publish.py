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
from mlrelease.project import load_project
from mlrelease.wheels import publish as wheels


def _monorepo(args: argparse.Namespace) -> bool:
    from mlrelease.monorepo.members import is_monorepo

    return is_monorepo(project_dir(args))


def cmd_publish_wheels(args: argparse.Namespace) -> int:
    if _monorepo(args):
        from mlrelease.cli.monorepo import cmd_monorepo_publish

        return cmd_monorepo_publish(args, "wheels")
    project = load_project(project_dir(args))
    target, outcomes = wheels.publish(project, dist=args.dist, dry_run=args.dry_run)
    wheels.report(target, outcomes, as_json=args.json, dry_run=args.dry_run)
    return EXIT_OK


def cmd_publish_images(args: argparse.Namespace) -> int:
    if _monorepo(args):
        from mlrelease.cli.monorepo import cmd_monorepo_publish

        return cmd_monorepo_publish(args, "images")
    project = load_project(project_dir(args))
    outcomes = images.publish(
        project, dist=args.dist, dry_run=args.dry_run, sbom=getattr(args, "sbom", False)
    )
    images.report(outcomes, as_json=args.json, dry_run=args.dry_run)
    return EXIT_OK


def cmd_publish_all(args: argparse.Namespace) -> int:
    """Wheels, then images; both targets are checked before the first byte goes out."""
    if _monorepo(args):
        from mlrelease.cli.monorepo import cmd_monorepo_publish

        return cmd_monorepo_publish(args, "all")
    if not args.dry_run:
        project = load_project(project_dir(args))
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
    packages = console.counted(len(doc["components"]), "package")
    echo(f"sbom: {output} ({packages}, CycloneDX {SPEC_VERSION})")
    return EXIT_OK
