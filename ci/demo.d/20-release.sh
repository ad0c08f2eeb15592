#!/usr/bin/env bash
# Stage 20, versioning: the next version of the example and why, the dry run of its release, then a
# real release on the throwaway clone $EXAMPLE (stamp, Keep a Changelog section, commit, tag, atomic
# push to its bare remote $REMOTE). A second demo run has nothing new to release: --allow-noop makes
# that a clean exit 0 and HEAD keeps its release tag, which the publish stages key on.
set -euo pipefail
cd "$EXAMPLE"

echo "-- mlrelease version (the next version and the commits that decide it)"
mlrelease version
echo
echo "-- mlrelease release --dry-run (every step, nothing changed)"
before=$(git rev-parse HEAD)
mlrelease release --dry-run --allow-noop
test "$(git rev-parse HEAD)" = "$before" || { echo "dry run changed HEAD" >&2; exit 1; }
echo
echo "-- mlrelease release --allow-noop"
mlrelease release --allow-noop
echo
echo "-- mlrelease release --verify-tag (what CI runs on a tag push)"
mlrelease release --verify-tag

read -r version tag < <(mlrelease -q release --verify-tag --json \
  | python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["version"], d["tag"])')
on_remote=$(git -C "$REMOTE" rev-parse --verify --quiet "refs/tags/$tag^{commit}" || true)
test "$on_remote" = "$(git rev-parse HEAD)" || { echo "tag $tag is not on the remote at HEAD" >&2; exit 1; }
echo "release: driftwatch $version, tag $tag at ${on_remote:0:8} on the remote (CHANGELOG.md updated)" >> "$SUMMARY"
