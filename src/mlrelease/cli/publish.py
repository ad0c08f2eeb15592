"""Handlers of ``mlrelease publish wheels|images|all`` (parsing lives in :mod:`mlrelease.cli.main`).

Order for ``all`` (failure mode 15): wheels (immutable) -> images (digest, immutable tags,
then moving tags). Both targets are checked before the first byte goes out.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable
from pathlib import Path

from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from mlrelease._util import console
from mlrelease._util.runner import echo
from mlrelease.cli.common import project_dir
from mlrelease.errors import EXIT_OK, ConfigError, Problem, PublishError
from mlrelease.images import publish as images
from mlrelease.images.sbom import SPEC_VERSION, dumps, read_pins, resolve_pins, wheel_sbom
from mlrelease.project import Project, load_project
from mlrelease.versioning.cleantree import refuse_dirty
from mlrelease.wheels import publish as wheels
from mlrelease.wheels import run as wheels_run
from mlrelease.wheels.feed import Feed
from mlrelease.wheels.plan import WheelsPlan


def _clean_tree(args: argparse.Namespace, project: Project, *, images: bool) -> None:
    """Refuse a dirty tree (the files that decide the publication), unless --allow-dirty; a dry
    run only says what a real one would refuse."""
    allow = bool(getattr(args, "allow_dirty", False)) or args.dry_run
    for line in refuse_dirty(project, images=images, allow_dirty=allow):
        console.warn(f"{line} (a real publish refuses this without --allow-dirty)")


def _monorepo(args: argparse.Namespace) -> bool:
    from mlrelease.monorepo.members import is_monorepo

    return is_monorepo(project_dir(args))


def cmd_publish_wheels(args: argparse.Namespace) -> int:
    if _monorepo(args):
        from mlrelease.cli.monorepo import cmd_monorepo_publish

        return cmd_monorepo_publish(args, "wheels")
    project = load_project(project_dir(args))
    _clean_tree(args, project, images=False)
    plan, feed = wheels.plan_and_check(project, dist=args.dist)
    _run_wheels(args, plan, feed)
    return EXIT_OK


def _run_wheels(args: argparse.Namespace, plan: WheelsPlan, feed: Feed | None) -> None:
    outcomes = wheels_run.run_wheels(plan, feed, dry_run=args.dry_run)
    wheels_run.report(plan, outcomes, as_json=args.json, dry_run=args.dry_run)


def cmd_publish_images(args: argparse.Namespace) -> int:
    if _monorepo(args):
        from mlrelease.cli.monorepo import cmd_monorepo_publish

        return cmd_monorepo_publish(args, "images")
    project = load_project(project_dir(args))
    _clean_tree(args, project, images=True)
    _run_images(args, _plan_images(project, args))
    return EXIT_OK


def _plan_images(project: Project, args: argparse.Namespace) -> images.CheckedImages:
    """The images' one typed plan, checked (release tag, wheel, engine, every target reachable
    with its credentials, what each tag points at now): raises when it refuses."""
    return images.plan_and_check(
        project, dist=args.dist, sbom=getattr(args, "sbom", False), dry_run=args.dry_run
    )


def _run_images(args: argparse.Namespace, checked: images.CheckedImages) -> None:
    """Run the checked plan once and report it."""
    images.report(images.run_checked(checked), as_json=args.json, dry_run=args.dry_run)


def cmd_publish_all(args: argparse.Namespace) -> int:
    """Wheels, then images: both planned and checked before the first byte goes out, each run
    once."""
    if _monorepo(args):
        from mlrelease.cli.monorepo import cmd_monorepo_publish

        return cmd_monorepo_publish(args, "all")
    project = load_project(project_dir(args))
    _clean_tree(args, project, images=True)
    if not args.dry_run:
        echo("preflight: wheels and images, before anything is uploaded")
    plan, feed = wheels.plan_and_check(project, dist=args.dist)
    checked_images = _plan_images(project, args)
    _run_wheels(args, plan, feed)
    _run_images(args, checked_images)
    return EXIT_OK


def _safely(test: Callable[[], bool]) -> bool:
    """``Path.is_file`` / ``is_dir`` that answer False for a name too long (not an OSError)."""
    try:
        return test()
    except OSError:
        return False


def write_output(output: Path, data: bytes) -> None:
    """Write ``data`` to ``output`` whole or not at all (via ``<output>.partial``, removed on
    failure); a directory, a read-only place or a name too long is a :class:`PublishError`."""
    if _safely(output.is_dir):
        raise PublishError(
            f"--output {output} is a directory",
            hint=f"name the file to write, e.g. --output {output / 'sbom.cdx.json'}",
        )
    tmp = output.with_name(output.name + ".partial")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        tmp.replace(output)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise PublishError(
            f"--output {output}: cannot be written ({exc.strerror or exc})",
            hint="choose a writable file path with --output (or leave it out for stdout)",
        ) from None


def cmd_sbom(args: argparse.Namespace) -> int:
    """``mlrelease sbom --wheel dist/x.whl [--requirements pins.txt] --output sbom.cdx.json``, or
    ``--wheel dist/*.whl --output-dir DIR`` (one ``<name>-<version>.cdx.json`` per wheel)."""
    wheels_given: list[Path] = list(args.wheel)
    output_dir: Path | None = getattr(args, "output_dir", None)
    if len(wheels_given) > 1 and output_dir is None:
        raise ConfigError(
            [
                Problem(
                    "mlrelease sbom",
                    "--output-dir",
                    f"{console.counted(len(wheels_given), 'wheel')} need --output-dir (one SBOM each)",
                    "mlrelease sbom --wheel dist/*.whl --output-dir sbom/",
                )
            ]
        )
    if len(wheels_given) > 1 and args.requirements:
        raise ConfigError(
            [
                Problem(
                    "mlrelease sbom",
                    "--requirements",
                    "pins one wheel's dependencies: give one --wheel with it",
                    "run mlrelease sbom once per wheel with its own --requirements",
                )
            ]
        )
    for wheel in wheels_given:
        if not _safely(wheel.is_file):
            raise PublishError(f"{wheel}: no such wheel", hint="build it first (`nox -s build`)")
    for wheel in wheels_given:
        pins = read_pins(args.requirements) if args.requirements else resolve_pins(wheel)
        doc = wheel_sbom(wheel, pins)
        data = dumps(doc)
        output = output_dir / sbom_name(wheel) if output_dir is not None else args.output
        if output is None or str(output) == "-":
            console.out(data.decode().rstrip("\n"))
            continue
        write_output(output, data)
        packages = console.counted(len(doc["components"]), "package")
        echo(f"sbom: {output} ({packages}, CycloneDX {SPEC_VERSION})")
    return EXIT_OK


def sbom_name(wheel: Path) -> str:
    """``<name>-<version>.cdx.json`` for a wheel file (the name as PyPI shows it)."""
    try:
        name, version, _build, _tags = parse_wheel_filename(wheel.name)
    except InvalidWheelFilename as exc:
        raise PublishError(
            f"{wheel.name}: not a wheel file name ({exc})",
            hint="pass the files `nox -s build` made",
        ) from None
    return f"{name}-{version}.cdx.json"
