#!/usr/bin/env bash
# Stage 60, images: build the example's container image from the released wheel (stage 30's dist/)
# with the built-in multi-stage template, and write it to the embedded OCI image layout
# (.mlrelease/images/driftwatch: no registry is configured). The base image is bookworm + python3,
# made here by mmdebstrap from the machine's apt sources (cached; the tests use the same one), given
# through MLRELEASE_BASE_IMAGE. Then the image is run (buildah, chroot) and imports the package at
# the released version. A second demo run rebuilds to the same digest and pushes nothing.
set -euo pipefail
cd "$EXAMPLE"
out="$DEMO_DIR/publish-images.txt"

echo "-- the base image (bookworm + python3 by mmdebstrap, cached under ~/.cache/mlrelease-tests)"
base=$(cd "$ROOT" && python -c "from tests.integration.registry_server import local_base_image; print(local_base_image())")
echo "$base"
export MLRELEASE_BASE_IMAGE="$base"
export MLRELEASE_CONTAINER_ENGINE="${MLRELEASE_CONTAINER_ENGINE:-buildah}"

echo
echo "-- mlrelease plan --stage images"
mlrelease plan --stage images | sed -n '/^stage images:/,$p'
echo
echo "-- mlrelease publish images"
mlrelease publish images | tee "$out"

version=$(git tag --points-at HEAD | sed -n 's/^v//p' | head -1)
layout="$EXAMPLE/.mlrelease/images/driftwatch"
echo
echo "-- the image in the OCI layout runs and imports driftwatch $version"
# (buildah cannot name an image after a layout path: copy it into local storage under a name first)
skopeo copy --quiet "oci:$layout:$version" "containers-storage:localhost/demo/driftwatch:$version"
ctr=$(buildah from --quiet "localhost/demo/driftwatch:$version")
trap 'buildah rm "$ctr" >/dev/null' EXIT
ran=$(buildah run --isolation chroot "$ctr" -- sh -c 'id -un; python -c "import driftwatch, importlib.metadata as m; print(m.version(\"driftwatch\"))"')
echo "$ran"
test "$(echo "$ran" | tail -1)" = "$version"

{
  echo "images: driftwatch $version -> oci:$layout (embedded OCI layout)"
  grep -E '^  (digest|size|tag) ' "$out" | sed 's/^  /  /'
  grep -E '^already published' "$out" | sed 's/^/  /' || true
  echo "  buildah run (chroot) as $(echo "$ran" | head -1): import driftwatch $version ok"
} >> "$SUMMARY"
