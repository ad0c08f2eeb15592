"""The build stage: ``python -m build`` once into ``build.outdir``, then the metadata checks.

With ``build.reproducible`` (the default) ``SOURCE_DATE_EPOCH`` is the last commit's time, so two
builds of one commit are byte-identical. The publish step uses these same files; nothing rebuilds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlrelease._util.console import colour_wanted
from mlrelease._util.git import source_date_epoch
from mlrelease._util.uvtool import session_uv
from mlrelease.project import Project
from mlrelease.project import dist_files as project_dist_files
from mlrelease.stages.plan import DIST_FILES, WHEEL_FILES, Command, Install, StagePlan


def build_epoch(project: Project) -> int | None:
    """``SOURCE_DATE_EPOCH`` (set, or the last commit's time) when reproducible builds are on."""
    if not project.config.build.reproducible:
        return None
    return source_date_epoch(project.root)


def build_plan(project: Project, *, use_uv: bool = False) -> StagePlan:
    """``use_uv``: let ``build`` make its isolated environment with uv (much faster than pip)."""
    cfg = project.config.build
    tools = project.config.tools
    if not (cfg.sdist or cfg.wheel):
        return StagePlan(
            stage="build", skip_reason="tool.mlrelease.build: both sdist and wheel are false"
        )
    argv = ["python", "-m", "build", "--outdir", cfg.outdir]
    if cfg.sdist and not cfg.wheel:
        argv.append("--sdist")
    elif cfg.wheel and not cfg.sdist:
        argv.append("--wheel")
    if use_uv:
        argv += ["--installer", "uv"]
    argv.append(".")
    epoch = build_epoch(project)
    env = (("SOURCE_DATE_EPOCH", str(epoch)),) if epoch is not None else ()
    notes: list[str] = []
    if cfg.reproducible and epoch is None:
        notes.append("not a git checkout with a commit: SOURCE_DATE_EPOCH unset, not reproducible")
    elif epoch is not None:
        notes.append(f"SOURCE_DATE_EPOCH={epoch} (last commit): rebuilds are byte-identical")
    commands = [
        Command(
            argv=tuple(argv),
            why="python -m build",
            hint=f"the repository's build backend ({project.build_backend}) refused the "
            "project; its message is above (e.g. a readme or license file named in [project] "
            "that does not exist)",
            env=env,
        ),
        Command(
            argv=("twine", "check", "--strict", DIST_FILES),
            why="twine check --strict",
            hint='fix the package metadata named above (e.g. add readme = "README.md" '
            "to [project] for the long description)",
        ),
    ]
    requirements = [tools.requirement("build"), tools.requirement("twine")]
    if cfg.wheel:
        requirements.append(tools.requirement("check-wheel-contents"))
        commands.append(
            Command(
                argv=("check-wheel-contents", WHEEL_FILES),
                why="check-wheel-contents",
                hint="the wheel holds files it should not, or misses some (codes above: "
                "https://github.com/jwodder/check-wheel-contents#checks)",
            )
        )
    return StagePlan(
        stage="build",
        install=Install(requirements=tuple(requirements)),
        commands=tuple(commands),
        outputs=(cfg.outdir,),
        notes=tuple(notes),
    )


def plan_build(project: Project) -> dict[str, Any]:
    return build_plan(project, use_uv=session_uv()[0] is not None).as_data()


def dist_files(project: Project) -> list[Path]:
    """The sdists and wheels in the build output directory, sorted."""
    return project_dist_files(project.root / project.config.build.outdir)


def clean_outdir(project: Project) -> list[Path]:
    """Remove earlier sdists and wheels so the checks and publish see only this build's files."""
    removed = dist_files(project)
    for path in removed:
        path.unlink()
    return removed


def expand(argv: tuple[str, ...], project: Project) -> list[str]:
    """Replace the dist-file placeholders with the files the build wrote.

    twine forces colour codes even into a pipe and ignores ``NO_COLOR``: unless colour is wanted
    (:func:`mlrelease._util.console.colour_wanted`), it gets ``--no-color``.
    """
    files = dist_files(project)
    out: list[str] = []
    if argv[:1] == ("twine",) and "--no-color" not in argv and not colour_wanted():
        argv = ("twine", "--no-color", *argv[1:])
    for arg in argv:
        if arg == DIST_FILES:
            out += [str(p.relative_to(project.root)) for p in files]
        elif arg == WHEEL_FILES:
            out += [str(p.relative_to(project.root)) for p in files if p.suffix == ".whl"]
        else:
            out.append(arg)
    return out
