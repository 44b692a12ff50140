// Writes generated configs as wrangler.jsonc files (JSON with comments; wrangler 4 reads them for `dev`,
// `deploy` and several `-c` at once), with a header saying where they came from and the reason for the
// compatibility date kept next to it.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { GeneratedWorker } from "./generate";

const COMPAT_REASON = [
  "// workerd 1.20260426 (wrangler 4.86) supports dates up to its release. Keep it before 2026-08-04, when",
  "// nodejs_compat becomes the default: onnxruntime-web's glue takes its Node code path when it sees",
  "// process.versions.node, and that path cannot work in workerd.",
];

export function renderConfig(w: GeneratedWorker, header: string[]): string {
  const lines = JSON.stringify(w.config, null, 2).split("\n");
  const out: string[] = header.map((h) => `// ${h}`);
  for (const line of lines) {
    if (line.startsWith('  "compatibility_date"')) out.push(...COMPAT_REASON.map((c) => `  ${c}`));
    out.push(line);
  }
  return `${out.join("\n")}\n`;
}

export interface WrittenConfigs {
  /** The API Worker's config: the first `-c` of `wrangler dev` (the Worker that gets the port). */
  api: string;
  /** Stage configs in manifest order. */
  stages: string[];
}

/** Writes every config into `dir`, removing configs of stages a previous split had and this one has not. */
export function writeConfigs(dir: string, workers: GeneratedWorker[], header: string[]): WrittenConfigs {
  mkdirSync(dir, { recursive: true });
  const keep = new Set(workers.map((w) => w.file));
  for (const f of readdirSync(dir)) {
    if (f.endsWith(".jsonc") && !keep.has(f)) rmSync(join(dir, f));
  }
  for (const w of workers) writeFileSync(join(dir, w.file), renderConfig(w, header));
  const api = workers.find((w) => w.kind === "api");
  if (!api) throw new Error("no API Worker among the generated configs");
  return {
    api: join(dir, api.file),
    stages: workers.filter((w) => w.kind === "stage").map((w) => join(dir, w.file)),
  };
}
