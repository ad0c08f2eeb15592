#!/usr/bin/env bash
# Stage 30, build: `nox -s build` at the release commit (sdist + wheel once into dist/, with
# SOURCE_DATE_EPOCH from that commit, then twine check --strict and check-wheel-contents). A second
# demo run rebuilds the same commit and must produce byte-identical files: the publish stage then
# finds them already published.
set -euo pipefail
cd "$EXAMPLE"
tag=$(git tag --points-at HEAD | head -1)
before=""
if compgen -G "dist/*" >/dev/null; then
  before=$(cd dist && sha256sum -- * | sort)
fi
echo "-- nox -s build (HEAD $(git rev-parse --short HEAD)${tag:+, tag $tag})"
nox -s build
after=$(cd dist && sha256sum -- * | sort)
if [ -n "$before" ]; then
  if [ "$before" = "$after" ]; then
    echo "rebuild of the same commit is byte-identical to the previous build"
  else
    echo "note: dist/ differs from the previous build (HEAD moved since then)"
  fi
fi
{
  echo "build: ${tag:-untagged HEAD} -> $EXAMPLE/dist"
  echo "$after" | while read -r sum name; do echo "  $name  sha256 $sum"; done
  echo "reports: $(ls "$EXAMPLE"/build/reports/*.xml | paste -sd' ' -)"
  echo "docs: $EXAMPLE/build/docs/html/index.html"
} >> "$SUMMARY"
