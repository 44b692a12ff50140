// Re-renders stored runs with the current report code (ratios, efficiency, goals, markdown), without measuring:
//   tsx bench/e2e/render.ts bench/results/<name>.json [...]
import { readFileSync, writeFileSync } from "node:fs";
import { derive, type StoredRun } from "./derive";

for (const file of process.argv.slice(2)) {
  const { json, markdown } = derive(JSON.parse(readFileSync(file, "utf8")) as StoredRun);
  writeFileSync(file, `${JSON.stringify(json, null, 1)}\n`);
  writeFileSync(file.replace(/\.json$/, ".md"), markdown);
  process.stderr.write(`re-rendered ${file}\n`);
}
