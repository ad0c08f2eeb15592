"""CycloneDX SBOMs (JSON, spec 1.5) for the released wheel and for each image, and attaching an
image's SBOM to it as an OCI referrer.

The documents are written here (a small writer, no dependency): ``metadata.component`` is what the
SBOM describes (the wheel, or the image by digest), ``components`` its Python packages, each with a
``pkg:pypi/<name>@<version>`` purl that is also its ``bom-ref``. They are deterministic: the same
inputs give the same bytes (sorted components, a serial number derived from the subject, the
release commit's time), so a rerun attaches nothing new.

- The wheel: its dependency closure, resolved by ``pip install --dry-run --ignore-installed
  --report`` of the wheel (nothing is installed; pip's index settings apply), or pins given.
- An image from the built-in template: exactly the wheelhouse pins the image was built from
  (``requirements.txt`` of the wheelhouse) plus the released wheel. From a project Dockerfile: the
  released wheel's dependency closure when the wheel is in dist/ (a note says the Dockerfile may
  install more), else no SBOM, with a note.

Attaching (``mlrelease publish images --sbom``): an OCI 1.1 artifact manifest (``artifactType``
``application/vnd.cyclonedx+json``, the empty config, one layer = the SBOM, ``subject`` = the
image's index or manifest). A registry with the referrers API (ACR, distribution 3, zot) lists it
under ``GET /v2/<name>/referrers/<digest>``; on one without it (CNCF distribution 2.8) the OCI
fallback is kept: the tag ``sha256-<hex of the subject>`` holds an index of the referrers. In the
embedded OCI layout the artifact is an entry of ``index.json`` (no tag) whose manifest names the
subject, as ``oras discover --oci-layout`` reads it.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import uuid
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from packageurl import PackageURL
from packaging.requirements import InvalidRequirement, Requirement

from mlrelease import __version__
from mlrelease._util.console import counted
from mlrelease._util.runner import echo, run
from mlrelease.errors import PublishError, ToolError
from mlrelease.images.build import pip_argv, release_wheel
from mlrelease.images.layout import (
    IMAGE_TYPE,
    Blob,
    LayoutImage,
    blob_path,
    push_by_digest,
    sha256_digest,
)
from mlrelease.images.plan import iso_time, sbom_path

if TYPE_CHECKING:
    from mlrelease.images.layout import LayoutImage, Target
    from mlrelease.images.plan import ImagePlan
    from mlrelease.project import Project

CDX_MEDIA_TYPE = "application/vnd.cyclonedx+json"
EMPTY_MEDIA_TYPE = "application/vnd.oci.empty.v1+json"
SPEC_VERSION = "1.5"

Pin = tuple[str, str]  # (name, version)


def _normalize(name: str) -> str:
    """PEP 503: runs of ``-``, ``_`` and ``.`` become one ``-``, lowercase."""
    return re.sub(r"[-_.]+", "-", name).lower()


def purl(name: str, version: str) -> str:
    """``pkg:pypi/<PEP 503 name>@<version>``, encoded by packageurl-python (the purl spec's own
    rules for the pypi type)."""
    return PackageURL(type="pypi", name=_normalize(name), version=version).to_string()


def pypi_component(name: str, version: str) -> dict[str, Any]:
    ref = purl(name, version)
    return {"type": "library", "bom-ref": ref, "name": name, "version": version, "purl": ref}


def wheel_metadata(wheel: Path) -> tuple[str, str, list[str]]:
    """Name, version and ``Requires-Dist`` of a wheel (read from its METADATA)."""
    try:
        with zipfile.ZipFile(wheel) as zf:
            meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
            text = zf.read(meta).decode("utf-8", "replace")
    except (OSError, zipfile.BadZipFile, StopIteration):
        raise PublishError(
            f"{wheel} is not a readable wheel", hint="pass the .whl built by `nox -s build`"
        ) from None
    head = text.split("\n\n", 1)[0]
    fields: dict[str, list[str]] = {}
    for line in head.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip(), []).append(value.strip())
    name = fields.get("Name", [""])[0]
    version = fields.get("Version", [""])[0]
    return name, version, fields.get("Requires-Dist", [])


def _sha256(path: Path) -> str:

    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_pins(requirements: Path) -> list[Pin]:
    """Exact pins (``name==version`` or ``name===version``) of a requirements file: the
    wheelhouse's, or pip-compile output (``\\`` continuation lines, ``--hash`` options, extras,
    environment markers, comments). Other lines (options, ranges, URLs) are not pins."""
    try:
        data = requirements.read_bytes()
    except OSError as exc:
        raise PublishError(
            f"--requirements {requirements}: cannot be read ({exc.strerror or exc})",
            hint="pass a requirements file of name==version lines (e.g. from pip-compile)",
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = "\0"
    if "\0" in text:
        raise PublishError(
            f"--requirements {requirements}: is not a text file of requirements",
            hint="pass a requirements file of name==version lines (e.g. from pip-compile)",
        )
    pins = []
    for line in _logical_lines(text):
        pin = _pin(line)
        if pin is not None:
            pins.append(pin)
    return pins


def _logical_lines(text: str) -> list[str]:
    """Lines with ``\\`` continuations joined and comments removed (as pip reads them)."""
    lines: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw)
        if line.rstrip().endswith("\\"):
            current += line.rstrip()[:-1] + " "
            continue
        lines.append((current + line).strip())
        current = ""
    if current.strip():
        lines.append(current.strip())
    return [line for line in lines if line]


def _pin(line: str) -> Pin | None:
    if line.startswith("-"):
        return None  # an option: -r, -c, --index-url, --hash on a line of its own
    requirement = re.split(r"\s+--?[A-Za-z]", line, maxsplit=1)[0].strip()  # drop --hash=...
    try:
        req = Requirement(requirement)
    except InvalidRequirement:
        return None
    specs = list(req.specifier)
    if (
        req.url
        or len(specs) != 1
        or specs[0].operator not in ("==", "===")
        or "*" in specs[0].version
    ):
        return None
    return (req.name, specs[0].version)


def resolve_pins(wheel: Path) -> list[Pin]:
    """The wheel's dependency closure for this Python, as pip resolves it for an install (nothing
    is installed: ``pip install --dry-run --ignore-installed --report``)."""

    name, _, _ = wheel_metadata(wheel)
    with tempfile.TemporaryDirectory(prefix="mlrelease-sbom-") as tmp:
        report = Path(tmp) / "report.json"
        argv = [
            *pip_argv(), "install", "--dry-run", "--ignore-installed", "--quiet",
            "--disable-pip-version-check", "--report", str(report),
            # the files built with it (a monorepo's sibling members are not on the index yet)
            "--find-links", str(wheel.absolute().parent),
            "--", str(wheel.absolute()),
        ]  # fmt: skip
        try:
            run(argv, timeout=900)
        except ToolError as exc:
            raise ToolError(
                exc.message,
                hint="the wheel's dependencies must resolve for this Python (pip's index settings "
                "apply: PIP_INDEX_URL, pip.conf); or pass the pins with --requirements",
            ) from None
        data = json.loads(report.read_text())
    pins = []
    for item in data.get("install", []):
        meta = item.get("metadata", {})
        if _normalize(str(meta.get("name", ""))) != _normalize(name):
            pins.append((str(meta["name"]), str(meta["version"])))
    return sorted(pins, key=lambda p: _normalize(p[0]))


def _requirement_names(requires: list[str]) -> set[str]:

    names = set()
    for line in requires:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            names.add(_normalize(req.name))
    return names


def document(
    subject: dict[str, Any],
    pins: list[Pin],
    *,
    direct: set[str],
    timestamp: str | None = None,
    extra: list[dict[str, Any]] | None = None,
    properties: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A CycloneDX 1.5 JSON document: ``subject`` and its packages (deterministic)."""

    unique: dict[str, dict[str, Any]] = {}
    own = _normalize(subject["name"]) if subject.get("type") == "library" else None
    for name, version in pins:  # one entry per package (names compare normalized)
        if _normalize(name) == own:
            continue  # the wheel pinned in its own requirements is the subject, not a component
        unique.setdefault(purl(name, version), pypi_component(name, version))
    for comp in extra or []:
        unique[comp["bom-ref"]] = comp
    components = [unique[k] for k in sorted(unique)]
    metadata: dict[str, Any] = {
        "tools": {
            "components": [{"type": "application", "name": "mlrelease", "version": __version__}]
        },
        "component": subject,
    }
    if timestamp:
        metadata["timestamp"] = timestamp
    if properties:
        metadata["properties"] = [{"name": k, "value": v} for k, v in sorted(properties.items())]
    depends = [c["bom-ref"] for c in components if _normalize(c["name"]) in direct]
    return {
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, subject['bom-ref'])}",
        "version": 1,
        "metadata": metadata,
        "components": components,
        "dependencies": [{"ref": subject["bom-ref"], "dependsOn": depends}],
    }


