#!/usr/bin/env bash
# Stage 50, wheels: publish the example's wheel and sdist (built by stage 30) to the embedded PEP 503
# directory feed (no feed is configured: .mlrelease/feed), then install the wheel from that feed
# into a fresh venv with `pip install --index-url file://...` and import it. A second demo run
# reports "already published" for both files.
set -euo pipefail
cd "$EXAMPLE"
out="$DEMO_DIR/publish-wheels.txt"
mlrelease publish wheels | tee "$out"

# name, version and runtime requirements, read from the built wheel's metadata
read -r name version deps < <(python - dist <<'PY'
import sys, zipfile
from email.parser import HeaderParser
from pathlib import Path
from packaging.requirements import Requirement
wheel = next(Path(sys.argv[1]).glob("*.whl"))
with zipfile.ZipFile(wheel) as zf:
    meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
    msg = HeaderParser().parsestr(zf.read(meta).decode())
reqs = [Requirement(r) for r in msg.get_all("Requires-Dist") or []]
deps = [str(r) for r in reqs if r.marker is None or r.marker.evaluate({"extra": ""})]
print(msg["Name"], msg["Version"], ",".join(deps))
PY
)
import_name=$(echo "$name" | tr '-' '_' | tr '[:upper:]' '[:lower:]')
index="file://$EXAMPLE/.mlrelease/feed/simple/"

venv="$DEMO_DIR/wheels-venv"
rm -rf "$venv"
python -m venv "$venv"
# The package comes from the embedded feed alone (--index-url, never --extra-index-url: RELIABILITY
# item 18); its third-party dependencies are installed from the default index first.
if [ -n "$deps" ]; then
  IFS=',' read -r -a dep_list <<< "$deps"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "${dep_list[@]}"
fi
env -u PIP_EXTRA_INDEX_URL -u PIP_FIND_LINKS "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-cache-dir \
  --index-url "$index" "$name==$version"
"$venv/bin/python" -c "import $import_name; print('imported $import_name', getattr($import_name, '__version__', '$version'), 'from the embedded feed')"

{
  echo "wheels: $(grep -c '^uploaded' "$out" || true) uploaded, $(grep -c '^already published' "$out" || true) already published -> $index"
  grep -E '^(uploaded|already published)' "$out" | sed 's/^/  /'
  echo "  pip install --index-url $index $name==$version in a fresh venv: import $import_name ok"
} >> "$SUMMARY"
