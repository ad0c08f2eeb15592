"""`mlrelease update`: an adopted repository gets the installed version's render of what mlrelease
owns (caller workflow, Dependabot, noxfile header) by a three-way merge, keeping its own edits.

The render of each version is a golden file under golden/<version>/: this version's must be what
the renderer produces (set REGEN_GOLDEN=1 to rewrite it after a deliberate template
change, and keep the old ones); 0.0.9 is an older render (no workflow_dispatch trigger, no
Dependabot group, an older nox) that the repositories below were adopted with.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import yaml

from mlrelease import __version__
from mlrelease.adopt import record as rec
from mlrelease.adopt.init import DEPENDABOT_PATH, NOXFILE, WORKFLOW_PATH, caller_workflow
from mlrelease.cli.main import main

GOLDEN = Path(__file__).parent / "golden"
ANSWERS = {"workflows-repo": "contoso/mlrelease@v1", "branch": "main", "tag-format": "v{version}"}
FILES = {
    WORKFLOW_PATH: "mlrelease.yml",
    DEPENDABOT_PATH: "dependabot.yml",
    "noxfile.py": "noxfile.py",
}
DISPATCH = "  workflow_dispatch: # Run workflow: a release run, or finishing one on a tag\n"


def golden(version: str, path: str) -> str:
    return (GOLDEN / version / FILES[path]).read_text(encoding="utf-8")


def test_the_renderer_reproduces_this_versions_golden_files() -> None:
    if os.environ.get("REGEN_GOLDEN"):
        (GOLDEN / __version__).mkdir(exist_ok=True)
        for path, name in FILES.items():
            text = rec.render(path, ANSWERS, __version__, NOXFILE)
            (GOLDEN / __version__ / name).write_text(text, encoding="utf-8")
    assert (GOLDEN / __version__).is_dir(), (
        f"no golden render of mlrelease {__version__}: REGEN_GOLDEN=1 writes it "
        "(keep the older versions' directories)"
    )
    for path in FILES:
        assert rec.render(path, ANSWERS, __version__, NOXFILE) == golden(__version__, path), path


@pytest.mark.parametrize("version", sorted(p.name for p in GOLDEN.iterdir()))
def test_every_golden_render_is_a_valid_caller(version: str) -> None:
    doc = yaml.safe_load(golden(version, WORKFLOW_PATH))
    assert doc["jobs"]["ci"]["with"] == {"mlrelease-version": version}
    assert yaml.safe_load(golden(version, DEPENDABOT_PATH))["version"] == 2


def adopted(tmp_path: Path, version: str = "0.0.9", *, record: bool = True) -> Path:
    """A repository as init of ``version`` left it: its renders and (optionally) the record."""
    root = tmp_path / "repo"
    files = {path: golden(version, path) for path in FILES}
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    if record:
        (root / rec.RECORD_PATH).write_text(rec.Record(version, ANSWERS, files).text())
    return root


def edit(root: Path, path: str, old: str, new: str) -> None:
    text = (root / path).read_text(encoding="utf-8")
    assert old in text, (path, old)
    (root / path).write_text(text.replace(old, new, 1), encoding="utf-8")


EXTRA_JOB = """\
  notify:
    needs: [ci]
    runs-on: ubuntu-latest
    permissions: {}
    steps:
      - run: echo "CI finished"
"""


def hand_edit(root: Path) -> None:
    """An extra job, a changed input, a comment; a session of the team's own in the noxfile."""
    edit(
        root,
        WORKFLOW_PATH,
        "name: mlrelease\n",
        "# Team fraud-ml: ask #ml-platform first.\nname: mlrelease\n",
    )
    text = (root / WORKFLOW_PATH).read_text(encoding="utf-8")
    (root / WORKFLOW_PATH).write_text(text + EXTRA_JOB, encoding="utf-8")
    edit(root, WORKFLOW_PATH, '      # azure-client-id: "<client ID of the Entra app>"',
         '      azure-client-id: "00000000-0000-0000-0000-000000000001"')  # fmt: skip
    edit(root, "noxfile.py", "noxsessions.register()\n",
         'noxsessions.register()\n\n\n@nox.session\ndef smoke(session):\n    session.run("true")\n')  # fmt: skip


