// Multiply-accumulates of one Florence-2 request, from the preset's dimensions and the architecture
// (FLORENCE2-ARCHITECTURE.md §1–3): what "achieved MAC/s" divides by. Counted: every MatMul/Gemm and Conv
// (weights and attention products). Not counted: LayerNorm, softmax, GELU, adds (a few % of the work, not MACs).
import type { Preset } from "../../synthetic-model/presets";

export interface VisionMacs {
  /** Per DaViT stage: patch-embedding conv + depth units (spatial + channel block). */
  stages: number[];
  /** Image projection (577 tokens × 1024 → 768). */
  projection: number;
  total: number;
}

const convOut = (n: number, k: number, s: number, p: number) => Math.floor((n + 2 * p - k) / s) + 1;

export function visionMacs(preset: Preset): VisionMacs {
  const v = preset.vision;
  let side = preset.imageSize;
  let cin = 3;
  const stages: number[] = [];
  for (let s = 0; s < 4; s++) {
    side = convOut(side, v.patchSize[s]!, v.patchStride[s]!, v.patchPadding[s]!);
    const c = v.dims[s]!;
    const n = side * side;
    const conv = c * n * cin * v.patchSize[s]! ** 2;
    const headDim = c / v.heads[s]!;
    const window = v.windowSize * v.windowSize;
    // Both blocks: two depthwise 3×3 position convs, qkv (C→3C), proj (C→C), MLP (C→rC→C).
    const dense = 2 * 9 * n * c + (3 + 1 + 2 * v.mlpRatio) * n * c * c;
    // Window attention: q·kᵀ and A·v over 144-token windows (padding-free at 768: side is a multiple of 12).
    const windowAttn = 2 * n * window * c;
    // Channel attention: qᵀ·k (d × d per group, summed over N) and A·vᵀ.
    const channelAttn = 2 * n * c * headDim;
    stages.push(conv + v.depths[s]! * (2 * dense + windowAttn + channelAttn));
    cin = c;
  }
  const tokens = side * side + 1;
  const projection = tokens * cin * preset.text.dModel;
  return { stages, projection, total: stages.reduce((a, b) => a + b, 0) + projection };
}

/** Language encoder over `seqLen` tokens (image tokens + prompt). */
export function encoderMacs(preset: Preset, seqLen: number): number {
  const { dModel: d, ffn, encoderLayers } = preset.text;
  const perLayer = 4 * seqLen * d * d + 2 * seqLen * seqLen * d + 2 * seqLen * d * ffn;
  return encoderLayers * perLayer;
}

export interface DecoderMacs {
  /** One step with a cache: self-attn projections, cross-attn q/out, attention over past + encoder, FFN, lm_head. */
  perStep: number;
  /** Added once by the first step: cross-attention keys and values over the encoder output. */
  crossKv: number;
}

/** A decoder step at self-attention length `past` (0 for the first) over `seqLen` encoder states. */
export function decoderMacs(preset: Preset, seqLen: number, past: number): DecoderMacs {
  const { dModel: d, ffn, decoderLayers, vocabSize } = preset.text;
  const perLayer = 4 * d * d + 2 * d * d + 2 * (past + 1) * d + 2 * seqLen * d + 2 * d * ffn;
  return { perStep: decoderLayers * perLayer + d * vocabSize, crossKv: decoderLayers * 2 * seqLen * d * d };
}

/** MACs of a whole greedy generation of `steps` steps (the first computes the cross-attention K/V). */
export function generationMacs(preset: Preset, seqLen: number, steps: number): number {
  let total = decoderMacs(preset, seqLen, 0).crossKv;
  for (let i = 0; i < steps; i++) total += decoderMacs(preset, seqLen, i).perStep;
  return total;
}
