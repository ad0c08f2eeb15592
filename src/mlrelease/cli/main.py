"""The ``mlrelease`` command. Parsing only; each command's work lives in its stage module, imported
when the command runs so ``mlrelease --help`` stays light (no packaging, tomllib, http or azure).

Exit codes: 0 ok, 1 failure, 2 configuration error (argparse usage errors also exit 2).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from mlrelease import __version__

Handler = Callable[[argparse.Namespace], int]

# The published documentation ([project.urls] Documentation in pyproject.toml; a test holds the
# two equal). Not docs/index.md: an installed wheel has no docs directory.
DOCS_URL = "https://mlrelease.invalid/docs"
# The stages `plan --stage` selects (mlrelease.preview.STAGES, held equal by a test; not imported
# here so `--help` stays light).
PLAN_STAGES = ("lint", "tests", "docs", "build", "release", "wheels", "images")


def _path(text: str) -> os.PathLike[str]:
    """A path argument; pathlib is imported only when one is given (``--help`` stays light)."""
    from pathlib import Path

    if "\0" in text:  # no file system has such a name; open() would raise ValueError
        raise argparse.ArgumentTypeError(f"{text!r} is not a path (it holds a NUL character)")
    path = Path(text)
    if any(len(os.fsencode(part)) > 255 for part in path.parts):  # NAME_MAX: ENAMETOOLONG
        raise argparse.ArgumentTypeError(
            f"{text[:40]}... is not a path: a file name holds at most 255 bytes"
        )
    return path


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


class _MaskingParser(argparse.ArgumentParser):
    """Usage errors quote the arguments given: a URL with a token among them is masked."""

    def error(self, message: str) -> NoReturn:
        from mlrelease._util.redact import redact

        super().error(redact(message))


def build_parser() -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = _MaskingParser(
        prog="mlrelease",
        description="Lint, test, document, version and publish ML Python packages from one "
        "[tool.mlrelease] table.",
        epilog=f"Exit codes: 0 ok, 1 failure, 2 configuration or usage error. Docs: {DOCS_URL}",
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
    _add_infra_commands(sub)
    _add_lifecycle_commands(sub)
    _add_monorepo_commands(sub)
    _add_output_options(parser)
    return parser


def _stage_list(text: str) -> list[str]:
    """``--stage lint,docs`` (and repeated ``--stage``): known stage names, else a usage error."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    bad = [n for n in names if n not in PLAN_STAGES]
    if bad or not names:
        what = f"unknown stage {', '.join(repr(b) for b in bad)}" if bad else "no stage named"
        raise argparse.ArgumentTypeError(f"{what} (choose from {', '.join(PLAN_STAGES)})")
    return names


def _release_version(text: str) -> str:
    """``--as X.Y.Z``: a version mlrelease can release, else a usage error (exit 2)."""
    from mlrelease.versioning.versions import normalize_version, semver_of

    try:
        semver_of(text)
        normalize_version(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{exc} (write e.g. --as 1.4.0 or --as 1.4.0rc1)"
        ) from None
    return text


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    """``-v``/``-q`` are accepted after the subcommand too (``mlrelease check -q``).

    Added to every subcommand once all are defined (so commands added later get them as well);
    their defaults are suppressed so a subcommand without them keeps the global value.
    """
    sub = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
    if sub is None:
        return
    for child in {id(p): p for p in sub.choices.values()}.values():
        taken = {o for a in child._actions for o in a.option_strings}
        if "-v" not in taken:
            child.add_argument(
                "-v",
                "--verbose",
                action="count",
                default=argparse.SUPPRESS,
                help="as mlrelease -v (repeat for more)",
            )
        if "-q" not in taken:
            child.add_argument(
                "-q",
                "--quiet",
                action="store_true",
                default=argparse.SUPPRESS,
                help="as mlrelease -q",
            )
        _add_output_options(child)