def wheel_component(wheel: Path) -> dict[str, Any]:
    name, version, _ = wheel_metadata(wheel)
    comp = pypi_component(name, version)
    comp["hashes"] = [{"alg": "SHA-256", "content": _sha256(wheel)}]
    comp["properties"] = [{"name": "mlrelease:file", "value": wheel.name}]
    return comp


def wheel_sbom(wheel_path: Path, resolved_pins: list[Pin]) -> dict[str, Any]:
    """The SBOM of a wheel: the wheel (name, version, SHA-256) and its resolved dependencies."""
    _, _, requires = wheel_metadata(wheel_path)
    return document(wheel_component(wheel_path), resolved_pins, direct=_requirement_names(requires))


def dumps(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, indent=2).encode() + b"\n"


def image_sbom(
    plan: ImagePlan, digest: str, wheel: Path | None, pins: list[Pin], note: str | None = None
) -> dict[str, Any]:
    """The SBOM of an image (by digest): its Python packages and the released wheel."""

    name = plan.name.rsplit("/", 1)[-1]
    ref = f"pkg:oci/{quote(name)}@{quote(digest, safe='')}"
    if plan.registry:
        ref += f"?repository_url={quote(f'{plan.registry}/{plan.name}', safe='/')}"
    subject = {
        "type": "container",
        "bom-ref": ref,
        "name": plan.target,
        "version": plan.version,
        "purl": ref,
        "hashes": [{"alg": "SHA-256", "content": digest.split(":", 1)[1]}],
    }
    extra, direct = [], set()
    if wheel is not None:
        extra.append(wheel_component(wheel))
        direct.add(_normalize(wheel_metadata(wheel)[0]))
    props = {"mlrelease:platforms": ",".join(plan.platforms)}
    if note:
        props["mlrelease:note"] = note
    return document(
        subject,
        pins,
        direct=direct,
        timestamp=iso_time(plan.epoch),
        extra=extra,
        properties=props,
    )


