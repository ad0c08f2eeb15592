"""`mlrelease infra terraform` end to end through the CLI: where it writes, what it refuses, and
`doctor` / `check` telling when the written module is out of date with the configuration."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlrelease.cli.main import main
from mlrelease.infra.output import MANIFEST
from tests.unit.infra.repos import ACR_AND_FEED, make_repo

TF_FILES = {"versions.tf", "variables.tf", "main.tf", "outputs.tf"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_writes_the_module_into_infra_azure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo(tmp_path / "repo", ACR_AND_FEED)
    code, out, _ = run(capsys, "infra", "terraform", "-C", str(root))
    assert code == 0
    written = {p.name for p in (root / "infra" / "azure").iterdir()}
    assert written == TF_FILES | {MANIFEST}
    assert "created" in out
    assert "AZURE_CLIENT_ID and AZURE_TENANT_ID" in out
    # a second run changes nothing
    code, out, _ = run(capsys, "infra", "terraform", "-C", str(root))
    assert code == 0
    assert "created" not in out
    assert "updated" not in out
    assert out.count("unchanged") == 5


def test_json_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path / "repo")
    out_dir = tmp_path / "elsewhere" / "tf"
    code, out, _ = run(
        capsys, "infra", "terraform", "-C", str(root), "--output", str(out_dir), "--json"
    )
    assert code == 0
    data = json.loads(out)
    assert data["repository"] == "contoso/ml-drift"
    assert {Path(f["path"]).name for f in data["files"]} == TF_FILES | {MANIFEST}
    assert {f["action"] for f in data["files"]} == {"created"}


def test_repo_entry_prints_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo(tmp_path / "repo", ACR_AND_FEED)
    code, out, _ = run(capsys, "infra", "terraform", "-C", str(root), "--repo-entry")
    assert code == 0
    assert out.startswith('"contoso/ml-drift" = {')
    assert "drift-detector-gpu" in out
    assert not (root / "infra").exists()
    code, out, _ = run(capsys, "infra", "terraform", "-C", str(root), "--repo-entry", "--json")
    assert set(json.loads(out)) == {"contoso/ml-drift"}


def test_output_pointing_at_a_file_is_a_clean_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo(tmp_path / "repo")
    target = tmp_path / "a-file"
    target.write_text("x")
    code, out, err = run(capsys, "infra", "terraform", "-C", str(root), "--output", str(target))
    assert code == 1
    assert "is a file, not a directory" in err
    assert "hint:" in err
    assert "Traceback" not in out + err
    assert target.read_text() == "x"


def test_never_writes_through_a_symlink(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path / "repo")
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    code, _, err = run(capsys, "infra", "terraform", "-C", str(root), "--output", str(link / "tf"))
    assert code == 1
    assert "symbolic link" in err
    assert not any(real.iterdir())
    # a file in the directory that is a link
    out_dir = tmp_path / "tf"
    out_dir.mkdir()
    victim = tmp_path / "victim.tf"
    victim.write_text("keep me\n")
    (out_dir / "main.tf").symlink_to(victim)
    code, _, err = run(capsys, "infra", "terraform", "-C", str(root), "--output", str(out_dir))
    assert code == 1
    assert "symbolic link" in err
    assert victim.read_text() == "keep me\n"
    assert not (out_dir / "versions.tf").exists()  # nothing written: checked before writing


def test_an_edited_file_is_not_clobbered_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo(tmp_path / "repo")
    assert run(capsys, "infra", "terraform", "-C", str(root))[0] == 0
    main_tf = root / "infra" / "azure" / "main.tf"
    main_tf.write_text(main_tf.read_text() + "# my change\n")
    code, _, err = run(capsys, "infra", "terraform", "-C", str(root))
    assert code == 1
    assert "main.tf" in err
    assert "--force" in err
    assert "nothing was written" in err
    assert main_tf.read_text().endswith("# my change\n")
    code, out, _ = run(capsys, "infra", "terraform", "-C", str(root), "--force")
    assert code == 0
    assert "updated" in out
    assert "# my change" not in main_tf.read_text()


def test_a_foreign_file_of_the_same_name_is_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo(tmp_path / "repo")
    out_dir = root / "infra" / "azure"
    out_dir.mkdir(parents=True)
    (out_dir / "outputs.tf").write_text('output "x" {\n  value = 1\n}\n')
    code, _, err = run(capsys, "infra", "terraform", "-C", str(root))
    assert code == 1
    assert "outputs.tf" in err
    assert (out_dir / "outputs.tf").read_text().startswith('output "x"')


def test_regenerating_after_a_config_change_updates_our_own_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo(tmp_path / "repo")
    assert run(capsys, "infra", "terraform", "-C", str(root))[0] == 0
    with (root / "pyproject.toml").open("a") as fh:
        fh.write('[tool.mlrelease.version]\nrelease-branches = ["main", "stable"]\n')
    code, out, _ = run(capsys, "infra", "terraform", "-C", str(root))
    assert code == 0
    assert "updated" in out
    assert "refs/heads/stable" in (root / "infra" / "azure" / "variables.tf").read_text()


def test_no_github_origin_is_a_clean_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo(tmp_path / "repo", origin=None)
    code, _out, err = run(capsys, "infra", "terraform", "-C", str(root))
    assert code == 1
    assert "--repository OWNER/REPO" in err
    assert "Traceback" not in err
    code, _, _ = run(capsys, "infra", "terraform", "-C", str(root), "--repository", "contoso/x")
    assert code == 0


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            '[tool.mlrelease.version]\nrelease-branches = ["main", "stable"]\n',
            "new subject repo:contoso/ml-drift:ref:refs/heads/stable",
        ),
        (
            '[[tool.mlrelease.publish.images]]\nregistry = "contosoml.azurecr.io"\nname = "drift-new"\n',
            "new image contosoml.azurecr.io/drift-new",
        ),
    ],
)
def test_doctor_and_check_report_a_stale_module(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: str, expected: str
) -> None:
    root = make_repo(tmp_path / "repo", ACR_AND_FEED)
    assert run(capsys, "infra", "terraform", "-C", str(root))[0] == 0
    _, out, _ = run(capsys, "check", "-C", str(root))
    assert "ok: infra/azure: the Terraform module is up to date" in out
    _, out, _ = run(capsys, "doctor", "-C", str(root))
    assert "ok: infra/azure: the Terraform module is up to date" in out

    with (root / "pyproject.toml").open("a") as fh:
        fh.write(change)
    code, out, _ = run(capsys, "check", "-C", str(root))
    assert code == 1
    assert "error: infra/azure: the Terraform module is out of date" in out
    assert expected in out
    assert "mlrelease infra terraform --output infra/azure" in out
    code, out, _ = run(capsys, "doctor", "-C", str(root), "--json")
    assert code == 1
    infra = [c for c in json.loads(out)["checks"] if c["area"] == "infra"]
    assert infra[0]["level"] == "error"
    assert expected in infra[0]["what"]
    assert "mlrelease infra terraform" in infra[0]["hint"]
    # regenerating clears it
    assert run(capsys, "infra", "terraform", "-C", str(root))[0] == 0
    _, out, _ = run(capsys, "check", "-C", str(root))
    assert "up to date" in out


def test_a_module_in_another_directory_is_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo(tmp_path / "repo")
    assert (
        run(capsys, "infra", "terraform", "-C", str(root), "-o", str(root / "deploy" / "tf"))[0]
        == 0
    )
    with (root / "pyproject.toml").open("a") as fh:
        fh.write('[tool.mlrelease.version]\nrelease-branches = ["main", "next"]\n')
    _, out, _ = run(capsys, "check", "-C", str(root))
    assert "deploy/tf: the Terraform module is out of date" in out


def test_no_module_no_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_repo(tmp_path / "repo")
    _, out, _ = run(capsys, "check", "-C", str(root))
    assert "Terraform" not in out


def test_a_module_for_another_repository_is_not_compared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo(tmp_path / "repo")
    args = ("infra", "terraform", "-C", str(root), "--repository", "contoso/other")
    assert run(capsys, *args)[0] == 0
    with (root / "pyproject.toml").open("a") as fh:
        fh.write('[tool.mlrelease.version]\nrelease-branches = ["main", "next"]\n')
    _, out, _ = run(capsys, "check", "-C", str(root))
    assert "generated for contoso/other, not this repository (contoso/ml-drift)" in out
    assert "out of date" not in out


def test_stale_fix_names_the_repository_when_origin_is_not_github(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_repo(tmp_path / "repo", origin="/srv/git/ml-drift.git")
    args = ("infra", "terraform", "-C", str(root), "--repository", "contoso/ml-drift")
    assert run(capsys, *args)[0] == 0
    with (root / "pyproject.toml").open("a") as fh:
        fh.write('[tool.mlrelease.version]\nrelease-branches = ["main", "next"]\n')
    _, out, _ = run(capsys, "check", "-C", str(root))
    assert "new subject repo:contoso/ml-drift:ref:refs/heads/next" in out
    assert "mlrelease infra terraform --repository contoso/ml-drift --output infra/azure" in out