def _add_config_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "check", help="validate the configuration and the tools and interpreters the stages need"
    )
    _add_project(p)
    _add_python_override(p)
    _add_json(p, "the findings")
    p.set_defaults(handler=_lazy("mlrelease.cli.config:cmd_check"))

    p = sub.add_parser("plan", help="print the resolved configuration and what each stage would do")
    _add_project(p)
    _add_json(p, "the plan")
    p.add_argument(
        "--stage",
        action="extend",
        type=_stage_list,
        metavar="NAME[,NAME]",
        help=f"only these stages, comma-separated or repeated ({', '.join(PLAN_STAGES)})",
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
    p.add_argument(
        "--schemastore",
        action="store_true",
        help="in SchemaStore's form (partial-mlrelease.json, for pyproject's tool.mlrelease)",
    )
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
        type=_release_version,
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
    p.add_argument(
        "--wheel",
        metavar="FILE",
        type=_path,
        nargs="+",
        required=True,
        help="the built wheel (several with --output-dir: one SBOM each)",
    )
    p.add_argument(
        "--requirements",
        metavar="FILE",
        type=_path,
        default=None,
        help="exact pins (name==version lines) instead of resolving the wheel's dependencies "
        "with pip",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--output", "-o", metavar="FILE", type=_path, default=None, help="default: stdout"
    )
    where.add_argument(
        "--output-dir",
        metavar="DIR",
        type=_path,
        default=None,
        help="write <name>-<version>.cdx.json for each wheel into DIR",
    )
    p.set_defaults(handler=_lazy("mlrelease.cli.publish:cmd_sbom"))


def _add_adoption_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("init", help="add mlrelease to an existing repository")
    p.add_argument(
        "dir", nargs="?", type=_path, default=None, help="repository (default: --project)"
    )
    p.add_argument("--dry-run", action="store_true", help="print the diff, change nothing")
    _add_json(p, "what was detected and each file's change (with --dry-run: the diffs)")
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


def _add_infra_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("infra", help="the Azure side of keyless publishing as code")
    _add_project(p)
    isub = p.add_subparsers(dest="infra", metavar="KIND")
    q = isub.add_parser(
        "terraform",
        help="write a Terraform module: identity, federated credentials, registry and feed roles",
    )
    _add_project(q)
    q.add_argument(
        "--output",
        "-o",
        metavar="DIR",
        type=_path,
        default=None,
        help="the module's directory (default: infra/azure in the project)",
    )
    q.add_argument(
        "--repo-entry",
        action="store_true",
        help="print this repository's entry for the module's repositories map; write nothing",
    )
    q.add_argument(
        "--repository",
        metavar="OWNER/REPO",
        default=None,
        help="the GitHub repository (default: from the origin remote)",
    )
    q.add_argument(
        "--force", action="store_true", help="overwrite files that mlrelease did not write"
    )
    _add_json(q, "the result")
    q.set_defaults(handler=_lazy("mlrelease.cli.infra:cmd_infra_terraform"))
    p.set_defaults(handler=_usage(p))


def _add_lifecycle_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("new", help="create a new ML package repository, adopted and committed")
    p.add_argument("name", metavar="NAME", help="the distribution name, e.g. churn-model")
    p.add_argument("--dir", type=_path, default=None, help="where to create it (default: ./NAME)")
    p.add_argument("--description", help="one line for [project] description")
    p.add_argument(
        "--python", dest="python_range", metavar="SPEC", help='requires-python (default ">=3.10")'
    )
    p.add_argument("--license", metavar="SPDX", help="license expression (default MIT)")
    p.add_argument("--feed", metavar="URL", help="upload URL of the feed (default: embedded)")
    p.add_argument("--registry", metavar="HOST", help="image registry (implies --image)")
    p.add_argument("--image", action="store_true", help="publish an image (built-in template)")
    p.add_argument(
        "--workflows-repo",
        metavar="OWNER/REPO[@REF]",
        help="where the caller finds the reusable workflows (default: $MLRELEASE_WORKFLOWS_REPO, "
        "else contoso/mlrelease@v1)",
    )
    p.add_argument(
        "--no-input", action="store_true", help="never prompt (the default without a terminal)"
    )
    p.add_argument(
        "--template",
        metavar="SRC",
        help="render this copier template (directory or git URL) instead, then adopt it as init "
        "does (needs the template extra)",
    )
    p.add_argument(
        "--data",
        action="append",
        metavar="KEY=VALUE",
        help="an answer to a question of the --template (repeat for more)",
    )
    p.set_defaults(handler=_lazy("mlrelease.cli.lifecycle:cmd_new"))

    p = sub.add_parser(
        "update", help="re-render the files mlrelease owns for this version, keeping local edits"
    )
    _add_project(p)
    p.add_argument(
        "--check", action="store_true", help="exit 1 when the repository is behind; change nothing"
    )
    p.add_argument("--dry-run", action="store_true", help="print the diff, change nothing")
    p.add_argument(
        "--workflows-repo",
        metavar="OWNER/REPO[@REF]",
        help="move the callers to this workflows repository or ref (recorded for later updates)",
    )
    p.set_defaults(handler=_lazy("mlrelease.cli.lifecycle:cmd_update"))


def _add_monorepo_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "affected",
        help="monorepo: the members changed since a base ref, and every member depending on them",
    )
    _add_project(p)
    p.add_argument(
        "--base",
        metavar="REF",
        default=None,
        help="compare HEAD with this ref (e.g. origin/main); without it every member is affected",
    )
    _add_json(p, "the members and why each is affected")
    p.set_defaults(handler=_lazy("mlrelease.cli.monorepo:cmd_affected"))
    sub.choices["matrix"].add_argument(
        "--base",
        metavar="REF",
        default=None,
        help="monorepo: only the members affected since REF (default on a pull request: "
        "origin/$GITHUB_BASE_REF; otherwise every member)",
    )


