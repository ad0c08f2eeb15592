"""Details a user reads in image output: the created time, build arguments, the SBOM count."""

from __future__ import annotations

import importlib.resources
import json
import zipfile
from pathlib import Path

from mlrelease.images.engines import consumed_build_args, declared_build_args
from mlrelease.images.layout import LayoutImage, LayoutTarget, blob_path, set_created, sha256_digest
from mlrelease.images.plan import ImagePlan, TagPlan, iso_time


def _layout(root: Path, config: dict[str, object]) -> Path:
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    layer, config_bytes = b"layer-bytes", json.dumps(config).encode()
    for data in (layer, config_bytes):
        (blobs / sha256_digest(data)[7:]).write_bytes(data)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"digest": sha256_digest(config_bytes), "size": len(config_bytes)},
            "layers": [{"digest": sha256_digest(layer), "size": len(layer), "mediaType": "l"}],
        }
    ).encode()
    (blobs / sha256_digest(manifest)[7:]).write_bytes(manifest)
    entry = {
        "digest": sha256_digest(manifest),
        "size": len(manifest),
        "annotations": {"org.opencontainers.image.ref.name": "build"},
    }
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [entry]}))
    return root


def _config_of(layout: Path) -> dict[str, object]:
    image = LayoutImage.read(layout, "build")
    manifest = json.loads(image.manifest)
    data: dict[str, object] = json.loads(
        blob_path(layout, manifest["config"]["digest"]).read_text()
    )
    return data


def test_the_image_is_created_at_the_commit_time_not_1970(tmp_path: Path) -> None:
    epoch_1970 = iso_time(0)
    config = {
        "architecture": "amd64",
        "created": epoch_1970,
        "history": [
            {"created": "2024-05-01T10:00:00Z", "created_by": "base image"},
            {"created": epoch_1970, "created_by": "RUN pip install"},
        ],
    }
    commit_time = 1_700_000_000
    layouts = []
    for name in ("a", "b"):
        layout = _layout(tmp_path / name, config)
        before = LayoutImage.read(layout, "build")
        set_created(layout, "build", iso_time(commit_time), replacing=epoch_1970)
        after = LayoutImage.read(layout, "build")
        assert after.digest != before.digest
        assert after.blobs[1:] == before.blobs[1:]  # the layers are untouched
        layouts.append(after)
        data = _config_of(layout)
        assert data["created"] == "2023-11-14T22:13:20Z"
        history = data["history"]
        assert isinstance(history, list)
        assert [h["created"] for h in history] == ["2024-05-01T10:00:00Z", "2023-11-14T22:13:20Z"]
    assert layouts[0].digest == layouts[1].digest  # same commit, same bytes


def test_only_declared_build_args_are_passed() -> None:
    dockerfile = "FROM x\nARG VERSION\narg A=1 B\nRUN echo\n"
    assert declared_build_args(dockerfile) == {"VERSION", "A", "B"}
    used, unused = consumed_build_args(
        dockerfile,
        (("SOURCE_DATE_EPOCH", "5"), ("VERSION", "1.0"), ("B", "2"), ("HTTP_PROXY", "p")),
    )
    assert used == (("VERSION", "1.0"), ("B", "2"), ("HTTP_PROXY", "p"))
    assert unused == ("SOURCE_DATE_EPOCH",)


def test_the_built_in_template_declares_every_argument_mlrelease_passes() -> None:
    template = importlib.resources.files("mlrelease").joinpath("templates/Dockerfile.ml")
    text = template.read_text()
    assert {"BASE_IMAGE", "IMPORT_NAME"} <= declared_build_args(text)
    # buildah passes these for --platform and warns unless each is declared on its own ARG line
    for name in ("TARGETPLATFORM", "TARGETOS", "TARGETARCH"):
        assert f"\nARG {name}\n" in text


def test_image_sbom_component_count_is_a_number(tmp_path: Path) -> None:
    from mlrelease.images.sbom import attach_image_sbom
    from mlrelease.project import load_project

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1.0.0"\n')
    dist = tmp_path / "dist"
    dist.mkdir()
    with zipfile.ZipFile(dist / "demo-1.0.0-py3-none-any.whl", "w") as zf:
        zf.writestr("demo-1.0.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: demo\n"
                    "Version: 1.0.0\nRequires-Dist: six\n\n")  # fmt: skip
    pins = tmp_path / "requirements.txt"
    pins.write_text("six==1.16.0\n")
    plan = ImagePlan(
        name="demo", registry=None, layout=tmp_path / "out", dockerfile=None, context=tmp_path,
        base_image="python:3.12-slim", build_args=(), platforms=("linux/amd64",),
        tags=TagPlan(("1.0.0",), ()), labels=(), epoch=1_700_000_000, version="1.0.0",
    )  # fmt: skip
    image = LayoutImage.read(_layout(tmp_path / "built", {"architecture": "amd64"}), "build")
    result = attach_image_sbom(
        load_project(tmp_path),
        plan,
        LayoutTarget(tmp_path / "out"),
        image,
        requirements=[pins],
        dist=dist,
    )
    assert result["components"] == 2  # six and demo: a number in `publish images --json`
    assert json.loads(json.dumps(result))["components"] == 2
