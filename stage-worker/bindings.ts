// Names that tie a staged deployment together: the API Worker's binding for each stage, and which stages run
// as Durable Objects. Shared by the API Worker (worker/staged/), the config generator (deploy/) and the local
// deployment (stage-worker/dev/miniflare.ts), so a stage is wired the same way everywhere.
import type { Stage, StageRole } from "../model-splitter/manifest";

/** "vision-3" → "VISION_3": binding names are upper-case identifiers. */
function bindingSuffix(stageId: string): string {
  const suffix = stageId.toUpperCase().replace(/-/g, "_");
  if (!/^[A-Z0-9_]+$/.test(suffix)) throw new Error(`stage id ${stageId} cannot name a binding`);
  return suffix;
}

/** Service binding of a sequence stage's Worker (WorkerEntrypoint RPC), e.g. STAGE_VISION_3. */
export function stageBindingName(stageId: string): string {
  return `STAGE_${bindingSuffix(stageId)}`;
}

/** Durable Object namespace binding of a decoder-side stage, e.g. STAGE_OBJ_DECODER_0. */
export function stageObjectBindingName(stageId: string): string {
  return `STAGE_OBJ_${bindingSuffix(stageId)}`;
}

/**
 * The roles called once per generated token. They must not be service-binding calls (a request may make at
 * most 32 Worker invocations; 128 tokens × 4 stages is far more), and the decoder stages keep a request's
 * KV caches between steps, which needs an instance that stays where it was created: a Durable Object.
 * The embed stage is decoder-side too: it embeds every new token (and, once, the prompt).
 */
const DECODER_SIDE: ReadonlySet<StageRole> = new Set(["embed", "decoder", "lm_head"]);

export function isDecoderSide(stage: Pick<Stage, "role">): boolean {
  return DECODER_SIDE.has(stage.role);
}

/** The Durable Object class every stage Worker exports (bound by decoder-side stages only). */
export const STAGE_OBJECT_CLASS = "StageObject";
