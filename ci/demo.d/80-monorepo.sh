#!/usr/bin/env bash
# Stage 80, monorepo: the whole pipeline of examples/featurestore-mono (two member packages and the
# model's serving image). First run: a clone with both members released as 0.1.0, then a topic
# branch that changes the feature package: `mlrelease affected` and `matrix` name both members (the
# model depends on the features), both members' tests run, the branch is merged, and one release
# cuts featurestore-features 0.2.0 and featurestore-model 0.1.1 (its requirement raised to
# >=0.2.0) in one commit with two tags; both wheels are built, published to the embedded feed in
# dependency order, and the model's image is built into the embedded OCI layout. A second demo run
# releases nothing and publishes nothing new.
set -euo pipefail
MONO="$DEMO_DIR/featurestore-mono"
MONO_REMOTE="$DEMO_DIR/featurestore-mono-remote.git"

commit() {  # fixed dates, so a fresh demo has the same history
  GIT_AUTHOR_DATE="$1" GIT_COMMITTER_DATE="$1" git commit -q -m "$2"
}

fresh=no
if [ ! -d "$MONO/.git" ]; then
  fresh=yes
  echo "-- making the monorepo clone $MONO (both members released as 0.1.0)"
  rm -rf "$MONO" "$MONO_REMOTE"
  mkdir -p "$MONO"
  (cd "$ROOT/examples/featurestore-mono" && tar --exclude=.nox --exclude=dist --exclude=build \
    --exclude=.mlrelease --exclude=__pycache__ --exclude='*_cache' -cf - .) | tar -C "$MONO" -xf -
  cd "$MONO"
  printf 'dist/\nbuild/\n.nox/\n.mlrelease/\n__pycache__/\n' > .gitignore
  git init -q -b main
  git config user.name "featurestore developer"
  git config user.email "dev@featurestore.invalid"
  git add -A
  commit "2026-11-02T10:00:00Z" "feat: feature transforms and a scoring model"
  git tag -a featurestore-features-v0.1.0 -m "featurestore-features 0.1.0"
  git tag -a featurestore-model-v0.1.0 -m "featurestore-model 0.1.0"
  git init -q --bare "$MONO_REMOTE"
  git remote add origin "$MONO_REMOTE"
  git push -q origin main --tags
  git branch -q --set-upstream-to=origin/main main

  echo
  echo "-- a pull request that changes the feature package"
  git checkout -q -b log-ratio
  cat >> packages/features/src/fs_features/__init__.py <<'PY'


def log_ratio(numerator: float, denominator: float) -> float:
    """``log1p`` of the clipped ratio's magnitude, signed: tames heavy-tailed ratios."""
    import math

    r = ratio(numerator, denominator)
    return math.copysign(math.log1p(abs(r)), r)
PY
  cat >> packages/features/tests/test_features.py <<'PY'


def test_log_ratio_is_signed() -> None:
    from fs_features import log_ratio

    assert log_ratio(0.0, 1.0) == 0.0
    assert log_ratio(-2.0, 1.0) < 0 < log_ratio(2.0, 1.0)
PY
  sed -i 's/__all__ = \["ratio", "zscores"\]/__all__ = ["log_ratio", "ratio", "zscores"]/' \
    packages/features/src/fs_features/__init__.py
  git add -A
  commit "2026-11-09T10:00:00Z" "feat(features): log_ratio for heavy-tailed ratios"
fi

cd "$MONO"
echo
echo "-- mlrelease affected --base main"
mlrelease affected --base main | tee "$DEMO_DIR/mono-affected.txt"
echo
echo "-- mlrelease matrix --base main (what a pull request's CI runs)"
mlrelease matrix --base main | tee "$DEMO_DIR/mono-matrix.json"
sessions=$(python -c "import json,sys; print(' '.join(e['session'] for e in json.load(open(sys.argv[1]))['include']))" "$DEMO_DIR/mono-matrix.json")
if [ -n "$sessions" ]; then
  echo
  echo "-- nox -s $sessions"
  # shellcheck disable=SC2086
  nox -s $sessions
fi

if [ "$(git symbolic-ref --short HEAD)" != main ]; then
  echo
  echo "-- merge the pull request, then release every member with releasable changes"
  git checkout -q main
  git merge -q --ff-only log-ratio
  git push -q origin main
fi
echo
echo "-- mlrelease release (root: every member, dependency order, one commit, atomic push)"
mlrelease release --allow-noop | tee "$DEMO_DIR/mono-release.txt"
git log --oneline --decorate -2
echo
echo "-- nox -s build-featurestore-features build-featurestore-model"
nox -s build-featurestore-features build-featurestore-model

base=$(cd "$ROOT" && python -c "from tests.integration.registry_server import local_base_image; print(local_base_image())")
export MLRELEASE_BASE_IMAGE="$base"
export MLRELEASE_CONTAINER_ENGINE="${MLRELEASE_CONTAINER_ENGINE:-buildah}"
echo
echo "-- mlrelease publish all (each member's wheels in order, then the model's image)"
mlrelease publish all | tee "$DEMO_DIR/mono-publish.txt"

version=$(git tag --points-at HEAD | sed -n 's/^featurestore-model-v//p' | head -1)
layout="$MONO/.mlrelease/images/featurestore-model"
echo
echo "-- the model's image runs and scores with the feature package it depends on"
skopeo copy --quiet "oci:$layout:$version" "containers-storage:localhost/demo/featurestore-model:$version"
ctr=$(buildah from --quiet "localhost/demo/featurestore-model:$version")
trap 'buildah rm "$ctr" >/dev/null' EXIT
ran=$(buildah run --isolation chroot "$ctr" -- python -c "import importlib.metadata as m, fs_model; print(m.version('featurestore-model'), m.version('featurestore-features'), fs_model.score([1.0, 3.0], [1.0, 0.0]))")
echo "$ran"

{
  echo "monorepo: $MONO (affected: $(cut -f1 "$DEMO_DIR/mono-affected.txt" | paste -sd' ' -))"
  echo "  tests: ${sessions:-none}"
  sed 's/^/  /' "$DEMO_DIR/mono-release.txt"
  grep -E 'uploaded|already published|digest' "$DEMO_DIR/mono-publish.txt" | sed 's/^/  /' || true
  echo "  buildah run (chroot): featurestore-model, featurestore-features, score: $ran"
} >> "$SUMMARY"
