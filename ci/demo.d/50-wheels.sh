#!/usr/bin/env bash
# Stage 50, wheels: publish the example's wheel and sdist (built by stage 30) to the embedded PEP 503
# directory feed (no feed is configured: .mlrelease/feed), then run the install line publish printed
# (the one the docs give: the feed as --find-links, dependencies from the default index) in a fresh
# venv and import it. A second demo run reports "already published" for both files.
set -euo pipefail
cd "$EXAMPLE"
out="$DEMO_DIR/publish-wheels.txt"
mlrelease publish wheels | tee "$out"

install=$(sed -n 's/^install: //p' "$out")
[ -n "$install" ] || { echo "publish wheels printed no install line" >&2; exit 1; }
name=${install##* }; name=${name%%==*}; version=${install##*==}
import_name=$(echo "$name" | tr '-' '_' | tr '[:upper:]' '[:lower:]')
index="file://$EXAMPLE/.mlrelease/feed/simple/"

venv="$DEMO_DIR/wheels-venv"
rm -rf "$venv"
python -m venv "$venv"
# Exactly the printed command ("pip install ..."), with the fresh venv's pip.
read -r -a argv <<< "${install#pip install }"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-cache-dir "${argv[@]}"
"$venv/bin/python" -c "import $import_name; print('imported $import_name', getattr($import_name, '__version__', '$version'), 'from the embedded feed')"

{
  echo "wheels: $(grep -c '^uploaded' "$out" || true) uploaded, $(grep -c '^already published' "$out" || true) already published -> $index"
  grep -E '^(uploaded|already published)' "$out" | sed 's/^/  /'
  echo "  $install (as printed) in a fresh venv: import $import_name ok"
} >> "$SUMMARY"
