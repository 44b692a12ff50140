// A split model whose first decoder stage throws at run time once the decoder's past is longer than
// DECODER_TRIGGER_STEP (test/reliability/poisoned-model.ts's guard, applied to the stage's first graph, which
// holds layer 0 and reads inputs_embeds), with the manifest's size and sha256 of that graph updated so the
// stage loads it. Returned as replacement objects (path relative to the split folder → bytes).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SplitManifest } from "../../model-splitter/manifest";
import { poisonDecoder } from "../reliability/poisoned-model";

export { DECODER_TRIGGER_STEP } from "../reliability/poisoned-model";

export interface PoisonedSplit {
  stageId: string;
  objects: Map<string, Uint8Array>;
}

export function poisonedSplitObjects(dir: string): PoisonedSplit {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as SplitManifest;
  const stage = manifest.stages.find((s) => s.role === "decoder");
  const graph = stage?.graphs.find((g) => g.inputs.some((i) => i.name === "past_key_values.0.decoder.key"));
  if (!stage || !graph) throw new Error(`${dir}: no decoder graph holding layer 0`);
  const bytes = poisonDecoder(new Uint8Array(readFileSync(join(dir, graph.model.path))));
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  for (const f of [graph.model, ...manifest.files.filter((f) => f.path === graph.model.path)]) {
    f.bytes = bytes.length;
    f.sha256 = sha256;
  }
  return {
    stageId: stage.id,
    objects: new Map([
      [graph.model.path, bytes],
      ["manifest.json", new TextEncoder().encode(JSON.stringify(manifest))],
    ]),
  };
}