def test_an_edited_repository_gets_the_template_change_and_keeps_its_edits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = adopted(tmp_path)
    hand_edit(root)
    assert main(["update", "--check", "-C", str(root)]) == 1
    out = capsys.readouterr().out
    assert f"would move to {__version__}" in out
    assert WORKFLOW_PATH in out
    assert "noxfile.py" in out

    started = time.perf_counter()
    assert main(["update", "-C", str(root)]) == 0
    elapsed = time.perf_counter() - started
    caller = (root / WORKFLOW_PATH).read_text(encoding="utf-8")
    assert DISPATCH in caller  # the template's change arrived
    assert caller.count(f'mlrelease-version: "{__version__}"') == 2
    assert "0.0.9" not in caller
    assert "# Team fraud-ml: ask #ml-platform first.\nname: mlrelease\n" in caller  # kept
    assert caller.endswith(EXTRA_JOB)
    assert 'azure-client-id: "00000000-0000-0000-0000-000000000001"' in caller
    assert "<<<<<<<" not in caller
    doc = yaml.safe_load(caller)
    assert set(doc["jobs"]) == {"ci", "release", "all-green", "notify"}
    assert "groups" in yaml.safe_load((root / DEPENDABOT_PATH).read_text())["updates"][0]
    nox = (root / "noxfile.py").read_text(encoding="utf-8")
    assert "nox>=2025.10" in nox
    assert "def smoke(session):" in nox
    assert rec.load(root) == rec.Record(__version__, ANSWERS, rec.load(root).files)  # type: ignore[union-attr]
    assert "updated to mlrelease" in capsys.readouterr().out
    assert elapsed < 5  # measured well under a second; the bound only catches a pathology

    assert main(["update", "--check", "-C", str(root)]) == 0
    assert "current" in capsys.readouterr().out
    assert main(["update", "-C", str(root)]) == 0  # a second run changes nothing
    assert (root / WORKFLOW_PATH).read_text(encoding="utf-8") == caller


def test_a_same_line_clash_is_a_conflict_and_nothing_is_lost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = adopted(tmp_path)
    edit(root, WORKFLOW_PATH, 'with: { mlrelease-version: "0.0.9" }',
         'with: { mlrelease-version: "0.0.9", python-versions: "3.12" }')  # fmt: skip
    assert main(["update", "-C", str(root)]) == 1
    err = capsys.readouterr().err
    assert f"conflicts in {WORKFLOW_PATH} (1 conflict)" in err
    caller = (root / WORKFLOW_PATH).read_text(encoding="utf-8")
    ours = '    with: { mlrelease-version: "0.0.9", python-versions: "3.12" }\n'
    theirs = f'    with: {{ mlrelease-version: "{__version__}" }}\n'
    assert f"<<<<<<< repository\n{ours}|||||||" in caller
    assert f"=======\n{theirs}>>>>>>> mlrelease {__version__}\n" in caller
    assert DISPATCH in caller  # the change elsewhere in the file was merged
    # the markers are not merged again, and --check keeps failing until they are resolved
    assert main(["update", "--check", "-C", str(root)]) == 1
    assert main(["update", "-C", str(root)]) == 1
    assert (root / WORKFLOW_PATH).read_text(encoding="utf-8") == caller
    capsys.readouterr()
    resolved = caller.split("<<<<<<< repository\n")[0] + ours.replace("0.0.9", __version__)
    resolved += caller.split(f">>>>>>> mlrelease {__version__}\n")[1]
    (root / WORKFLOW_PATH).write_text(resolved, encoding="utf-8")
    assert main(["update", "--check", "-C", str(root)]) == 0


