// What a split is planned for: the memory budget of one stage, the chunk limit of one stored file, and the
// request shapes the stages must hold.
import type { Calibration } from "../manifest";
import { DEFAULT_CALIBRATION } from "../plan/estimate";

export const MiB = 2 ** 20;

export interface SplitOptions {
  /** Hard limit per stage (JS heap + WASM memory), e.g. 128 MiB for a Worker isolate. */
  budget: number;
  /** What the planner aims for, below the budget (the margin absorbs estimate error). */
  target: number;
  /** Largest stored file (external data chunk), e.g. 25 MiB for a KV value. */
  chunkBytes: number;
  /** Weights per piece (one session); pieces of a stage are created one after another. */
  pieceBytes: number;
  calibration: Calibration;
  /** Beams the decoder stages must hold at once. */
  maxRows: number;
  /** Decoder cache length the decoder stages must hold. */
  maxDecoderLength: number;
  /** Rows of a vision band (multiple of the window); 0 = chosen by the planner. */
  bandRows: number;
  /** Run DaViT stages 0..n−1 in bands; undefined = the stages whose blocks do not fit whole. */
  bandStages?: number;
  /**
   * Activation ranges of int8 ops in bands: "global" (the whole map's, via statistics passes: equals the
   * unsplit model) or "local" (each band's own: faster, not equal; explicit opt-in only).
   */
  bandRanges: "global" | "local";
  /** Longest encoder input the encoder and decoder stages hold (default: 577 image tokens + 64 prompt tokens). */
  maxEncoderLength?: number;
}

export function defaultOptions(over: Partial<SplitOptions> = {}): SplitOptions {
  const budget = over.budget ?? 128 * MiB;
  const chunkBytes = over.chunkBytes ?? 25 * MiB;
  return {
    budget,
    target: over.target ?? Math.floor(budget * 0.875),
    chunkBytes,
    pieceBytes: over.pieceBytes ?? chunkBytes,
    calibration: over.calibration ?? DEFAULT_CALIBRATION,
    maxRows: over.maxRows ?? 3,
    maxDecoderLength: over.maxDecoderLength ?? 128,
    bandRows: over.bandRows ?? 0,
    bandStages: over.bandStages,
    bandRanges: over.bandRanges ?? "global",
    maxEncoderLength: over.maxEncoderLength,
  };
}

/** "128MiB", "25MB", "1.5GiB", "4096" → bytes. */
export function parseBytes(s: string): number {
  const m = /^\s*([\d.]+)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$/i.exec(s);
  if (!m) throw new Error(`not a size: ${s}`);
  const unit = (m[2] ?? "b").toLowerCase();
  const mult: Record<string, number> = {
    b: 1,
    kb: 1e3,
    kib: 2 ** 10,
    mb: 1e6,
    mib: 2 ** 20,
    gb: 1e9,
    gib: 2 ** 30,
  };
  return Math.round(Number(m[1]) * mult[unit]!);
}
