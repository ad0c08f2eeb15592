#!/usr/bin/env bash
# Stage 10, checks: make the demo's working copy of the example (first run only: a git clone with a
# short conventional-commit history, tag v0.1.0 on an early commit, a local bare remote), then run
# the shared nox sessions there: lint, tests (every configured Python), docs. The build session runs
# in stage 30, after stage 20 has cut the release.
set -euo pipefail

commit() {  # commit everything staged with a fixed date, so a fresh demo has the same history
  GIT_AUTHOR_DATE="$1" GIT_COMMITTER_DATE="$1" git commit -q -m "$2"
}

if [ ! -d "$EXAMPLE/.git" ]; then
  echo "-- making the example clone $EXAMPLE (history: v0.1.0, then a feat and a fix)"
  rm -rf "$EXAMPLE" "$REMOTE"
  mkdir -p "$EXAMPLE"
  (cd "$ROOT/examples/driftwatch" && tar --exclude=.nox --exclude=dist --exclude=build \
    --exclude=reports --exclude=__pycache__ --exclude='*_cache' -cf - .) | tar -C "$EXAMPLE" -xf -
  cd "$EXAMPLE"
  git init -q -b main
  git config user.name "driftwatch developer"
  git config user.email "dev@driftwatch.invalid"
  # v0.1.0: no docs yet, and psi() still puts a constant reference into a single bin.
  mv docs /tmp/driftwatch-docs.$$
  cp src/driftwatch/stats.py /tmp/driftwatch-stats.$$
  python3 - <<'PY'
from pathlib import Path
p = Path("src/driftwatch/stats.py")
s = p.read_text()
s = s.replace(
    "        edges = np.array([-np.inf, edges[0] - 0.5, edges[0] + 0.5, np.inf])\n    else:\n        edges[0], edges[-1] = -np.inf, np.inf\n",
    "        edges = np.array([edges[0] - 0.5, edges[0] + 0.5])\n    edges[0], edges[-1] = -np.inf, np.inf\n",
)
p.write_text(s)
PY
  git add -A
  commit "2026-11-02T10:00:00Z" "feat: KS test, PSI and a windowed drift monitor"
  git tag -a v0.1.0 -m "driftwatch 0.1.0"
  mv /tmp/driftwatch-docs.$$ docs
  git add -A
  commit "2026-11-09T10:00:00Z" "feat: Sphinx documentation with an API reference"
  mv /tmp/driftwatch-stats.$$ src/driftwatch/stats.py
  git add -A
  commit "2026-11-16T10:00:00Z" "fix: a constant reference gets bins on both sides in psi()"
  git init -q --bare "$REMOTE"
  git remote add origin "$REMOTE"
  git push -q origin main --tags
  git branch -q --set-upstream-to=origin/main main
fi

cd "$EXAMPLE"
git log --oneline --decorate | head -5
echo
echo "-- nox -l (the three-line noxfile; sessions come from [tool.mlrelease])"
nox -l
echo
echo "-- nox -s lint tests docs"
nox -s lint tests docs
{
  echo "checks: lint, $(ls build/reports/junit-*.xml | sed 's|build/reports/junit-||; s|\.xml||' | sed 's/^/tests-/' | paste -sd, - | sed 's/,/, /g'), docs passed in $EXAMPLE"
} >> "$SUMMARY"
