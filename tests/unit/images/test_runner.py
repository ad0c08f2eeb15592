"""The images runner against the embedded OCI layout target and a fake engine (seconds, no network).

The fake engine implements the engine protocol for real: it writes an OCI layout whose layer is made
of the Dockerfile and the build arguments (so the same inputs give the same digest, as the real
engines' reproducible builds do) and whose config carries the labels; it records the builds.
Everything else is the code a release runs: the planner, the build steps around the engine, the
layout target, the conflict refusal, the tags' order.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from mlrelease.errors import PublishError
from mlrelease.images import publish as images
from mlrelease.images.engines import BuildSpec, PythonInImage
from mlrelease.images.layout import REF_ANNOTATION, LayoutTarget, sha256_digest
from mlrelease.images.plan import ImagesPlan, TagAction, images_plan, iso_time
from mlrelease.images.publish import TARGET_BACKENDS, summary_lines
from mlrelease.images.runner import (
    ImageOutcome,
    check_images,
    planned_outcomes,
    refused_tags,
    run_images,
)
from mlrelease.project import Project, load_project

SHORT_SHA = "0000000"  # no git repository here: the planner's commit is all zeros


class FakeEngine:
    """An engine that "builds" by writing an OCI layout made of its inputs, and records builds."""

    name = "fake"

    def __init__(self) -> None:
        self.builds: list[BuildSpec] = []

    def build(self, spec: BuildSpec) -> None:
        self.builds.append(spec)

    def export(self, image: str, layout: Path, ref: str) -> None:
        spec = self.builds[-1]
        assert image == spec.tag
        layer = json.dumps(
            {"dockerfile": spec.dockerfile.read_text(), "args": sorted(spec.build_args)}
        ).encode()
        os_name, arch = spec.platform.split("/")[:2]
        config = json.dumps(
            {
                "architecture": arch,
                "os": os_name,
                "created": iso_time(spec.epoch),
                "config": {"Labels": dict(spec.labels)},
                "rootfs": {"type": "layers", "diff_ids": [sha256_digest(layer)]},
                "history": [{"created": iso_time(spec.epoch), "created_by": "fake build"}],
            }
        ).encode()
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": sha256_digest(config),
                    "size": len(config),
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": sha256_digest(layer),
                        "size": len(layer),
                    }
                ],
                "annotations": dict(spec.annotations),
            }
        ).encode()
        for data in (layer, config, manifest):
            path = layout / "blobs" / "sha256" / hashlib.sha256(data).hexdigest()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        entry = {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": sha256_digest(manifest),
            "size": len(manifest),
            "annotations": {REF_ANNOTATION: ref},
        }
        (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
        (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [entry]}))

    def probe(
        self, image: str, authfile: Path | None, platform: str | None = None
    ) -> PythonInImage:  # pragma: no cover - a project Dockerfile needs no probe
        raise AssertionError("the built-in template is not used here")


class FailingLayout(LayoutTarget):
    """The layout target, gone after ``fail_after`` tags (as a registry that drops out)."""

    fail_after = 1

    def put_manifest(self, image, ref):  # type: ignore[no-untyped-def]
        if not ref.startswith("sha256:"):
            if self.fail_after == 0:
                raise PublishError(f"{self.label} is unreachable")
            self.fail_after -= 1
        super().put_manifest(image, ref)


def make_project(
    root: Path, dockerfile: str = "FROM scratch\nARG VERSION\n", extra: str = ""
) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "1.2.0"\n\n'
        '[[tool.mlrelease.publish.images]]\nname = "demo-app"\ndockerfile = "Dockerfile"\n' + extra
    )
    (root / "Dockerfile").write_text(dockerfile)
    return load_project(root)


def open_targets(plan: ImagesPlan) -> list[LayoutTarget]:
    targets = [TARGET_BACKENDS[steps.kind](steps.image) for steps in plan.images]
    assert all(isinstance(t, LayoutTarget) for t in targets)
    return targets  # type: ignore[return-value]


def publish(
    project: Project, engine: FakeEngine, version: str = "1.2.0"
) -> tuple[ImagesPlan, list[ImageOutcome]]:
    plan = images_plan(project, version, dist=project.root / "dist")
    targets = open_targets(plan)
    checked = check_images(plan, targets)
    return checked, run_images(checked, targets, engine, project=project)


def layout_state(project: Project) -> dict[str, bytes]:
    root = project.output_root / ".mlrelease/images/demo-app"
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def tags_in(project: Project) -> dict[str, str]:
    index = json.loads((project.output_root / ".mlrelease/images/demo-app/index.json").read_text())
    return {e["annotations"][REF_ANNOTATION]: e["digest"] for e in index["manifests"]}


def test_push_then_an_identical_rerun_pushes_nothing(tmp_path: Path) -> None:
    project, engine = make_project(tmp_path), FakeEngine()
    plan, (first,) = publish(project, engine)
    (steps,) = plan.images
    assert steps.kind == "oci-layout"
    assert [(t.tag, t.moving) for t in steps.tags] == [
        ("1.2.0", False), (f"sha-{SHORT_SHA}", False), ("1.2", True), ("latest", True),
    ]  # fmt: skip
    assert all(t.there is None for t in steps.tags)  # nothing there yet: every tag is pushed
    assert first.digest is not None
    assert first.digest_state == "pushed"
    assert first.tags == dict.fromkeys(["1.2.0", f"sha-{SHORT_SHA}", "1.2", "latest"], "pushed")
    assert tags_in(project) == dict.fromkeys(first.tags, first.digest)
    assert LayoutTarget(steps.image.layout).version_at("latest") == "1.2.0"  # type: ignore[arg-type]

    before = layout_state(project)
    plan, (again,) = publish(project, engine)
    assert len(engine.builds) == 2  # built again: the same inputs give the same digest
    assert again.digest == first.digest
    assert [t.action(again.digest, "1.2.0") for t in plan.images[0].tags] == [TagAction.PRESENT] * 4
    assert again.digest_state == "present"
    assert set(again.tags.values()) == {"present"}
    assert not again.changed
    assert layout_state(project) == before  # not one byte written
    lines = summary_lines([again], dry_run=False)
    assert lines[-1].startswith("already published: every image and tag is in place")


def test_a_changed_image_under_a_published_version_is_refused_and_nothing_is_pushed(
    tmp_path: Path,
) -> None:
    project, engine = make_project(tmp_path), FakeEngine()
    _, (published,) = publish(project, engine)
    before = layout_state(project)
    (tmp_path / "Dockerfile").write_text("FROM scratch\nARG VERSION\nLABEL changed=yes\n")
    with pytest.raises(PublishError, match="refusing to move release tags") as info:
        publish(project, engine)
    target = project.output_root / ".mlrelease/images/demo-app"
    assert f"oci:{target}:1.2.0 already points at {published.digest}" in info.value.message
    assert f"oci:{target}:sha-{SHORT_SHA} already points" in info.value.message
    assert "nothing was pushed" in info.value.message
    assert "release a new version" in info.value.hint
    assert layout_state(project) == before  # no blob, no manifest, no tag moved
    assert set(tags_in(project).values()) == {published.digest}


def test_a_half_pushed_release_is_completed_by_a_rerun(tmp_path: Path) -> None:
    project, engine = make_project(tmp_path), FakeEngine()
    plan = images_plan(project, "1.2.0", dist=tmp_path / "dist")
    (steps,) = plan.images
    assert steps.image.layout is not None
    broken = FailingLayout(steps.image.layout)
    with pytest.raises(PublishError, match="unreachable"):
        run_images(check_images(plan, [broken]), [broken], engine, project=project)
    half = tags_in(project)
    assert list(half) == ["1.2.0"]  # the digest and one release tag; no moving tag moved early

    checked, (outcome,) = publish(project, engine)
    now = {t.tag: t.action(outcome.digest or "", "1.2.0") for t in checked.images[0].tags}
    assert now == {
        "1.2.0": TagAction.PRESENT,
        f"sha-{SHORT_SHA}": TagAction.PUSH,
        "1.2": TagAction.PUSH,
        "latest": TagAction.PUSH,
    }
    assert outcome.digest_state == "present"
    assert outcome.tags == {
        "1.2.0": "present", f"sha-{SHORT_SHA}": "pushed", "1.2": "pushed", "latest": "pushed",
    }  # fmt: skip
    assert outcome.changed
    assert tags_in(project) == dict.fromkeys(outcome.tags, outcome.digest)


def test_a_hotfix_of_an_older_line_never_moves_latest_backwards(tmp_path: Path) -> None:
    tags = 'tags = ["{version}", "{major}.{minor}", "latest"]\n'  # one commit here: no {sha}
    project, engine = make_project(tmp_path, extra=tags), FakeEngine()
    _, (two,) = publish(project, engine, version="2.0.0")
    checked, (hotfix,) = publish(project, engine, version="1.9.1")
    latest = next(t for t in checked.images[0].tags if t.tag == "latest")
    assert (latest.there, latest.there_version) == (two.digest, "2.0.0")
    assert hotfix.digest != two.digest
    assert hotfix.tags["latest"] == "kept at 2.0.0 (newer)"
    assert hotfix.tags["1.9"] == "pushed"
    assert tags_in(project)["latest"] == two.digest
    assert tags_in(project)["1.9.1"] == hotfix.digest


def test_the_dry_run_and_the_run_read_one_plan(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    plan = images_plan(project, "1.2.0")
    (dry,) = planned_outcomes(plan)
    assert dry.tags == dict.fromkeys([t.tag for t in plan.images[0].tags], "planned")
    assert "  tag     1.2.0 (planned)" in summary_lines([dry], dry_run=True)
    with pytest.raises(ValueError, match="checked plan"):
        run_images(plan, open_targets(plan), FakeEngine(), project=project)
    assert refused_tags(plan, ["sha256:" + "1" * 64]) == []  # nothing there: nothing refused


def test_mount_sources_are_earlier_images_and_bases_of_the_same_registry(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM --platform=linux/amd64 reg.example.com/ml/base:1 AS b\nFROM other.io/x\nFROM $ARG\n"
    )
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "1.2.0"\n\n'
        '[[tool.mlrelease.publish.images]]\nname = "ml/one"\nregistry = "reg.example.com"\n\n'
        '[[tool.mlrelease.publish.images]]\nname = "ml/two"\nregistry = "reg.example.com"\n'
        'dockerfile = "Dockerfile"\n\n'
        '[[tool.mlrelease.publish.images]]\nname = "local"\n'
    )
    plan = images_plan(load_project(tmp_path), "1.2.0", sbom=True)
    one, two, local = plan.images
    assert (one.kind, two.kind, local.kind) == ("registry", "registry", "oci-layout")
    assert one.reference == "reg.example.com/ml/one"
    assert two.mount_sources == ("ml/one", "ml/base")
    assert local.mount_sources == ()
    assert two.sbom_file == tmp_path / ".mlrelease/sbom/ml_two.cdx.json"


# --- the command's path: plan and check, run, report (a tagged repository, the same fake engine) --


def tagged_project(root: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    make_project(root)
    (root / ".gitignore").write_text(".mlrelease/\n")
    git = ["git", "-c", "user.email=dev@example.com", "-c", "user.name=dev", "-C", str(root)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "feat: first"], check=True)
    subprocess.run([*git, "tag", "-a", "v1.2.0", "-m", "v1.2.0"], check=True)
    # get_engine only finds an engine (the run gets the fake one): a buildah on PATH that never runs.
    shim = root.parent / "bin"
    shim.mkdir()
    (shim / "buildah").write_text("#!/bin/sh\nexit 99\n")
    (shim / "buildah").chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim}:{os.environ['PATH']}")
    monkeypatch.setenv("MLRELEASE_CONTAINER_ENGINE", "buildah")
    return load_project(root)


def test_plan_and_check_then_run_reports_what_a_user_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tagged_project(tmp_path / "proj", monkeypatch)
    sha = subprocess.run(
        ["git", "-C", str(project.root), "rev-parse", "--short=7", "HEAD"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    outputs = tmp_path / "github-output"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))

    dry = images.plan_and_check(project, dist=None, dry_run=True)
    assert dry.engine is None
    assert dry.targets == ()
    images.report(images.run_checked(dry), as_json=False, dry_run=True)
    text = capsys.readouterr().out
    assert text.startswith("dry run: nothing built or pushed\nimage oci:")
    assert "  tag     1.2.0 (planned)\n" in text
    assert not outputs.exists()  # a dry run writes no step output

    checked = images.plan_and_check(project, dist=None)
    assert checked.plan.checked
    assert checked.plan.version == "1.2.0"
    engine = FakeEngine()
    (outcome,) = images.run_checked(dataclasses.replace(checked, engine=engine))
    images.report([outcome], as_json=True, dry_run=False)
    data = json.loads(capsys.readouterr().out)
    target = f"oci:{project.output_root / '.mlrelease/images/demo-app'}"
    assert data["dry-run"] is False
    assert data["digests"] == {target: outcome.digest}
    assert data["images"][0]["tags"] == dict.fromkeys(
        ["1.2.0", f"sha-{sha}", "1.2", "latest"], "pushed"
    )
    assert data["images"][0]["digest-state"] == "pushed"
    digests = json.dumps({target: outcome.digest}, separators=(",", ":"))
    assert outputs.read_text() == f"digests={digests}\n"

    rerun = dataclasses.replace(images.plan_and_check(project, dist=None), engine=engine)
    images.report(images.run_checked(rerun), as_json=False, dry_run=False)
    text = capsys.readouterr().out
    assert f"  digest  {outcome.digest} (present)\n" in text
    assert "  tag     latest (present)\n" in text
    assert text.endswith("already published: every image and tag is in place, nothing was pushed\n")
    assert len(engine.builds) == 2


def test_a_release_tag_is_needed_before_anything_is_checked(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    with pytest.raises(PublishError, match="no release tag points at HEAD") as info:
        images.plan_and_check(project, dist=None)
    assert info.value.hint == images.NO_TAG_HINT
