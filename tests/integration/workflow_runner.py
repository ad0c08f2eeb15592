"""A local runner for the `run:` lines of the reusable workflows (the wiring test's engine).

It does what the GitHub runner does with the parts that matter for the wiring: jobs in dependency
order with their `if:` conditions and `strategy.matrix`, `${{ }}` expressions in `env:`, `with:`,
`if:` and outputs, `$GITHUB_OUTPUT` / `$GITHUB_ENV` / `$GITHUB_STEP_SUMMARY` files, each `run:` line
through `bash -eo pipefail` in the job's working directory. The `uses:` steps it meets are done the
way the action would on a runner, with local parts: checkout = fetch and check out the ref from the
(bare, local) remote; upload/download-artifact = a directory per artifact name (a name that does
not match fails, as on GitHub); the setup action = the dev venv's mlrelease and nox with the
environment the action exports; attest-build-provenance = its subjects checked and recorded.
Anything else (azure/login, Pages) must be switched off by its
`if:` in a local run, or the run fails.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# `gh` talks to the GitHub API only: there is no local stand-in, so its lines are recorded, not run.
GITHUB_API_ONLY = re.compile(r"^gh ")
SETUP_ACTION = "contoso/mlrelease/.github/actions/setup@"

# --- expressions ----------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>==|!=|&&|\|\||<=|>=|[()!,<>\[\]])"
    r"|(?P<name>[A-Za-z_][\w-]*(?:\.[\w*-]+)*)|(?P<prop>\.[\w*-]+))"
)


class ExpressionError(Exception):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ExpressionError(f"cannot read {text[pos:]!r} in {text!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _truthy(value: Any) -> bool:
    return (
        value not in (None, False, 0, "", "false") if not isinstance(value, (dict, list)) else True
    )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _lookup(context: dict[str, Any], dotted: str) -> Any:
    value: Any = context
    for part in dotted.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()  # GitHub compares strings case-insensitively
    return bool(a == b)


_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "fromjson": json.loads,
    "tojson": json.dumps,
    "join": lambda v, sep=",": sep.join(_text(x) for x in v) if isinstance(v, list) else v,
    "contains": lambda hay, needle: (
        any(_equal(x, needle) for x in hay)
        if isinstance(hay, list)
        else _text(needle).lower() in _text(hay).lower()
    ),
    "format": lambda fmt, *args: (
        re.sub(r"\{(\d+)\}", lambda m: _text(args[int(m.group(1))]), fmt)
        .replace("{{", "{")
        .replace("}}", "}")
    ),
    "startswith": lambda a, b: _text(a).lower().startswith(_text(b).lower()),
    "endswith": lambda a, b: _text(a).lower().endswith(_text(b).lower()),
    "cancelled": lambda: False,
    "always": lambda: True,
}


_LITERALS = {"true": True, "false": False, "null": None}


def _literal(kind: str, value: str) -> Any:
    if kind == "str":
        return value[1:-1].replace("''", "'")
    if kind == "num":
        return float(value)
    return _LITERALS[value]


class _Parser:
    def __init__(self, text: str, context: dict[str, Any]) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.context = context
        self.text = text

    def peek(self) -> str | None:
        return self.toks[self.i][1] if self.i < len(self.toks) else None

    def take(self, want: str | None = None) -> tuple[str, str]:
        tok = self.toks[self.i]
        if want is not None and tok[1] != want:
            raise ExpressionError(f"expected {want!r} in {self.text!r}")
        self.i += 1
        return tok

    def parse(self) -> Any:
        value = self.or_()
        if self.i != len(self.toks):
            raise ExpressionError(f"unexpected {self.peek()!r} in {self.text!r}")
        return value

    def or_(self) -> Any:
        left = self.and_()
        while self.peek() == "||":
            self.take()
            right = self.and_()
            left = left if _truthy(left) else right
        return left

    def and_(self) -> Any:
        left = self.compare()
        while self.peek() == "&&":
            self.take()
            right = self.compare()
            left = right if _truthy(left) else left
        return left

    def compare(self) -> Any:
        left = self.unary()
        while self.peek() in ("==", "!="):
            op = self.take()[1]
            right = self.unary()
            left = _equal(left, right) if op == "==" else not _equal(left, right)
        return left

    def unary(self) -> Any:
        if self.peek() == "!":
            self.take()
            return not _truthy(self.unary())
        return self.primary()

    def primary(self) -> Any:
        kind, value = self.take()
        if value == "(":
            inner = self.or_()
            self.take(")")
            return self.postfix(inner)
        if kind in ("str", "num") or value in _LITERALS:
            return _literal(kind, value)
        if self.peek() == "(":
            self.take()
            args = []
            while self.peek() != ")":
                args.append(self.or_())
                if self.peek() == ",":
                    self.take()
            self.take(")")
            fn = _FUNCTIONS.get(value.lower())
            if fn is None:
                raise ExpressionError(f"function {value} is not supported here")
            return self.postfix(fn(*args))
        return self.postfix(_lookup(self.context, value))

    def postfix(self, value: Any) -> Any:
        while self.i < len(self.toks) and self.toks[self.i][0] == "prop":
            value = _lookup(value if isinstance(value, dict) else {}, self.take()[1][1:])
        return value


def evaluate(expression: str, context: dict[str, Any]) -> Any:
    return _Parser(expression, context).parse()


_TEMPLATE = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


def render(value: Any, context: dict[str, Any]) -> Any:
    """Substitute `${{ }}`; a string that is one whole expression keeps the expression's type."""
    if isinstance(value, dict):
        return {k: render(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, context) for v in value]
    if not isinstance(value, str):
        return value
    whole = _TEMPLATE.fullmatch(value.strip())
    if whole and value.count("${{") == 1:
        return evaluate(whole.group(1), context)
    return _TEMPLATE.sub(lambda m: _text(evaluate(m.group(1), context)), value)


