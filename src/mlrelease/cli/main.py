"""The ``mlrelease`` command. Parsing only; each command's work lives in its stage module, imported
when the command runs so ``mlrelease --help`` stays light (no packaging, tomllib, http or azure).

Exit codes: 0 ok, 1 failure, 2 configuration error (argparse usage errors also exit 2).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from mlrelease import __version__

Handler = Callable[[argparse.Namespace], int]


def _path(text: str) -> os.PathLike[str]:
    """A path argument; pathlib is imported only when one is given (``--help`` stays light)."""
    from pathlib import Path

    return Path(text)


def _add_project(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--project",
        "-C",
        metavar="DIR",
        type=_path,
        default=argparse.SUPPRESS,
        help="project directory (default: the current directory)",
    )


def _add_json(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--json", action="store_true", help=f"print {what} as JSON")


def _python_list(text: str) -> tuple[str, ...]:
    """``"3.11 3.12"`` or ``"3.11,3.12"``; empty means "no override" (a workflow input left blank)."""
    versions = tuple(v for v in text.replace(",", " ").split() if v)
    bad = [v for v in versions if not v.startswith("3.") or not v[2:].isdigit()]
    if bad:
        msg = f"not a Python version: {', '.join(bad)} (expected e.g. '3.11 3.12')"
        raise argparse.ArgumentTypeError(msg)
    return versions


def _add_python_override(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--python",
        metavar="VERSIONS",
        type=_python_list,
        default=(),
        help="test matrix override, e.g. '3.11 3.12' (blank: tool.mlrelease.python)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mlrelease",
        description="Lint, test, document, version and publish ML Python packages from one "
        "[tool.mlrelease] table.",
        epilog="Exit codes: 0 ok, 1 failure, 2 configuration error. Docs: docs/index.md",
    )
    parser.add_argument("--version", action="version", version=f"mlrelease {__version__}")
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="show the output of every command run (repeat for more)",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print only results and errors")
    parser.add_argument(
        "--project",
        "-C",
        metavar="DIR",
        type=_path,
        default=None,
        help="project directory (default: the current directory)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_config_commands(sub)
    _add_release_commands(sub)
    _add_publish_commands(sub)
    _add_adoption_commands(sub)
    return parser


def _add_config_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "check", help="validate the configuration and the tools and interpreters the stages need"
    )
    _add_project(p)
    _add_python_override(p)
    p.set_defaults(handler=_lazy("mlrelease.cli.config:cmd_check"))

    p = sub.add_parser("plan", help="print the resolved configuration and what each stage would do")
    _add_project(p)
    _add_json(p, "the plan")
    p.add_argument(
        "--stage",
        action="append",
        metavar="NAME",
        help="only these stages (lint, tests, docs, build, release, wheels, images)",
    )
    p.set_defaults(handler=_lazy("mlrelease.cli.config:cmd_plan"))

    p = sub.add_parser(
        "matrix", help="print the test matrix (for a GitHub Actions strategy.matrix)"
    )
    _add_project(p)
    _add_json(p, "the matrix (the default)")
    _add_python_override(p)
    p.set_defaults(handler=_lazy("mlrelease.cli.config:cmd_matrix"))

    p = sub.add_parser("schema", help="print the JSON schema of [tool.mlrelease]")
    p.set_defaults(handler=_lazy("mlrelease.cli.config:cmd_schema"))


def _add_release_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("version", help="print the next version and the commits that decide it")
    _add_project(p)
    _add_json(p, "the next version")
    p.add_argument("--prerelease", action="store_true", help="compute a prerelease version")
    p.set_defaults(handler=_lazy("mlrelease.cli.release:cmd_version"))

    p = sub.add_parser("release", help="stamp, changelog, commit, tag and push the next version")
    _add_project(p)
    p.add_argument("--dry-run", action="store_true", help="print every step, change nothing")
    p.add_argument(
        "--as",
        dest="as_version",
        metavar="X.Y.Z",
        help="release this explicit version (must be greater than the last release)",
    )
    p.add_argument("--prerelease", action="store_true", help="cut a prerelease")
    p.add_argument(
        "--verify-tag",
        action="store_true",
        help="CI on a tag push: check that the tag at HEAD matches the package version",
    )
    p.add_argument(
        "--allow-noop", action="store_true", help="exit 0 when there is nothing to release"
    )
    p.add_argument("--no-push", action="store_true", help="commit and tag locally, do not push")
    p.add_argument(
        "--expect-sha",
        metavar="SHA",
        default=None,
        help="refuse unless HEAD is this commit (the one CI tested, github.sha); "
        "default: $MLRELEASE_EXPECT_SHA",
    )
    _add_json(p, "the result")
    p.set_defaults(handler=_lazy("mlrelease.cli.release:cmd_release"))

    p = sub.add_parser(
        "lint-commits",
        help="check a PR title and commits against the conventional types that release",
    )
    _add_project(p)
    p.add_argument("--title", metavar="TEXT", help="a pull request title to check")
    p.add_argument(
        "--range",
        metavar="BASE..HEAD",
        help="the commits to check (default without --title: since the last release tag)",
    )
    _add_json(p, "each header checked")
    p.set_defaults(handler=_lazy("mlrelease.cli.release:cmd_lint_commits"))


def _add_publish_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("publish", help="publish wheels to a feed and images to a registry")
    _add_project(p)
    psub = p.add_subparsers(dest="target", metavar="TARGET")
    for target, text in (
        ("wheels", "upload dist/ to the feed (idempotent, verified)"),
        ("images", "build and push the container images"),
        ("all", "wheels, then images"),
    ):
        q = psub.add_parser(target, help=text)
        _add_project(q)
        q.add_argument(
            "--dry-run", action="store_true", help="print what would happen, change nothing"
        )
        q.add_argument(
            "--dist",
            metavar="DIR",
            type=_path,
            default=None,
            help="the built files (default: [tool.mlrelease.build] outdir)",
        )
        _add_json(q, "the result")
        q.add_argument(
            "--allow-dirty",
            action="store_true",
            help="publish even when pyproject.toml's tables or a Dockerfile have uncommitted changes",
        )
        if target != "wheels":
            q.add_argument(
                "--sbom",
                action="store_true",
                help="also write each image's CycloneDX SBOM (.mlrelease/sbom/) and attach it to "
                "the image digest (OCI referrer)",
            )
        q.set_defaults(handler=_lazy(f"mlrelease.cli.publish:cmd_publish_{target}"))
    p.set_defaults(handler=_usage(p))

    p = sub.add_parser("sbom", help="write a CycloneDX SBOM of a wheel and its dependencies")
    p.add_argument("--wheel", metavar="FILE", type=_path, required=True, help="the built wheel")
    p.add_argument(
        "--requirements",
        metavar="FILE",
        type=_path,
        default=None,
        help="exact pins (name==version lines) instead of resolving the wheel's dependencies "
        "with pip",
    )
    p.add_argument(
        "--output", "-o", metavar="FILE", type=_path, default=None, help="default: stdout"
    )
    p.set_defaults(handler=_lazy("mlrelease.cli.publish:cmd_sbom"))


def _add_adoption_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("init", help="add mlrelease to an existing repository")
    p.add_argument(
        "dir", nargs="?", type=_path, default=None, help="repository (default: --project)"
    )
    p.add_argument("--dry-run", action="store_true", help="print the diff, change nothing")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.add_argument("--dockerfile", action="store_true", help="also add a Dockerfile")
    p.add_argument(
        "--workflows-repo",
        metavar="OWNER/REPO[@REF]",
        help="where the caller finds the reusable workflows (default: $MLRELEASE_WORKFLOWS_REPO, "
        "else workflows-repo in $MLRELEASE_DEFAULTS or ~/.config/mlrelease/defaults.toml, "
        "else a placeholder that check and doctor reject)",
    )
    p.set_defaults(handler=_lazy("mlrelease.cli.adopt:cmd_init"))

    p = sub.add_parser("doctor", help="check the repository end to end, including the Azure side")
    _add_project(p)
    _add_json(p, "the findings")
    p.set_defaults(handler=_lazy("mlrelease.cli.adopt:cmd_doctor"))


def _lazy(target: str) -> Handler:
    def handler(args: argparse.Namespace) -> int:
        import importlib

        module, func = target.split(":")
        fn: Handler = getattr(importlib.import_module(module), func)
        return fn(args)

    return handler


def _usage(parser: argparse.ArgumentParser) -> Handler:
    def handler(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    return handler


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 0
    from mlrelease._util.runner import set_verbosity
    from mlrelease.errors import ConfigError, MlreleaseError

    set_verbosity(-1 if args.quiet else args.verbose)
    from mlrelease._util import console

    try:
        code: int = args.handler(args)
    except ConfigError as exc:
        console.problems(exc.problems, header=exc.render().splitlines()[0])
        return exc.exit_code
    except MlreleaseError as exc:
        console.error(exc.message, hint=exc.hint)
        return exc.exit_code
    except KeyboardInterrupt:
        console.error("interrupted")
        return 130
    except BrokenPipeError:
        return _quiet_broken_pipe()
    return code


def _quiet_broken_pipe() -> int:
    """The reader of stdout went away (``mlrelease plan | head -1``): stop without a traceback.

    stdout is pointed at /dev/null so the interpreter's final flush cannot fail again; the exit
    code is a shell's for a command ended by SIGPIPE (128 + 13).
    """
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout already closed or not a real file
        pass
    finally:
        os.close(devnull)
    return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
