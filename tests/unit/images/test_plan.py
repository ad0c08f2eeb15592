"""Image planning: tags from templates, push order, labels, credentials order (no network, no engine)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlrelease.auth import registry as acr
from mlrelease.errors import AuthError, PublishError, ToolError
from mlrelease.images.engines import get_engine
from mlrelease.images.layout import LayoutImage, LayoutTarget, sha256_digest
from mlrelease.images.plan import (
    ReleaseFacts,
    TagPlan,
    https_source,
    is_prerelease,
    oci_labels,
    render_tags,
    tag_fields,
)

SHA = "0123456789abcdef0123456789abcdef01234567"
DEFAULT_TAGS = ("{version}", "{major}.{minor}", "sha-{short_sha}", "latest")


def test_final_release_immutable_tags_first_then_moving() -> None:
    plan = render_tags(DEFAULT_TAGS, "1.2.0", SHA)
    assert plan == TagPlan(immutable=("1.2.0", "sha-0123456"), moving=("1.2", "latest"))


def test_prerelease_never_gets_latest_or_partial_tags() -> None:
    plan = render_tags((*DEFAULT_TAGS, "{major}", "{major}.{minor}.{patch}"), "2.0.0rc1", SHA)
    assert plan.immutable == ("2.0.0rc1", "sha-0123456")
    assert plan.moving == ()
    skipped = [t for t, _ in plan.skipped]
    assert skipped == ["{major}.{minor}", "latest", "{major}", "{major}.{minor}.{patch}"]
    assert all("prerelease" in reason for _, reason in plan.skipped)


def test_semver_spelling_is_normalized_and_duplicates_dropped() -> None:
    assert tag_fields("1.3.0-rc.1", SHA)["version"] == "1.3.0rc1"
    plan = render_tags(("{version}", "{major}.{minor}.{patch}", "v{version}"), "1.3.0", SHA)
    assert plan.immutable == ("1.3.0", "v1.3.0")  # {major}.{minor}.{patch} == {version}: once
    assert is_prerelease("1.3.0rc1")
    assert not is_prerelease("1.3.0")


def test_labels_have_source_revision_version_created_licenses() -> None:
    facts = ReleaseFacts(
        version="1.2.0",
        sha=SHA,
        epoch=1_700_000_000,
        source="https://github.com/o/r",
        licenses="MIT",
    )
    labels = dict(oci_labels(facts, "python:3.12-slim"))
    assert labels == {
        "org.opencontainers.image.version": "1.2.0",
        "org.opencontainers.image.revision": SHA,
        "org.opencontainers.image.created": "2023-11-14T22:13:20Z",
        "org.opencontainers.image.source": "https://github.com/o/r",
        "org.opencontainers.image.licenses": "MIT",
        "org.opencontainers.image.base.name": "python:3.12-slim",
    }


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("git@github.com:contoso/ml.git", "https://github.com/contoso/ml"),
        ("https://user:tok3n@dev.azure.com/org/p/_git/ml", "https://dev.azure.com/org/p/_git/ml"),
        ("/srv/git/ml.git", None),
        (None, None),
    ],
)
def test_source_label_never_carries_credentials(remote: str | None, expected: str | None) -> None:
    assert https_source(remote) == expected


def test_plan_lists_images_and_tags_in_push_order(tmp_path: Path) -> None:
    from mlrelease.images.plan import plan_images
    from mlrelease.project import load_project

    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.4.0"\n\n'
        '[[tool.mlrelease.publish.images]]\nname = "ml/demo"\nregistry = "contosoml.azurecr.io"\n\n'
        '[[tool.mlrelease.publish.images]]\nname = "demo-local"\ntags = ["{version}"]\n'
    )
    data = plan_images(load_project(tmp_path))
    json.dumps(data)  # JSON-able for `mlrelease plan --json`
    first, second = data["images"]
    assert first["target"] == "contosoml.azurecr.io/ml/demo"
    assert first["order"] == ["image by digest", "0.4.0", "sha-0000000", "0.4", "latest"]
    assert second["registry"] is None
    assert second["layout"].endswith(".mlrelease/images/demo-local")
    text = "\n".join(data["summary"])
    assert "no release tag at HEAD" in text
    assert "contosoml.azurecr.io/ml/demo:latest (moving)" in text
    assert "contosoml.azurecr.io/ml/demo:0.4.0 (immutable)" in text


def test_unknown_engine_and_missing_engine_are_clear(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLRELEASE_CONTAINER_ENGINE", "nerdctl-not-here")
    with pytest.raises(ToolError, match="'nerdctl-not-here' is not installed"):
        get_engine()
    monkeypatch.delenv("MLRELEASE_CONTAINER_ENGINE")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ToolError, match="no container engine found") as info:
        get_engine()
    assert "apt-get install buildah" in info.value.hint


def test_registry_credentials_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(acr.USERNAME_ENV, raising=False)
    monkeypatch.delenv(acr.PASSWORD_ENV, raising=False)
    assert acr.registry_credential("127.0.0.1:5000") is None  # anonymous
    monkeypatch.setenv(acr.PASSWORD_ENV, "s3cret-value")
    with pytest.raises(AuthError, match="MLRELEASE_REGISTRY_USERNAME is not"):
        acr.registry_credential("registry.example.com")
    cred = acr.registry_credential("contosoml.azurecr.io")  # a refresh token given directly
    assert cred is not None
    assert cred.username == acr.ACR_USERNAME
    assert "s3cret-value" not in repr(cred)
    monkeypatch.setenv(acr.USERNAME_ENV, "bot")
    cred = acr.registry_credential("registry.example.com")
    assert cred is not None
    assert (cred.username, cred.password) == ("bot", "s3cret-value")


def test_acr_detection_and_tenant_claim() -> None:
    assert acr.is_acr("contosoml.azurecr.io")
    assert not acr.is_acr("azurecr.io.evil.example")
    assert not acr.is_acr("127.0.0.1:5000")
    import base64

    payload = base64.urlsafe_b64encode(b'{"tid": "t-1"}').decode().rstrip("=")
    assert acr.tenant_of(f"eyJhbGciOiJub25lIn0.{payload}.x") == "t-1"
    assert acr.tenant_of("not-a-jwt") is None


def _layout_with_image(root: Path) -> LayoutImage:
    blobs = root / "src" / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    layer, config = b"layer-bytes", b'{"architecture": "amd64"}'
    for data in (layer, config):
        (blobs / sha256_digest(data).split(":")[1]).write_bytes(data)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"digest": sha256_digest(config), "size": len(config), "mediaType": "c"},
            "layers": [{"digest": sha256_digest(layer), "size": len(layer), "mediaType": "l"}],
        }
    ).encode()
    (blobs / sha256_digest(manifest).split(":")[1]).write_bytes(manifest)
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "digest": sha256_digest(manifest),
                "size": len(manifest),
                "annotations": {"org.opencontainers.image.ref.name": "build"},
            }
        ],
    }
    (root / "src" / "index.json").write_text(json.dumps(index))
    return LayoutImage.read(root / "src", "build")


def test_layout_target_tags_by_ref_name_and_moves_only_what_it_is_told(tmp_path: Path) -> None:
    image = _layout_with_image(tmp_path)
    assert image.size == len(b"layer-bytes") + len(b'{"architecture": "amd64"}')
    target = LayoutTarget(tmp_path / "out")
    assert target.digest_of("1.0.0") is None
    for blob in image.blobs:
        target.put_blob(image, blob)
    target.put_manifest(image, image.digest)
    assert target.digest_of(image.digest) == image.digest
    assert target.digest_of("1.0.0") is None  # by digest only: no tag yet
    target.put_manifest(image, "1.0.0")
    target.put_manifest(image, "1.0.0")  # idempotent: one entry
    index = json.loads((tmp_path / "out/index.json").read_text())
    assert [e["annotations"]["org.opencontainers.image.ref.name"] for e in index["manifests"]] == [
        "1.0.0"
    ]
    assert (tmp_path / "out/oci-layout").exists()
    # A layout holding one image gives it whatever its name (BuildKit names entries its own way) ...
    assert LayoutImage.read(tmp_path / "src", "other").digest == image.digest
    # ... but with several, the name must match.
    index_path = tmp_path / "src/index.json"
    index = json.loads(index_path.read_text())
    index["manifests"].append({**index["manifests"][0], "annotations": {}})
    index_path.write_text(json.dumps(index))
    with pytest.raises(PublishError, match="no image named 'nope'"):
        LayoutImage.read(tmp_path / "src", "nope")


@pytest.mark.parametrize(
    ("host", "status", "body", "expected"),
    [
        (
            "contosoml.azurecr.io",
            403,
            b'{"errors":[{"code":"DENIED","message":"client with IP \'20.1.2.3\' is not allowed access"}]}',
            "firewall",
        ),
        ("contosoml.azurecr.io", 403, b'{"errors":[{"code":"DENIED"}]}', "AcrPush"),
        ("contosoml.azurecr.io", 401, b"AADSTS700213: no matching federated identity", "federated"),
        ("registry.example.com", 401, b"", "MLRELEASE_REGISTRY_USERNAME"),
    ],
)
def test_registry_refusals_become_actionable_messages(
    host: str, status: int, body: bytes, expected: str
) -> None:
    from mlrelease.images.registry import RegistryTarget

    target = RegistryTarget(host, "ml/demo", username="u", password="pw-not-shown-123")
    with pytest.raises(AuthError) as info:
        target._raise_auth(status, body)
    assert expected in f"{info.value.message} {info.value.hint}"
    assert "pw-not-shown-123" not in str(info.value)


# --- several platforms: emulation check, the index, the layout target, the SBOM referrer ----------


def _plan(tmp_path: Path, *, dockerfile: Path | None, platforms: tuple[str, ...]):  # type: ignore[no-untyped-def]
    from mlrelease.images.plan import ImagePlan

    return ImagePlan(
        name="ml/app", registry=None, layout=tmp_path / "out", dockerfile=dockerfile,
        context=tmp_path, base_image="python:3.12-slim", build_args=(), platforms=platforms,
        tags=TagPlan(("1.0.0",), ("latest",)),
        labels=(("org.opencontainers.image.version", "1.0.0"),), epoch=1_700_000_000,
        version="1.0.0",
    )  # fmt: skip


def test_foreign_platform_without_emulation_is_refused_before_building(tmp_path: Path) -> None:
    from mlrelease.images.build import can_run, check_emulation, host_architecture

    foreign = "linux/arm64" if host_architecture() != "arm64" else "linux/amd64"
    binfmt = tmp_path / "binfmt_misc"
    binfmt.mkdir()
    assert can_run(f"linux/{host_architecture()}", binfmt)
    assert not can_run(foreign, binfmt)
    qemu = "aarch64" if foreign == "linux/arm64" else "x86_64"
    (binfmt / f"qemu-{qemu}").write_text("enabled\n")
    assert can_run(foreign, binfmt)
    if can_run(foreign):  # this machine has emulation: nothing to refuse
        return
    plan = _plan(tmp_path, dockerfile=None, platforms=(f"linux/{host_architecture()}", foreign))
    with pytest.raises(PublishError, match=f"building {foreign} runs the template's RUN") as info:
        check_emulation(plan)
    assert "qemu-user-static" in info.value.hint
    assert "project Dockerfile" in info.value.hint
    # A project Dockerfile may have no RUN for that platform: the engine decides.
    check_emulation(_plan(tmp_path, dockerfile=tmp_path / "Dockerfile", platforms=plan.platforms))


def _platform_image(layout: Path, arch: str, label: str) -> LayoutImage:
    from mlrelease.images.layout import blob_path

    config = json.dumps(
        {"architecture": arch, "os": "linux", "config": {"Labels": {
            "org.opencontainers.image.version": label}}}
    ).encode()  # fmt: skip
    layer = f"layer for {arch}".encode()
    for data in (config, layer):
        path = blob_path(layout, sha256_digest(data))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"digest": sha256_digest(config), "size": len(config), "mediaType": "c"},
            "layers": [{"digest": sha256_digest(layer), "size": len(layer), "mediaType": "l"}],
        }
    ).encode()
    blob_path(layout, sha256_digest(manifest)).write_bytes(manifest)
    ref = f"build-linux-{arch}"
    index_path = layout / "index.json"
    index = json.loads(index_path.read_text()) if index_path.exists() else {"manifests": []}
    index["manifests"].append(
        {
            "digest": sha256_digest(manifest),
            "size": len(manifest),
            "annotations": {"org.opencontainers.image.ref.name": ref},
        }
    )
    index_path.write_text(json.dumps(index))
    return LayoutImage.read(layout, ref)


def test_two_platform_index_is_reproducible_and_the_layout_keeps_index_manifests_and_sbom(
    tmp_path: Path,
) -> None:
    from mlrelease.images.layout import push_by_digest
    from mlrelease.images.sbom import CDX_MEDIA_TYPE, artifact, referrer_descriptor

    staging = tmp_path / "staging"
    children = [
        _platform_image(staging, "amd64", "1.0.0"),
        _platform_image(staging, "arm64", "1.0.0"),
    ]
    assert [c.platform for c in children] == ["linux/amd64", "linux/arm64"]
    labels = {"org.opencontainers.image.version": "1.0.0"}
    index = LayoutImage.index_of(staging, children, labels)
    assert LayoutImage.index_of(staging, children, labels).digest == index.digest  # reproducible
    data = json.loads(index.manifest)
    assert data["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert [m["platform"] for m in data["manifests"]] == [
        {"architecture": "amd64", "os": "linux"},
        {"architecture": "arm64", "os": "linux"},
    ]
    assert len(index.blobs) == 4  # two configs, two layers
    target = LayoutTarget(tmp_path / "out")
    assert push_by_digest(target, index) is True
    target.put_manifest(index, "1.0.0")
    assert push_by_digest(target, index) is False  # a rerun sends nothing
    for child in children:
        assert target.digest_of(child.digest) == child.digest
    entries = json.loads((tmp_path / "out/index.json").read_text())["manifests"]
    assert entries[0]["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert target.version_at("1.0.0") == "1.0.0"  # read through the index
    # The SBOM: an artifact whose subject is the index, listed in index.json, once.
    art = artifact(staging, b'{"bomFormat": "CycloneDX"}', index, "2023-11-14T22:13:20Z")
    assert push_by_digest(target, art) is True
    desc = referrer_descriptor(art, "2023-11-14T22:13:20Z")
    assert target.attach_referrer(art, index, desc) == "index.json entry (added)"
    assert target.attach_referrer(art, index, desc) == "index.json entry (present)"
    entries = json.loads((tmp_path / "out/index.json").read_text())["manifests"]
    listed = [e for e in entries if e.get("artifactType") == CDX_MEDIA_TYPE]
    assert len(listed) == 1
    manifest = json.loads((tmp_path / "out/blobs/sha256" / art.digest[7:]).read_text())
    assert manifest["subject"]["digest"] == index.digest
    assert manifest["config"]["mediaType"] == "application/vnd.oci.empty.v1+json"
    assert target.digest_of("1.0.0") == index.digest  # the tag still names the image


def test_wheel_sbom_is_cyclonedx_with_purls_and_deterministic(tmp_path: Path) -> None:
    import zipfile

    from mlrelease.images.sbom import dumps, wheel_sbom

    wheel = tmp_path / "demo_pkg-1.2.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(
            "demo_pkg-1.2.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.2.0\nRequires-Dist: numpy>=1.26\n"
            "Requires-Dist: pytest; extra == 'test'\n\nbody\n",
        )
    pins = [("scipy", "1.13.0"), ("NumPy", "2.0.1"), ("numpy", "2.0.1")]
    doc = wheel_sbom(wheel, pins)
    assert dumps(doc) == dumps(wheel_sbom(wheel, pins))
    assert doc["bomFormat"] == "CycloneDX"
    assert doc["specVersion"] == "1.5"
    assert doc["metadata"]["component"]["purl"] == "pkg:pypi/demo-pkg@1.2.0"
    assert [(c["name"], c["version"], c["purl"]) for c in doc["components"]] == [
        ("NumPy", "2.0.1", "pkg:pypi/numpy@2.0.1"),
        ("scipy", "1.13.0", "pkg:pypi/scipy@1.13.0"),
    ]
    assert all(c["bom-ref"] == c["purl"] for c in doc["components"])
    # Direct dependencies (not the test extra): numpy.
    assert doc["dependencies"] == [
        {"ref": "pkg:pypi/demo-pkg@1.2.0", "dependsOn": ["pkg:pypi/numpy@2.0.1"]}
    ]


def test_build_timeout_and_platforms_are_in_the_plan_and_checked(tmp_path: Path) -> None:
    from mlrelease.errors import ConfigError
    from mlrelease.images.plan import plan_images
    from mlrelease.project import load_project

    base = '[project]\nname = "demo"\nversion = "0.4.0"\n\n[[tool.mlrelease.publish.images]]\n'
    (tmp_path / "pyproject.toml").write_text(
        base + 'name = "ml/demo"\nplatforms = ["linux/amd64", "linux/arm64"]\nbuild-timeout = 15\n'
    )
    data = plan_images(load_project(tmp_path))
    (image,) = data["images"]
    assert image["build-timeout-minutes"] == 15
    assert image["platforms"] == ["linux/amd64", "linux/arm64"]
    text = "\n".join(data["summary"])
    assert "an OCI index of linux/amd64, linux/arm64" in text
    (tmp_path / "pyproject.toml").write_text(base + 'name = "ml/demo"\nbuild-timeout = 0\n')
    with pytest.raises(ConfigError) as info:
        load_project(tmp_path)
    assert "build-timeout" in info.value.render()