def condition(text: Any, context: dict[str, Any]) -> bool:
    if isinstance(text, bool):
        return text
    text = str(text).strip()
    whole = _TEMPLATE.fullmatch(text)
    return _truthy(evaluate(whole.group(1) if whole else text, context))


# --- workflows ------------------------------------------------------------------------------------


def load_workflow(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:
        data["on"] = data.pop(True)
    assert isinstance(data, dict)
    return data


def job_order(jobs: dict[str, Any]) -> list[str]:
    """Jobs in dependency order (stable: file order among jobs that are ready)."""
    done: list[str] = []
    pending = list(jobs)
    while pending:
        for job_id in pending:
            needs = jobs[job_id].get("needs", [])
            needs = [needs] if isinstance(needs, str) else needs
            if all(n in done for n in needs):
                done.append(job_id)
                pending.remove(job_id)
                break
        else:
            raise ExpressionError(f"dependency cycle among {pending}")
    return done


def _needs(job: dict[str, Any]) -> list[str]:
    needs = job.get("needs", [])
    return [needs] if isinstance(needs, str) else list(needs)


@dataclass
class StepRecord:
    """One step as the log shows it: ``output`` is stdout + stderr without the workflow commands
    the runner consumes (``::add-mask::``), but *not* masked, so tests see any leak mlrelease
    itself would cause; ``stdout`` is the raw stdout (what ``--json`` and redirects capture)."""

    job: str
    line: str
    ran: bool
    output: str = ""
    stdout: str = ""


@dataclass
class JobFailed(Exception):
    job: str
    line: str
    output: str

    def __str__(self) -> str:
        return f"job {self.job}: `{self.line}` failed:\n{self.output[-4000:]}"


@dataclass
class Runner:
    """Runs one workflow file's jobs against a workspace (a clone of a local bare remote)."""

    workflow: Path
    workspace: Path
    artifacts: Path
    tmp: Path
    inputs: dict[str, Any]
    secrets: dict[str, str] = field(default_factory=dict)
    github: dict[str, Any] = field(default_factory=dict)
    tool_bin: Path = Path()
    keep: tuple[str, ...] = (".nox", ".mlrelease")  # survive checkouts: caches, local targets
    only: set[str] | None = None  # run just these jobs (simulate a run that died after them)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    log: list[StepRecord] = field(default_factory=list)
    attested: list[dict[str, Any]] = field(default_factory=list)  # what attest steps would sign
    runs_on: dict[str, Any] = field(default_factory=dict)  # each job's evaluated runs-on
    masks: set[str] = field(default_factory=set)  # values registered with ::add-mask::

    def declared_inputs(self) -> dict[str, Any]:
        doc = load_workflow(self.workflow)
        declared: dict[str, Any] = doc["on"]["workflow_call"].get("inputs", {})
        values = {k: v.get("default", "") for k, v in declared.items()}
        unknown = set(self.inputs) - set(declared)
        assert not unknown, f"inputs not declared by {self.workflow.name}: {unknown}"
        values.update(self.inputs)
        missing = [k for k, v in declared.items() if v.get("required") and k not in self.inputs]
        assert not missing, f"required inputs missing: {missing}"
        return values

    def run(self) -> dict[str, Any]:
        doc = load_workflow(self.workflow)
        inputs = self.declared_inputs()
        declared_secrets = doc["on"]["workflow_call"].get("secrets", {})
        assert set(self.secrets) <= set(declared_secrets), "secrets not declared"
        secrets = {k: self.secrets.get(k, "") for k in declared_secrets}
        github = {"token": "", "run_attempt": "1", "repository": "contoso/driftwatch"}
        github.update(self.github)
        base = {"inputs": inputs, "secrets": secrets, "github": github, "vars": {}}
        jobs: dict[str, Any] = doc["jobs"]
        for job_id in job_order(jobs):
            job = jobs[job_id]
            needs = {n: self.results[n] for n in _needs(job)}
            ctx = {**base, "needs": needs, "runner": {"temp": str(self.tmp / job_id)}}
            if self.only is not None and job_id not in self.only:
                self.results[job_id] = {"result": "skipped", "outputs": {}}
                continue
            default_ok = all(n["result"] == "success" for n in needs.values())
            cond = job.get("if")
            run_it = condition(cond, ctx) and (default_ok or "!cancelled()" in str(cond))
            if cond is None:
                run_it = default_ok
            if not run_it:
                self.results[job_id] = {"result": "skipped", "outputs": {}}
                continue
            self.results[job_id] = self._run_job(job_id, job, ctx)
        outputs = doc["on"]["workflow_call"].get("outputs", {})
        jobs_ctx = {"jobs": self.results}
        return {k: _text(render(v["value"], jobs_ctx)) for k, v in outputs.items()}

    def _run_job(self, job_id: str, job: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
        # The runner GitHub would pick: a label, a list of labels or a group (fromJSON of inputs).
        runs_on = render(job.get("runs-on"), ctx)
        assert isinstance(runs_on, (str, list, dict)), f"{job_id}: runs-on {runs_on!r}"
        assert runs_on, f"{job_id}: runs-on is empty"
        self.runs_on[job_id] = runs_on
        matrix = job.get("strategy", {}).get("matrix")
        combos: list[dict[str, Any]] = [{}]
        if matrix is not None:
            spec = render(matrix, ctx)
            assert isinstance(spec, dict), f"{job_id}: matrix is not an object: {spec!r}"
            keys = [k for k in spec if isinstance(spec[k], list) and k != "include"]
            combos = [
                dict(zip(keys, values, strict=True))
                for values in itertools.product(*(spec[k] for k in keys))
            ]
            if not keys:  # only `include`: each entry is one combination (GitHub's rule)
                combos = [dict(e) for e in spec.get("include", [])]
        outputs: dict[str, Any] = {}
        for combo in combos:
            try:
                outputs = self._run_steps(job_id, job, {**ctx, "matrix": combo})
            except JobFailed:
                return {"result": "failure", "outputs": {}}
        return {"result": "success", "outputs": outputs}

    def _env(self, job_id: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_"))}
        temp = self.tmp / job_id
        temp.mkdir(parents=True, exist_ok=True)
        env.update(
            CI="true",
            GITHUB_ACTIONS="true",
            RUNNER_TEMP=str(temp),
            GITHUB_WORKSPACE=str(self.workspace),
            GITHUB_STEP_SUMMARY=str(temp / "summary.md"),
            GITHUB_BASE_REF=str(self.github.get("base_ref", "")),  # set on pull requests
            PATH=f"{self.tool_bin}{os.pathsep}{env.get('PATH', '')}",
        )
        return env

    def _run_steps(self, job_id: str, job: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
        job_env = self._env(job_id)
        job_env.update({k: _text(v) for k, v in render(job.get("env", {}), ctx).items()})
        steps_ctx: dict[str, Any] = {}
        workdir_expr = job.get("defaults", {}).get("run", {}).get("working-directory", ".")
        workdir = (self.workspace / _text(render(workdir_expr, ctx))).resolve()
        for index, step in enumerate(job.get("steps", [])):
            sctx = {**ctx, "steps": steps_ctx, "env": job_env}
            if "if" in step and not condition(step["if"], sctx):
                continue
            outfile = self.tmp / job_id / f"output-{index}"
            outfile.write_text("")
            env_file = self.tmp / job_id / f"env-{index}"
            env_file.write_text("")
            if "uses" in step:
                self._uses(job_id, step, sctx, job_env)
            else:
                env = {**job_env, "GITHUB_OUTPUT": str(outfile), "GITHUB_ENV": str(env_file)}
                env.update({k: _text(v) for k, v in render(step.get("env", {}), sctx).items()})
                cwd = (
                    self.workspace / _text(render(step["working-directory"], sctx))
                    if "working-directory" in step
                    else workdir
                )
                self._shell(job_id, str(step["run"]).strip(), cwd, env)
            job_env.update(_read_kv(env_file))
            if "id" in step:
                steps_ctx[step["id"]] = {"outputs": _read_kv(outfile), "outcome": "success"}
        octx = {**ctx, "steps": steps_ctx}
        return {k: _text(render(v, octx)) for k, v in job.get("outputs", {}).items()}

    def _shell(self, job_id: str, line: str, cwd: Path, env: dict[str, str]) -> None:
        if GITHUB_API_ONLY.match(line):
            self.log.append(StepRecord(job_id, line, ran=False))
            return
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", line],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        # Like GitHub's runner: workflow commands are read from both streams and consumed.
        kept = []
        for text in (proc.stdout, proc.stderr):
            for out_line in text.splitlines(keepends=True):
                if out_line.startswith("::add-mask::"):
                    self.masks.add(out_line.removeprefix("::add-mask::").rstrip("\r\n"))
                else:
                    kept.append(out_line)
        output = "".join(kept)
        self.log.append(StepRecord(job_id, line, ran=True, output=output, stdout=proc.stdout))
        if proc.returncode != 0:
            raise JobFailed(job_id, line, output)

    def _uses(
        self, job_id: str, step: dict[str, Any], ctx: dict[str, Any], env: dict[str, str]
    ) -> None:
        uses = str(step["uses"])
        with_ = {k: render(v, ctx) for k, v in (step.get("with") or {}).items()}
        if uses.startswith("actions/checkout@"):
            self._checkout(_text(with_.get("ref")) or ctx["github"]["ref"], env)
        elif uses.startswith(SETUP_ACTION):
            self._setup(with_, env)
        elif uses.startswith("actions/upload-artifact@"):
            dest = self.artifacts / _text(with_["name"])
            if dest.exists() and with_.get("overwrite") is not True:
                raise JobFailed(job_id, uses, f"artifact {dest.name} exists (409 on GitHub)")
            shutil.rmtree(dest, ignore_errors=True)
            src = self.workspace / _text(with_["path"])
            if not src.is_dir() or not any(src.iterdir()):
                if with_.get("if-no-files-found") == "error":
                    raise JobFailed(job_id, uses, f"no files at {src}")
                return
            shutil.copytree(src, dest)
        elif uses.startswith("actions/download-artifact@"):
            self._download(job_id, uses, with_)
        elif uses.startswith("actions/attest-build-provenance@"):
            self._attest(job_id, uses, with_)
        elif uses.startswith(("actions/upload-pages-artifact@", "actions/deploy-pages@")):
            self._pages(job_id, uses, with_)
        else:
            raise JobFailed(job_id, uses, "no local stand-in: switch this step off with its `if:`")

    def _download(self, job_id: str, uses: str, with_: dict[str, Any]) -> None:
        dest = Path(_text(with_["path"]))
        if "pattern" in with_:
            # By pattern: every match (merge-multiple), and no match downloads nothing, as v4 does.
            for src in sorted(self.artifacts.glob(_text(with_["pattern"]))):
                shutil.copytree(src, dest, dirs_exist_ok=True)
            return
        src = self.artifacts / _text(with_["name"])
        if not src.is_dir():
            raise JobFailed(job_id, uses, f"no artifact named {src.name}")
        shutil.copytree(src, dest, dirs_exist_ok=True)

    def _pages(self, job_id: str, uses: str, with_: dict[str, Any]) -> None:
        if uses.startswith("actions/upload-pages-artifact@"):
            dest = self.artifacts / "github-pages"  # the artifact name the action uses
            shutil.rmtree(dest, ignore_errors=True)
            shutil.copytree(self.workspace / _text(with_["path"]), dest)
            return
        # GitHub Pages itself has no local stand-in: check what it would deploy, record it.
        if not (self.artifacts / "github-pages" / "index.html").is_file():
            raise JobFailed(job_id, uses, "no github-pages artifact with an index.html")
        self.log.append(StepRecord(job_id, uses, ran=False))

    def _attest(self, job_id: str, uses: str, with_: dict[str, Any]) -> None:
        """Sigstore and the attestations API have no local stand-in: check the subjects the action
        would attest (files that exist, or a name with a sha256 digest) and record them."""
        if "subject-path" in with_:
            pattern = _text(with_["subject-path"])
            where = Path(pattern)
            files = sorted(p for p in where.parent.glob(where.name) if p.is_file())
            if not files:
                raise JobFailed(job_id, uses, f"no file matches subject-path {pattern}")
            subjects = [f.name for f in files]
        else:
            name, digest = _text(with_.get("subject-name")), _text(with_.get("subject-digest"))
            if not name or not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
                raise JobFailed(job_id, uses, f"bad subject {name!r} {digest!r}")
            subjects = [f"{name}@{digest}"]
        self.attested.append({"job": job_id, "subjects": subjects, **with_})
        self.log.append(StepRecord(job_id, uses, ran=False, output="\n".join(subjects)))

    def _checkout(self, ref: str, env: dict[str, str]) -> None:
        def git(*args: str) -> None:
            subprocess.run(
                ["git", *args],
                cwd=self.workspace,
                env=env,
                check=True,
                capture_output=True,
                stdin=subprocess.DEVNULL,
            )

        git(
            "fetch",
            "--force",
            "--prune",
            "--prune-tags",
            "--tags",
            "origin",
            "+refs/heads/*:refs/remotes/origin/*",
        )
        excludes = [f"--exclude={k}" for k in self.keep]
        git("clean", "-ffdx", *excludes)
        git("reset", "--hard")
        if ref.startswith("refs/heads/"):
            branch = ref.removeprefix("refs/heads/")
            git("checkout", "-B", branch, f"origin/{branch}")
        else:
            git("checkout", "--detach", ref.removeprefix("refs/tags/"))

    def _setup(self, with_: dict[str, Any], env: dict[str, str]) -> None:
        action = self.workflow.parents[1] / "actions" / "setup" / "action.yml"
        declared = yaml.safe_load(action.read_text(encoding="utf-8"))["inputs"]
        unknown = set(with_) - set(declared)
        assert not unknown, f"setup action has no inputs {unknown}"
        missing = [k for k, v in declared.items() if v.get("required") and k not in with_]
        assert not missing, f"setup action needs {missing}"
        env["NOX_SCRIPT_MODE"] = "none"  # what the action exports (see its install step)


def _read_kv(path: Path) -> dict[str, str]:
    """`key=value` lines and `key<<EOF` blocks, as GitHub reads GITHUB_OUTPUT / GITHUB_ENV."""
    out: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, marker = line.split("<<", 1)
            body = []
            i += 1
            while i < len(lines) and lines[i] != marker:
                body.append(lines[i])
                i += 1
            out[key] = "\n".join(body)
        elif "=" in line:
            key, value = line.split("=", 1)
            out[key] = value
        i += 1
    return out
