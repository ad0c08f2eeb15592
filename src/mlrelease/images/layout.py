"""OCI image layouts: reading the image an engine exported, and the embedded publishing target.

An OCI image layout (``oci-layout``, ``index.json``, ``blobs/sha256/...``) is what every engine
exports to and what :class:`LayoutTarget` publishes to when no registry is configured
(``.mlrelease/images/<name>``). Tags are ``org.opencontainers.image.ref.name`` annotations, so
``skopeo inspect oci:DIR:TAG`` and ``buildah pull oci:DIR:TAG`` read them.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mlrelease._util import console
from mlrelease._util.runner import echo
from mlrelease.errors import PublishError

MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
REF_ANNOTATION = "org.opencontainers.image.ref.name"
INDEX_TYPE = "application/vnd.oci.image.index.v1+json"
IMAGE_TYPE = "application/vnd.oci.image.manifest.v1+json"


@dataclass(frozen=True)
class Blob:
    digest: str
    size: int
    media_type: str


@dataclass(frozen=True)
class LayoutImage:
    """One image inside an OCI layout: its manifest bytes and every blob it references.

    A multi-platform image is an OCI image index: ``children`` are the per-platform images (pushed
    by digest before the index), ``blobs`` the union of theirs.
    """

    layout: Path
    manifest: bytes
    media_type: str
    digest: str
    blobs: tuple[Blob, ...]  # config first, then layers
    children: tuple[LayoutImage, ...] = ()
    platform: str | None = None  # os/architecture[/variant] of a per-platform image

    @property
    def is_index(self) -> bool:
        return bool(self.children)

    @classmethod
    def index_of(
        cls, layout: Path, children: list[LayoutImage], annotations: dict[str, str]
    ) -> LayoutImage:
        """Write an OCI image index of ``children`` (per-platform images, each in its own layout)
        into ``layout``'s blobs. The JSON is made here, from the children's digests and platforms, in the
        configured order, so the same builds always give the same index digest."""
        entries = []
        for child in children:
            os_name, _, rest = (child.platform or "").partition("/")
            arch, _, variant = rest.partition("/")
            platform = {"architecture": arch, "os": os_name}
            if variant:
                platform["variant"] = variant
            entries.append(
                {
                    "mediaType": child.media_type,
                    "digest": child.digest,
                    "size": len(child.manifest),
                    "platform": platform,
                }
            )
        index: dict[str, Any] = {
            "schemaVersion": 2,
            "mediaType": INDEX_TYPE,
            "manifests": entries,
        }
        if annotations:
            index["annotations"] = dict(sorted(annotations.items()))
        data = json.dumps(index, indent=2, sort_keys=False).encode() + b"\n"
        digest = sha256_digest(data)
        path = blob_path(layout, digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        blobs: dict[str, Blob] = {}
        for child in children:
            for blob in child.blobs:
                blobs.setdefault(blob.digest, blob)
        return cls(layout, data, INDEX_TYPE, digest, tuple(blobs.values()), tuple(children))

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
            platform=_platform_of(blob_path(layout, data["config"]["digest"])),
        )

    @property
    def size(self) -> int:
        """Bytes a pull transfers: config and compressed layers."""
        return sum(b.size for b in self.blobs)

    def blob_file(self, blob: Blob) -> Path:
        return blob_path(self.layout, blob.digest)


def _platform_of(config: Path) -> str | None:
    """``os/architecture[/variant]`` from an image config blob."""
    try:
        data = json.loads(config.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not data.get("architecture"):
        return None
    parts = [str(data.get("os", "linux")), str(data["architecture"])]
    if data.get("variant"):
        parts.append(str(data["variant"]))
    return "/".join(parts)


def normalize_platform(platform: str) -> str:
    """``linux/arm64/v8`` and ``linux/arm64`` name the same platform (as the engines report it)."""
    parts = platform.split("/")
    if len(parts) == 3 and parts[1] == "arm64" and parts[2] == "v8":
        return "/".join(parts[:2])
    return platform


# The OCI digest grammar (image-spec descriptor.md): what a registry's answer may put in a URL path.
_DIGEST_RE = re.compile(r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")


def first_manifest(manifest: bytes) -> str | None:
    """The first platform's manifest digest of an image index (None for anything else)."""
    try:
        data = json.loads(manifest)
        digest = data["manifests"][0]["digest"]
    except (ValueError, KeyError, TypeError, IndexError):
        return None
    return digest if isinstance(digest, str) and _DIGEST_RE.fullmatch(digest) else None


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
    return digest if isinstance(digest, str) and _DIGEST_RE.fullmatch(digest) else None


def version_label(config: bytes) -> str | None:
    """``org.opencontainers.image.version`` from an image config blob."""
    try:
        labels = json.loads(config).get("config", {}).get("Labels") or {}
    except (ValueError, AttributeError):
        return None
    if not isinstance(labels, dict):
        return None
    value = labels.get("org.opencontainers.image.version")
    return value if isinstance(value, str) else None


