"""OCI image layouts: reading the image an engine exported, and the embedded publishing target.

An OCI image layout (``oci-layout``, ``index.json``, ``blobs/sha256/...``) is what every engine
exports to and what :class:`LayoutTarget` publishes to when no registry is configured
(``.mlrelease/images/<name>``). Tags are ``org.opencontainers.image.ref.name`` annotations, so
``skopeo inspect oci:DIR:TAG`` and ``buildah pull oci:DIR:TAG`` read them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mlrelease.errors import PublishError

MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
REF_ANNOTATION = "org.opencontainers.image.ref.name"


@dataclass(frozen=True)
class Blob:
    digest: str
    size: int
    media_type: str


@dataclass(frozen=True)
class LayoutImage:
    """One image inside an OCI layout: its manifest bytes and every blob it references."""

    layout: Path
    manifest: bytes
    media_type: str
    digest: str
    blobs: tuple[Blob, ...]  # config first, then layers

    @classmethod
    def read(cls, layout: Path, ref: str) -> LayoutImage:
        index = json.loads((layout / "index.json").read_text())
        entries = index.get("manifests", [])
        named = [e for e in entries if e.get("annotations", {}).get(REF_ANNOTATION) == ref]
        if named:
            digest = named[-1]["digest"]
        elif len(entries) == 1:  # BuildKit names the entry after its own idea of the tag
            digest = entries[0]["digest"]
        else:
            raise PublishError(f"{layout}: no image named {ref!r} in the OCI layout")
        manifest = blob_path(layout, digest).read_bytes()
        data = json.loads(manifest)
        if "layers" not in data:
            raise PublishError(
                f"{layout}: {digest} is an index; one platform per image is supported"
            )
        blobs = [data["config"], *data["layers"]]
        return cls(
            layout,
            manifest,
            data.get("mediaType", MANIFEST_TYPES[0]),
            digest,
            tuple(Blob(b["digest"], int(b["size"]), b.get("mediaType", "")) for b in blobs),
        )

    @property
    def size(self) -> int:
        """Bytes a pull transfers: config and compressed layers."""
        return sum(b.size for b in self.blobs)

    def blob_file(self, blob: Blob) -> Path:
        return blob_path(self.layout, blob.digest)


def blob_path(layout: Path, digest: str) -> Path:
    algo, _, hexdigest = digest.partition(":")
    return layout / "blobs" / algo / hexdigest


def config_digest(manifest: bytes) -> str | None:
    """The config blob of an image manifest (None for an index or garbage)."""
    try:
        data = json.loads(manifest)
        digest = data["config"]["digest"]
    except (ValueError, KeyError, TypeError):
        return None
    return digest if isinstance(digest, str) else None


def version_label(config: bytes) -> str | None:
    """``org.opencontainers.image.version`` from an image config blob."""
    try:
        labels = json.loads(config).get("config", {}).get("Labels") or {}
    except (ValueError, AttributeError):
        return None
    value = labels.get("org.opencontainers.image.version")
    return value if isinstance(value, str) else None


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Target(Protocol):
    label: str

    def check(self) -> None: ...

    def digest_of(self, ref: str) -> str | None: ...

    def has_blob(self, digest: str) -> bool: ...

    def version_at(self, ref: str) -> str | None: ...

    def put_blob(self, image: LayoutImage, blob: Blob) -> None: ...

    def put_manifest(self, image: LayoutImage, ref: str) -> None: ...


# --- the embedded target: an OCI image layout directory ----------------------------------------


@dataclass
class LayoutTarget:
    """``.mlrelease/images/<name>``: an OCI image layout, tags as ``ref.name`` annotations.

    Readable by every OCI tool: ``skopeo inspect oci:DIR:TAG``, ``buildah pull oci:DIR:TAG``,
    ``docker buildx imagetools`` / ``oras`` / ``crane``.
    """

    root: Path
    label: str = ""

    def __post_init__(self) -> None:
        self.label = f"oci:{self.root}"

    def _index(self) -> dict[str, Any]:
        path = self.root / "index.json"
        if not path.exists():
            return {"schemaVersion": 2, "manifests": []}
        data: dict[str, Any] = json.loads(path.read_text())
        return data

    def _write_index(self, index: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
        tmp = self.root / "index.json.tmp"
        tmp.write_text(json.dumps(index, indent=2) + "\n")
        tmp.replace(self.root / "index.json")

    def check(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def digest_of(self, ref: str) -> str | None:
        for entry in self._index().get("manifests", []):
            if ref.startswith("sha256:"):
                if entry.get("digest") == ref and blob_path(self.root, ref).exists():
                    return ref
            elif entry.get("annotations", {}).get(REF_ANNOTATION) == ref:
                return str(entry["digest"])
        if ref.startswith("sha256:") and blob_path(self.root, ref).exists():
            return ref
        return None

    def has_blob(self, digest: str) -> bool:
        return blob_path(self.root, digest).exists()

    def version_at(self, ref: str) -> str | None:
        digest = self.digest_of(ref)
        if digest is None or not blob_path(self.root, digest).exists():
            return None
        config = config_digest(blob_path(self.root, digest).read_bytes())
        if config is None or not blob_path(self.root, config).exists():
            return None
        return version_label(blob_path(self.root, config).read_bytes())

    def put_blob(self, image: LayoutImage, blob: Blob) -> None:
        dest = blob_path(self.root, blob.digest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".partial")
        shutil.copyfile(image.blob_file(blob), tmp)
        tmp.replace(dest)

    def put_manifest(self, image: LayoutImage, ref: str) -> None:
        dest = blob_path(self.root, image.digest)
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(image.manifest)
        if ref.startswith("sha256:"):
            return
        index = self._index()
        kept = [
            e
            for e in index.get("manifests", [])
            if e.get("annotations", {}).get(REF_ANNOTATION) != ref
        ]
        kept.append(
            {
                "mediaType": image.media_type,
                "digest": image.digest,
                "size": len(image.manifest),
                "annotations": {REF_ANNOTATION: ref},
            }
        )
        index["manifests"] = kept
        self._write_index(index)