def _lazy(target: str) -> Handler:
    def handler(args: argparse.Namespace) -> int:
        import importlib

        module, func = target.split(":")
        fn: Handler = getattr(importlib.import_module(module), func)
        return fn(args)

    return handler


def _usage(parser: argparse.ArgumentParser) -> Handler:
    def handler(args: argparse.Namespace) -> int:
        from mlrelease._util import console

        console.usage(parser.format_help())
        return 2

    return handler


def _glued(
    argv: Sequence[str] | None, options: tuple[str, ...] = ("--title", "--range")
) -> list[str]:
    """``--title -x`` as ``--title=-x``: text that begins with '-' (a PR title) is the option's
    value, not an option (argparse would stop with a usage error instead of a verdict)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "lint-commits" not in args:
        return args
    out: list[str] = []
    it = iter(args)
    for arg in it:
        value = next(it, None) if arg in options else None
        out.append(arg if value is None else f"{arg}={value}")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_glued(argv))
    from mlrelease._util import console

    if getattr(args, "handler", None) is None:
        console.usage(
            parser.format_help()
        )  # bare `mlrelease`: a usage error, as `publish` alone is
        return 2
    from mlrelease.errors import ConfigError, MlreleaseError

    console.set_verbosity(-1 if args.quiet else args.verbose)

    try:
        code: int = args.handler(args)
    except ConfigError as exc:
        console.problems(exc.problems, header=exc.render().splitlines()[0])
        _json_error(args, exc)
        return exc.exit_code
    except MlreleaseError as exc:
        console.error(exc.message, hint=exc.hint)
        _json_error(args, exc)
        return exc.exit_code
    except KeyboardInterrupt:
        console.error("interrupted")
        return 130
    except BrokenPipeError:
        return _quiet_broken_pipe()
    return code


def _json_error(args: argparse.Namespace, exc: Exception) -> None:
    """Under ``--json`` a failure is a JSON object on stdout too, so a script reads one format."""
    if getattr(args, "json", False):
        from mlrelease.cli.json_errors import print_json_error

        print_json_error(exc)


def _quiet_broken_pipe() -> int:
    """The reader of stdout went away (``mlrelease plan | head -1``): stop without a traceback.

    stdout is pointed at /dev/null so the interpreter's final flush cannot fail again; the exit
    code is a shell's for a command ended by SIGPIPE (128 + 13).
    """
    from mlrelease._util import console

    console.discard_stdout()
    return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
