// The objects a split model becomes in R2/KV: every file the manifest lists (with the sha256 it records) under
// the model prefix, and manifest.json itself, always last so that a reader never finds a manifest whose files
// are not all there yet.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SPLIT_FORMAT, type SplitManifest } from "../model-splitter/manifest";

export interface ModelObject {
  /** Object key: prefix + path in the split folder. */
  key: string;
  /** Local file. */
  file: string;
  bytes: number;
  sha256: string;
}

export function readManifest(splitDir: string): SplitManifest {
  const m = JSON.parse(readFileSync(join(splitDir, "manifest.json"), "utf8")) as SplitManifest;
  if (m.format !== SPLIT_FORMAT) {
    throw new Error(
      `${splitDir}/manifest.json is not a split manifest (${SPLIT_FORMAT}); make one with npm run split`,
    );
  }
  return m;
}

/**
 * A prefix that names the content: the model id and a hash of every file's path and sha256. Re-deploying the
 * same split finds its objects in place; a different split goes to a new prefix, so Workers still running the
 * old one never read a mix of both.
 */
export function contentPrefix(m: SplitManifest, root = "staged/"): string {
  const h = createHash("sha256");
  for (const f of [...m.files].sort((a, b) => (a.path < b.path ? -1 : 1)))
    h.update(`${f.path}\0${f.sha256}\0`);
  const slug = m.model.id
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return `${root}${slug}-${m.model.quantization}-${h.digest("hex").slice(0, 12)}/`;
}

export function modelObjects(splitDir: string, m: SplitManifest, prefix: string): ModelObject[] {
  const files = m.files.map((f) => ({
    key: prefix + f.path,
    file: join(splitDir, f.path),
    bytes: f.bytes,
    sha256: f.sha256,
  }));
  const manifestBytes = readFileSync(join(splitDir, "manifest.json"));
  files.push({
    key: `${prefix}manifest.json`,
    file: join(splitDir, "manifest.json"),
    bytes: manifestBytes.length,
    sha256: createHash("sha256").update(manifestBytes).digest("hex"),
  });
  return files;
}

/** The objects the API Worker reads itself (manifest, tokenizer, configs): everything no stage graph lists. */
export function apiObjects(m: SplitManifest, objects: ModelObject[], prefix: string): ModelObject[] {
  const stageFiles = new Set(
    m.stages.flatMap((s) => s.graphs.flatMap((g) => [g.model.path, ...g.externalData.map((f) => f.path)])),
  );
  return objects.filter((o) => !stageFiles.has(o.key.slice(prefix.length)));
}
