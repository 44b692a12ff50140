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

export const DEFAULT_CALIBRATION: Calibration = {
  runtimeBytes: 24 * 2 ** 20,
  createFactor: 2.3,
  residentFactor: 1.25,
  activationFactor: 1.3,
  source: "defaults (not fitted)",
};

export function estimateStage(pieces: PieceCost[], cal: Calibration, extraJs = 0): StageEstimate {
  let before = 0;
  let creation = 0;
  for (const p of pieces) {
    creation = Math.max(creation, cal.runtimeBytes + cal.residentFactor * before + cal.createFactor * p.weightBytes);
    before += p.weightBytes;
  }
  const act = Math.max(0, ...pieces.map((p) => p.activation));
  const io = Math.max(0, ...pieces.map((p) => p.ioBytes));
  const run = cal.runtimeBytes + cal.residentFactor * before + cal.activationFactor * act + io + extraJs;
  return {
    weightBytes: before,
    peakBytes: Math.round(Math.max(creation, run)),
    parts: { runtime: cal.runtimeBytes, weights: before, creation: Math.round(creation), run: Math.round(run), activations: act, io, extraJs },
  };
}

/** Groups consecutive pieces into stages whose estimate stays within `target` bytes. */
export function groupPieces(pieces: PieceCost[], cal: Calibration, target: number, extraJs: (from: number, to: number) => number = () => 0): [number, number][] {
  const groups: [number, number][] = [];
  let s = 0;
  while (s < pieces.length) {
    let e = s + 1;
    while (e < pieces.length && estimateStage(pieces.slice(s, e + 1), cal, extraJs(s, e + 1)).peakBytes <= target) e++;
    groups.push([s, e]);
    s = e;
  }
  return groups;
}