# --- attaching it to the image ------------------------------------------------------------------


def artifact(layout: Path, sbom: bytes, subject: LayoutImage, created: str) -> LayoutImage:
    """An OCI 1.1 artifact manifest for ``sbom`` whose subject is ``subject``, written into
    ``layout`` (the staging layout the image came from)."""

    empty = b"{}"
    blobs = [Blob(sha256_digest(empty), len(empty), EMPTY_MEDIA_TYPE)]
    blobs.append(Blob(sha256_digest(sbom), len(sbom), CDX_MEDIA_TYPE))
    for data, blob in ((empty, blobs[0]), (sbom, blobs[1])):
        path = blob_path(layout, blob.digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    manifest = {
        "schemaVersion": 2,
        "mediaType": IMAGE_TYPE,
        "artifactType": CDX_MEDIA_TYPE,
        "config": {"mediaType": EMPTY_MEDIA_TYPE, "digest": blobs[0].digest, "size": 2},
        "layers": [
            {
                "mediaType": CDX_MEDIA_TYPE,
                "digest": blobs[1].digest,
                "size": blobs[1].size,
                "annotations": {"org.opencontainers.image.title": "sbom.cdx.json"},
            }
        ],
        "subject": {
            "mediaType": subject.media_type,
            "digest": subject.digest,
            "size": len(subject.manifest),
        },
        "annotations": {"org.opencontainers.image.created": created},
    }
    data = json.dumps(manifest, indent=2).encode()
    digest = sha256_digest(data)
    blob_path(layout, digest).write_bytes(data)
    return LayoutImage(layout, data, IMAGE_TYPE, digest, tuple(blobs))


def referrer_descriptor(art: LayoutImage, created: str) -> dict[str, Any]:
    """The descriptor of ``art`` in a referrers list (API answer, fallback tag, layout index)."""
    return {
        "mediaType": art.media_type,
        "digest": art.digest,
        "size": len(art.manifest),
        "artifactType": CDX_MEDIA_TYPE,
        "annotations": {"org.opencontainers.image.created": created},
    }


def image_packages(
    project: Project, plan: ImagePlan, requirements: list[Path], dist: Path
) -> tuple[Path | None, list[Pin], str | None]:
    """The released wheel, the image's Python packages and a note (or why there are none)."""

    try:
        wheel = release_wheel(project, dist, plan.version)
    except PublishError:
        wheel = None
    if plan.dockerfile is None:
        pins = sorted({p for r in requirements for p in read_pins(r)})
        return wheel, pins, None
    if wheel is None:
        return None, [], None
    note = "packages: the released wheel's dependency closure; the Dockerfile may install others"
    return wheel, resolve_pins(wheel), note


def attach_image_sbom(
    project: Project,
    plan: ImagePlan,
    target: Target,
    image: LayoutImage,
    *,
    requirements: list[Path],
    dist: Path,
    sources: tuple[str, ...] = (),
    output: Path | None = None,
) -> dict[str, Any]:
    """Write the image's SBOM to ``output`` (the plan's; by default ``.mlrelease/sbom/``) and attach
    it to the image's digest."""

    wheel, pins, note = image_packages(project, plan, requirements, dist)
    if wheel is None:
        return {
            "note": "no SBOM: a project Dockerfile and no released wheel in "
            f"{dist} to read the packages from"
        }
    doc = image_sbom(plan, image.digest, wheel, pins, note)
    data = dumps(doc)
    out = output or sbom_path(project.root, plan.name)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    created = iso_time(plan.epoch)
    art = artifact(image.layout, data, image, created)
    pushed = push_by_digest(target, art, sources)
    listed = target.attach_referrer(art, image, referrer_descriptor(art, created))
    state = "pushed" if pushed or listed.endswith("(added)") else "present"
    echo(
        f"sbom: {counted(len(doc['components']), 'package')}, {target.label}@{art.digest} ({state})"
    )
    return {
        "file": str(out),
        "digest": art.digest,
        "state": state,
        "referrers": listed,
        "components": len(doc["components"]),
    }


# --- mlrelease sbom -------------------------------------------------------------------------------