def set_created(layout: Path, ref: str, created: str, *, replacing: str) -> None:
    """Give the image ``ref`` of ``layout`` the created time ``created`` (RFC 3339).

    The engines build with constant file times (reproducible layers, see
    :data:`mlrelease.images.build.LAYER_TIMESTAMP`), which also makes the config's ``created``
    that constant (1970). The config's ``created``, and its history entries at ``replacing``,
    are rewritten to the commit's time; the layers are untouched, the manifest and the index entry
    point at the new config. Same commit, same bytes: the digest stays reproducible.
    """
    index_path = layout / "index.json"
    index = json.loads(index_path.read_text())
    entries = index.get("manifests", [])
    named = [e for e in entries if e.get("annotations", {}).get(REF_ANNOTATION) == ref]
    entry = named[-1] if named else entries[0] if len(entries) == 1 else None
    if entry is None:
        return
    manifest = json.loads(blob_path(layout, entry["digest"]).read_bytes())
    if "config" not in manifest:
        return
    config = json.loads(blob_path(layout, manifest["config"]["digest"]).read_bytes())
    config["created"] = created
    for step in config.get("history", []):
        if step.get("created") == replacing:
            step["created"] = created
    new_config = json.dumps(config, separators=(",", ":")).encode()
    manifest["config"] = {
        **manifest["config"],
        "digest": _write_blob(layout, new_config),
        "size": len(new_config),
    }
    new_manifest = json.dumps(manifest, separators=(",", ":")).encode()
    entry["digest"] = _write_blob(layout, new_manifest)
    entry["size"] = len(new_manifest)
    index_path.write_text(json.dumps(index))


def _write_blob(layout: Path, data: bytes) -> str:
    digest = sha256_digest(data)
    path = blob_path(layout, digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return digest


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Target(Protocol):
    label: str

    def check(self) -> None: ...

    def pull_credentials(self) -> tuple[str | None, str | None]:
        """(user, password) the engine may pull base images with from this target, if any."""
        ...

    def digest_of(self, ref: str) -> str | None: ...

    def has_blob(self, digest: str) -> bool: ...

    def version_at(self, ref: str) -> str | None: ...

    def put_blob(self, image: LayoutImage, blob: Blob, *, sources: tuple[str, ...] = ()) -> str: ...

    def put_manifest(self, image: LayoutImage, ref: str) -> None: ...

    def attach_referrer(
        self, artifact: LayoutImage, subject: LayoutImage, descriptor: dict[str, Any]
    ) -> str: ...


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

    def pull_credentials(self) -> tuple[str | None, str | None]:
        return None, None  # a directory: nothing to sign in to

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
        manifest = blob_path(self.root, digest).read_bytes()
        child = first_manifest(manifest)
        if child is not None and blob_path(self.root, child).exists():
            manifest = blob_path(self.root, child).read_bytes()
        config = config_digest(manifest)
        if config is None or not blob_path(self.root, config).exists():
            return None
        return version_label(blob_path(self.root, config).read_bytes())

    def put_blob(
        self,
        image: LayoutImage,
        blob: Blob,
        *,
        sources: tuple[str, ...] = (),
        progress: console.Progress | None = None,
    ) -> str:
        dest = blob_path(self.root, blob.digest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(dest.name + ".partial")
        if progress is None:
            progress = console.progress(f"copying {blob.digest[:19]}", blob.size)
        with image.blob_file(blob).open("rb") as src, tmp.open("wb") as out:
            reader = console.CountedReader(src, blob.size, progress)
            shutil.copyfileobj(reader, out, 1 << 20)
        tmp.replace(dest)
        return "copied"

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

    def attach_referrer(
        self, artifact: LayoutImage, subject: LayoutImage, descriptor: dict[str, Any]
    ) -> str:
        """List ``artifact`` (pushed by digest, its manifest names ``subject``) in index.json,
        untagged, as OCI tools find referrers in a layout."""
        index = self._index()
        entries = index.setdefault("manifests", [])
        if any(e.get("digest") == artifact.digest for e in entries):
            return "index.json entry (present)"
        entries.append(descriptor)
        self._write_index(index)
        return "index.json entry (added)"


def push_by_digest(target: Target, image: LayoutImage, sources: tuple[str, ...] = ()) -> bool:
    """Blobs, then each platform's manifest (an index's children), then the manifest itself, all
    by digest; False when it was already there (nothing sent)."""
    if target.digest_of(image.digest) == image.digest:
        return False
    for owner in image.children or (image,):  # each platform's blobs are in its own layout
        for blob in owner.blobs:
            if not target.has_blob(blob.digest):
                how = target.put_blob(owner, blob, sources=sources)
                echo(
                    f"  {how} {blob.digest[:19]} ({console.human_size(blob.size)}) to {target.label}"
                )
    for child in image.children:
        if target.digest_of(child.digest) != child.digest:
            target.put_manifest(child, child.digest)
            echo(f"pushed {target.label}@{child.digest} ({child.platform})")
    target.put_manifest(image, image.digest)
    return True
