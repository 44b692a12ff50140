// The planner's memory model of a stage, fitted to probe measurements (model-splitter/README.md):
//   creating piece i:  runtime + resident·(weights of pieces before i) + create·(weights of piece i)
//                      (its bytes are in JS while WASM takes its own copy);
//   running:           runtime + resident·(all weights) + activation·(largest piece activation peak)
//                      + the largest piece's inputs and outputs held in JS.
// WASM memory only grows, and Emscripten grows it in steps, which the factors absorb.
import type { Calibration, StageEstimate } from "../manifest";

export interface PieceCost {
  weightBytes: number;
  /** Peak of live activations inside the piece's session run (including its fed inputs). */
  activation: number;
  /** Bytes of the piece's inputs and outputs (held in JS around its run). */
  ioBytes: number;
}

/**
 * Fitted to the probe's measurements of the base int8 split on onnxruntime-web 1.30 (bench/split/
 * results-base-int8.md): runtime ≈ 16 MiB of initial WASM memory + 6–8 MiB of JS; weights ≈ 1.1× resident,
 * their bytes held once more in JS while a session is created; banded vision and encoder stages needed up to
 * 1.6× their estimated activations (allocator growth steps and fragmentation), so 1.7 is planned for.
 * `npm run split:probe -- --dir SPLIT --fit FILE` refits it; `npm run split -- --calibration FILE` uses a fit.
 */
export const DEFAULT_CALIBRATION: Calibration = {
  runtimeBytes: 24 * 2 ** 20,
  createFactor: 2.2,
  residentFactor: 1.15,
  activationFactor: 1.7,
  source:
    "fitted to probe measurements of the base int8 split (onnxruntime-web 1.30, bench/split/results-base-int8.md)",
};

export function estimateStage(pieces: PieceCost[], cal: Calibration, extraJs = 0): StageEstimate {
  let before = 0;
  let creation = 0;
  for (const p of pieces) {
    creation = Math.max(
      creation,
      cal.runtimeBytes + cal.residentFactor * before + cal.createFactor * p.weightBytes,
    );
    before += p.weightBytes;
  }
  const act = Math.max(0, ...pieces.map((p) => p.activation));
  const io = Math.max(0, ...pieces.map((p) => p.ioBytes));
  const run = cal.runtimeBytes + cal.residentFactor * before + cal.activationFactor * act + io + extraJs;
  return {
    weightBytes: before,
    peakBytes: Math.round(Math.max(creation, run)),
    parts: {
      runtime: cal.runtimeBytes,
      weights: before,
      creation: Math.round(creation),
      run: Math.round(run),
      activations: act,
      io,
      extraJs,
    },
  };
}

/** Groups consecutive pieces into stages whose estimate stays within `target` bytes. */
export function groupPieces(
  pieces: PieceCost[],
  cal: Calibration,
  target: number,
  extraJs: (from: number, to: number) => number = () => 0,
): [number, number][] {
  const groups: [number, number][] = [];
  let s = 0;
  while (s < pieces.length) {
    let e = s + 1;
    while (
      e < pieces.length &&
      estimateStage(pieces.slice(s, e + 1), cal, extraJs(s, e + 1)).peakBytes <= target
    )
      e++;
    groups.push([s, e]);
    s = e;
  }
  return groups;
}