def test_a_repository_adopted_by_init_without_a_record_is_updated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What init wrote before the record existed: the base is rendered from the caller."""
    root = tmp_path / "repo"
    (root / ".github" / "workflows").mkdir(parents=True)
    old = caller_workflow("trunk", "my-org/mlrelease@v2", "{version}", version="0.0.9")
    (root / WORKFLOW_PATH).write_text(old.replace("jobs:\n", "jobs: # ours\n"), encoding="utf-8")
    (root / "noxfile.py").write_text(NOXFILE, encoding="utf-8")
    assert main(["update", "--check", "-C", str(root)]) == 1
    assert (
        f"no {rec.RECORD_PATH}: inferred from the caller (mlrelease 0.0.9)"
        in capsys.readouterr().out
    )
    assert main(["update", "-C", str(root)]) == 0
    caller = (root / WORKFLOW_PATH).read_text(encoding="utf-8")
    assert caller == caller_workflow("trunk", "my-org/mlrelease@v2", "{version}").replace(
        "jobs:\n", "jobs: # ours\n"
    )
    record = rec.load(root)
    assert record is not None
    assert record.version == __version__
    assert record.answers == {
        "workflows-repo": "my-org/mlrelease@v2", "branch": "trunk", "tag-format": "{version}"
    }  # fmt: skip
    assert set(record.files) == {WORKFLOW_PATH, "noxfile.py"}  # no Dependabot file of ours
    assert main(["update", "--check", "-C", str(root)]) == 0


def test_update_refuses_a_repository_that_was_never_adopted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["update", "-C", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "no caller of the reusable workflows" in err
    assert "mlrelease init" in err
    assert "Traceback" not in err


def test_dry_run_prints_the_diff_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = adopted(tmp_path)
    before = {p: (root / p).read_text() for p in [*FILES, rec.RECORD_PATH]}
    assert main(["update", "--dry-run", "-C", str(root)]) == 0
    out = capsys.readouterr().out
    assert f"+{DISPATCH}" in out
    assert "3 files would change" in out
    assert {p: (root / p).read_text() for p in before} == before


def test_a_deleted_owned_file_stays_deleted(tmp_path: Path) -> None:
    root = adopted(tmp_path)
    (root / DEPENDABOT_PATH).unlink()
    assert main(["update", "-C", str(root)]) == 0
    assert not (root / DEPENDABOT_PATH).exists()
    assert DEPENDABOT_PATH not in rec.load(root).files  # type: ignore[union-attr]


def test_a_damaged_record_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = adopted(tmp_path)
    (root / rec.RECORD_PATH).write_text("{not json", encoding="utf-8")
    assert main(["update", "-C", str(root)]) == 1
    err = capsys.readouterr().err
    assert rec.RECORD_PATH in err
    assert "git checkout" in err


def test_init_writes_the_record_update_starts_from(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "src" / "proj").mkdir(parents=True)
    (root / "src" / "proj" / "__init__.py").write_text('"""proj."""\n')
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "proj"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n'
    )
    assert main(["init", str(root), "--workflows-repo", "my-org/mlrelease@v3"]) == 0
    record = rec.load(root)
    assert record is not None
    assert record.version == __version__
    assert record.answers["workflows-repo"] == "my-org/mlrelease@v3"
    assert set(record.files) == {WORKFLOW_PATH, DEPENDABOT_PATH, "noxfile.py"}
    for path, text in record.files.items():
        assert (root / path).read_text(encoding="utf-8") == text
    assert main(["update", "--check", "-C", str(root)]) == 0
    assert main(["init", str(root)]) == 0  # a second init leaves the record alone
    assert rec.load(root) == record


def test_a_record_of_a_newer_mlrelease_is_not_moved_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = adopted(tmp_path, __version__)
    files = {path: golden(__version__, path) for path in FILES}
    (root / rec.RECORD_PATH).write_text(rec.Record("99.0.0", ANSWERS, files).text())
    before = (root / WORKFLOW_PATH).read_text(encoding="utf-8")
    assert main(["update", "-C", str(root)]) == 1
    err = capsys.readouterr().err
    assert f"rendered by mlrelease 99.0.0, newer than this mlrelease {__version__}" in err
    assert "upgrade mlrelease" in err
    assert (root / WORKFLOW_PATH).read_text(encoding="utf-8") == before


def test_a_crlf_checkout_keeps_its_line_endings(tmp_path: Path) -> None:
    """core.autocrlf on Windows: the files are CRLF, the record LF; the edits merge as usual."""
    root = adopted(tmp_path)
    hand_edit(root)
    for path in FILES:
        text = (root / path).read_text(encoding="utf-8")
        (root / path).write_bytes(text.replace("\n", "\r\n").encode())
    assert main(["update", "-C", str(root)]) == 0
    raw = (root / WORKFLOW_PATH).read_bytes()
    assert raw.count(b"\n") == raw.count(b"\r\n")
    caller = raw.decode().replace("\r\n", "\n")
    assert DISPATCH in caller
    assert caller.endswith(EXTRA_JOB)
    assert main(["update", "--check", "-C", str(root)]) == 0


def test_the_fleet_moves_to_another_workflows_repository(tmp_path: Path) -> None:
    """A platform team's mirror: the uses: lines move, the edits stay, the answer is recorded."""
    root = adopted(tmp_path)
    hand_edit(root)
    assert main(["update", "-C", str(root), "--workflows-repo", "acme/ml-ci@v7"]) == 0
    caller = (root / WORKFLOW_PATH).read_text(encoding="utf-8")
    assert "uses: acme/ml-ci/.github/workflows/python-ci.yml@v7" in caller
    assert "uses: acme/ml-ci/.github/workflows/release.yml@v7" in caller
    assert "contoso/mlrelease" not in caller
    assert caller.endswith(EXTRA_JOB)
    record = rec.load(root)
    assert record is not None
    assert record.answers["workflows-repo"] == "acme/ml-ci@v7"
    assert main(["update", "--check", "-C", str(root)]) == 0  # the next update keeps the mirror
