// The MAC arithmetic of bench/e2e/macs.ts against two independent references: the counts REFERENCE.md §1 gives
// for Florence-2-base (its own arithmetic), and MACs counted node by node from the synthetic generator's real
// ONNX graphs (tiny preset) at concrete shapes, through the model-splitter's shape evaluator.
import { describe, expect, it } from "vitest";
import { graphMacs } from "../../bench/e2e/graph-macs";
import { decoderMacs, encoderMacs, generationMacs, visionMacs } from "../../bench/e2e/macs";
import { DataType, Random } from "../../onnx-graph";
import { PRESETS } from "../../synthetic-model/presets";
import { buildDecoderMerged, buildEncoder } from "../../synthetic-model/text";
import { cacheEntries, headDim, pastName } from "../../synthetic-model/text/io-names";
import { buildVisionEncoder } from "../../synthetic-model/vision-encoder";

const F = DataType.FLOAT;
const I64 = DataType.INT64;

describe("Florence-2-base counts (REFERENCE.md §1: DaViT ≈185 G, stage 3 ≈130 G, encoder ≈29 G, decoder ≈0.1 G/token + ≈4 G once)", () => {
  const base = PRESETS.base;
  it("vision", () => {
    const v = visionMacs(base);
    expect(v.total / 185e9).toBeGreaterThan(0.95);
    expect(v.total / 185e9).toBeLessThan(1.05);
    expect(v.stages[2]! / 130e9).toBeGreaterThan(0.95);
    expect(v.stages[2]! / 130e9).toBeLessThan(1.07);
  });
  it("language encoder over ≈590 tokens and decoder", () => {
    expect(encoderMacs(base, 590) / 29e9).toBeCloseTo(1, 1);
    const d = decoderMacs(base, 590, 10);
    expect(d.perStep / 0.1e9).toBeGreaterThan(0.9);
    expect(d.perStep / 0.1e9).toBeLessThan(1.0);
    expect(d.crossKv / 4e9).toBeCloseTo(1, 1);
  });
});

describe("tiny preset: formula equals the MACs counted on the generated graphs", () => {
  const tiny = PRESETS.tiny;
  it("vision encoder at 768×768", () => {
    const { model } = buildVisionEncoder(tiny, new Random(1));
    const counted = graphMacs(model.graph!, { pixel_values: { type: F, dims: [1, 3, 768, 768] } });
    expect(counted).toBe(visionMacs(tiny).total);
  });
  it("language encoder", () => {
    const seq = 590;
    const { model } = buildEncoder(tiny, new Random(1));
    const counted = graphMacs(model.graph!, {
      inputs_embeds: { type: F, dims: [1, seq, tiny.text.dModel] },
      attention_mask: { type: I64, dims: [1, seq] },
    });
    expect(counted).toBe(encoderMacs(tiny, seq));
  });
  it("merged decoder: first step (no past) and a step with past", () => {
    const seq = 590;
    const { model } = buildDecoderMerged(tiny, new Random(1));
    const t = tiny.text;
    const step = (past: number, useCache: boolean) => {
      const inputs: Record<string, { type: DataType; dims: number[]; value?: number[] }> = {
        inputs_embeds: { type: F, dims: [1, 1, t.dModel] },
        encoder_attention_mask: { type: I64, dims: [1, seq] },
        encoder_hidden_states: { type: F, dims: [1, seq, t.dModel] },
        use_cache_branch: { type: DataType.BOOL, dims: [1], value: [useCache ? 1 : 0] },
      };
      for (const c of cacheEntries(t)) {
        const len = c.side === "decoder" ? past : useCache ? seq : 0;
        inputs[pastName(c.layer, c.side, c.part)] = { type: F, dims: [1, t.heads, len, headDim(t)] };
      }
      return graphMacs(model.graph!, inputs);
    };
    const first = decoderMacs(tiny, seq, 0);
    expect(step(0, false)).toBe(first.perStep + first.crossKv);
    expect(step(7, true)).toBe(decoderMacs(tiny, seq, 7).perStep);
    expect(generationMacs(tiny, seq, 3)).toBe(
      first.crossKv + first.perStep + decoderMacs(tiny, seq, 1).perStep + decoderMacs(tiny, seq, 2).perStep,
    );
  });
});
