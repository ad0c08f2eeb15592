"""The error hierarchy. Every user-facing failure is one of these, caught once in ``cli.main``.

Exit codes are fixed: 2 for configuration errors, 1 for every other failure. A message says what is
wrong, where (file, key) and how to fix it; it never carries a secret (see :mod:`mlrelease._util.redact`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the configuration: where it is, what is wrong, how to fix it."""

    file: str
    key: str
    message: str
    hint: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else self.file
        text = f"{where}: {self.message}"
        if self.hint:  # under a multi-line message (a source excerpt), on a line of its own
            text += f"\n    ({self.hint})" if "\n" in self.message else f" ({self.hint})"
        return text


class MlreleaseError(Exception):
    """Base class: a failure a user can act on. ``hint`` says what to do."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


@dataclass
class ConfigError(MlreleaseError):
    """One or more problems in ``[tool.mlrelease]`` (all of them, reported at once)."""

    problems: list[Problem] = field(default_factory=list)
    exit_code = EXIT_CONFIG

    def __post_init__(self) -> None:
        super().__init__(self.render())

    def render(self) -> str:
        n = len(self.problems)
        head = f"{n} configuration problem{'s' if n != 1 else ''}:"
        return "\n".join([head, *(f"  - {p}" for p in self.problems)])

    def __str__(self) -> str:
        return self.render()


class ToolError(MlreleaseError):
    """An external tool (git, twine, buildah, ...) failed or is missing."""

    def __init__(
        self, message: str, *, hint: str = "", returncode: int | None = None, output: str = ""
    ) -> None:
        super().__init__(message, hint=hint)
        self.returncode = returncode
        self.output = output


class EnvironmentProblem(MlreleaseError):
    """The machine or repository is not in a state the command can work with."""


class ReleaseError(MlreleaseError):
    """A release was refused (dirty tree, wrong branch, moved upstream, ...)."""


class PublishError(MlreleaseError):
    """Publishing a wheel or image failed, or was refused before any byte went out."""


class AuthError(PublishError):
    """Credentials are missing or were rejected by a feed or registry."""
