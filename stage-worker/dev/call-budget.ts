// What one request costs a staged deployment in cross-isolate calls and RPC payload, from a split manifest
// alone (the same arithmetic the RPC runner's counters confirm at run time, see test/deploy/):
//   service-binding calls (count toward 32 Worker invocations per request): every vision and encoder stage
//     once on a feature-cache miss, the encoder stages only on a hit;
//   Durable Object calls (subrequests): the prompt through the embed stages, open + close per decoder stage,
//     and per decoding step one call per embed, decoder and lm_head stage;
//   payload per call: the tensors of a stage's inputs (arguments) or outputs (result) at the planned shapes
//     (manifest limits: 768² image, longest encoder input, beams).
//
//   npx tsx stage-worker/dev/call-budget.ts <split-dir> [--tokens 128]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ElemType, SplitManifest, Stage, TensorSpec } from "../../model-splitter/manifest";
import { isDecoderSide } from "../bindings";

const ELEM_BYTES: Record<ElemType, number> = { float32: 4, int64: 8, int32: 4, bool: 1, uint8: 1, int8: 1 };

export interface StagePayload {
  stageId: string;
  /** Bytes of the call's arguments and of its result at the planned shapes (symbolic dims count as 1). */
  argBytes: number;
  resultBytes: number;
}

export interface CallBudget {
  serviceBinding: { featureMiss: number; featureHit: number };
  durableObject: { fixed: number; perStep: number; forSteps: number; steps: number };
  largest: StagePayload & { bytes: number };
  /** Tensor bytes through service bindings on a feature miss (arguments + results). */
  sequenceBytes: number;
  /** Tensor bytes through Durable Object calls per decoding step. */
  stepBytes: number;
  stages: StagePayload[];
}

function specBytes(specs: readonly TensorSpec[]): number {
  return specs.reduce(
    (sum, t) =>
      sum + t.dims.reduce<number>((n, d) => n * (typeof d === "number" ? d : 1), 1) * ELEM_BYTES[t.type],
    0,
  );
}

export function callBudget(m: SplitManifest, steps: number): CallBudget {
  const count = (pred: (s: Stage) => boolean) => m.stages.filter(pred).length;
  const vision = count((s) => s.role === "vision");
  const encoder = count((s) => s.role === "encoder");
  const embed = count((s) => s.role === "embed");
  const decoder = count((s) => s.role === "decoder");
  const lmHead = count((s) => s.role === "lm_head");
  const stages = m.stages.map((s) => ({
    stageId: s.id,
    argBytes: specBytes(s.inputs),
    resultBytes: specBytes(s.outputs),
  }));
  const largest = stages
    .map((s) => ({ ...s, bytes: Math.max(s.argBytes, s.resultBytes) }))
    .reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const total = (pred: (s: Stage) => boolean) =>
    m.stages.filter(pred).reduce((n, s) => n + specBytes(s.inputs) + specBytes(s.outputs), 0);
  const fixed = embed + 2 * decoder;
  const perStep = embed + decoder + lmHead;
  if (count((s) => !isDecoderSide(s)) !== vision + encoder) throw new Error("unexpected stage roles");
  return {
    serviceBinding: { featureMiss: vision + encoder, featureHit: encoder },
    durableObject: { fixed, perStep, steps, forSteps: fixed + perStep * steps },
    largest,
    sequenceBytes: total((s) => !isDecoderSide(s)),
    stepBytes: total(isDecoderSide),
    stages,
  };
}

function main(argv: string[]): void {
  const dir = argv[0];
  if (!dir) throw new Error("usage: call-budget.ts <split-dir> [--tokens N]");
  const t = argv.indexOf("--tokens");
  const steps = t >= 0 ? Number(argv[t + 1]) : 128;
  const m = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as SplitManifest;
  const b = callBudget(m, steps);
  const MiB = (n: number) => `${(n / 2 ** 20).toFixed(2)} MiB`;
  console.log(`${dir}: ${m.stages.length} stages`);
  console.log(
    `service-binding calls per request: ${b.serviceBinding.featureMiss} (feature miss), ${b.serviceBinding.featureHit} (feature hit)`,
  );
  console.log(
    `Durable Object calls per request: ${b.durableObject.fixed} + ${b.durableObject.perStep} per step = ${b.durableObject.forSteps} for ${steps} steps`,
  );
  console.log(
    `tensor bytes: ${MiB(b.sequenceBytes)} through service bindings (feature miss), ${MiB(b.stepBytes)} per decoding step through Durable Objects (planned shapes: ${m.limits.maxRows} beams)`,
  );
  console.log(
    `largest call: ${b.largest.stageId}, ${MiB(b.largest.bytes)} (arguments ${MiB(b.largest.argBytes)}, result ${MiB(b.largest.resultBytes)})`,
  );
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!))
  main(process.argv.slice(2));
