#!/usr/bin/env bash
# Stage 75, a new repository: `mlrelease new` makes a package with flags only (no prompt without a
# terminal), then the same pipeline runs on it with no hand edit: mlrelease check, a release (tag
# v0.1.0 pushed to a local bare remote), the build, the wheel to the embedded directory feed, and
# `mlrelease update --check` (current: new wrote the render record). Made afresh on every run.
set -euo pipefail
NEW="$DEMO_DIR/demo-model"
NEW_REMOTE="$DEMO_DIR/demo-model-remote.git"
rm -rf "$NEW" "$NEW_REMOTE"
export GIT_AUTHOR_NAME="demo developer" GIT_AUTHOR_EMAIL="dev@demo-model.invalid"
export GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
start=$(date +%s)

echo "-- mlrelease new demo-model (flags only)"
mlrelease new demo-model --dir "$NEW" --description "Feature scaling for the demo" \
  --python ">=3.11" --license MIT --workflows-repo my-org/mlrelease@v1 < /dev/null
cd "$NEW"
git init -q --bare "$NEW_REMOTE"
git remote add origin "$NEW_REMOTE"
git push -q -u origin main
echo
echo "-- mlrelease check"
mlrelease check
echo
echo "-- mlrelease release (the first release: v0.1.0)"
mlrelease release
echo
echo "-- nox -s build, then mlrelease publish wheels (embedded directory feed)"
nox -s build
out="$DEMO_DIR/new-publish.txt"
mlrelease publish wheels | tee "$out"
echo
echo "-- mlrelease update --check"
mlrelease update --check

tag=$(git describe --tags --exact-match HEAD)
uploaded=$(grep -c '^uploaded' "$out" || true)
files="files"; [ "$uploaded" = 1 ] && files="file"
{
  echo "new: mlrelease new demo-model -> check ok, release $tag, $uploaded $files published to .mlrelease/feed, update --check current ($(( $(date +%s) - start )) s)"
} >> "$SUMMARY"
