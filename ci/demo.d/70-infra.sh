#!/usr/bin/env bash
# Stage 70, infra: the Azure side of keyless publishing as code. `mlrelease infra terraform` writes
# the example's Terraform module (a managed identity, one federated credential per subject the
# workflows present, registry and feed roles, the client and tenant IDs as outputs) into
# $DEMO_DIR/infra; every file is then parsed with python-hcl2 and its resources listed. The demo's
# remote is a local bare repository, so the GitHub repository is named with --repository. A second
# demo run finds the files unchanged.
set -euo pipefail
cd "$EXAMPLE"
out="$DEMO_DIR/infra"

echo "-- mlrelease infra terraform --output $out"
mlrelease infra terraform --repository contoso/driftwatch --output "$out"
echo
echo "-- this repository's entry for a platform team's repositories map (--repo-entry)"
mlrelease infra terraform --repository contoso/driftwatch --repo-entry

echo
echo "-- every file parses as HCL2 (python-hcl2)"
summary=$(python - "$out" <<'PY'
import sys
from pathlib import Path

import hcl2
from hcl2.utils import SerializationOptions

options = SerializationOptions(strip_string_quotes=True, with_comments=False, explicit_blocks=False)
directory = Path(sys.argv[1])
resources, data, outputs, subjects = [], [], [], []
files = sorted(directory.glob("*.tf"))
for path in files:
    with path.open() as fh:
        parsed = hcl2.load(fh, serialization_options=options)
    print(f"  {path.name}: {', '.join(k for k in parsed)}", file=sys.stderr)
    resources += [f"{t}.{n}" for item in parsed.get("resource", []) for t, named in item.items() for n in named]
    data += [f"{t}.{n}" for item in parsed.get("data", []) for t, named in item.items() for n in named]
    outputs += [n for item in parsed.get("output", []) for n in item]
    for item in parsed.get("variable", []):
        for entry in item.get("repositories", {}).get("default", {}).values():
            subjects += list(entry["federated_credentials"].values())
assert resources and subjects, "no resources or no federated credentials in the module"
print(f"  resources: {', '.join(resources)}", file=sys.stderr)
print(f"  subjects: {', '.join(subjects)}", file=sys.stderr)
print(f"infra: {len(files)} Terraform files in {directory} parsed (python-hcl2): {len(resources)} resources, {len(subjects)} federated credentials, outputs {', '.join(outputs)}")
PY
)
echo "$summary"
echo "$summary" >> "$SUMMARY"
