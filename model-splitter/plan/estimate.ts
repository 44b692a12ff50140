// The planner's memory model of a stage, fitted to probe measurements (model-splitter/README.md):
//   creating piece i:  runtime + resident·(weights of pieces before i) + create·(weights of piece i)
//                      (its bytes are in JS while WASM takes its own copy);
//   running (whole-graph pieces): the creation high-water mark + activation·(largest piece activation peak)
//                      + the largest piece's inputs and outputs held in JS. onnxruntime-web allocates every
//                      tensor with malloc (no arena, no memory pattern), and WASM memory never shrinks: what
//                      creation left (copies freed in pieces between the weights) is rarely reusable for large
//                      activations, which land above it (measured: one 20 MiB encoder piece needed 1.6× its
//                      activations over runtime + weights, 1.1× over its creation peak);
//   running (band passes): runtime + resident·(all weights) + band activation·(largest pass activation peak)
//                      + the largest pass's input and output maps in JS (the form the band factor was fitted in).
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
 * Fitted to the probe's measurements of base int8 splits on onnxruntime-web 1.30 (bench/split/
 * results-base-int8.md): runtime ≈ 16 MiB of initial WASM memory + 6–8 MiB of JS; weights ≈ 1.1× resident,
 * their bytes held once more in JS while a session is created. Activations: whole-graph stages (encoder,
 * DaViT stages 2–3 whole, several pieces per stage or one) needed up to 1.38× their estimate over the creation
 * peak, so 1.4; banded vision stages up to 1.5× over runtime + weights, so 1.7.
 * `npm run split:probe -- --dir SPLIT --fit FILE` refits both; `npm run split -- --calibration FILE` uses a fit.
 */
export const DEFAULT_CALIBRATION: Calibration = {
  runtimeBytes: 24 * 2 ** 20,
  createFactor: 2.2,
  residentFactor: 1.15,
  activationFactor: 1.4,
  bandActivationFactor: 1.7,
  source:
    "fitted to probe measurements of base int8 splits (onnxruntime-web 1.30, bench/split/results-base-int8.md)",
};

export type StageKind = "whole" | "band";

export function estimateStage(
  pieces: PieceCost[],
  cal: Calibration,
  extraJs = 0,
  kind: StageKind = "whole",
): StageEstimate {
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
  const run =
    kind === "band"
      ? cal.runtimeBytes +
        cal.residentFactor * before +
        (cal.bandActivationFactor ?? cal.activationFactor) * act +
        io +
        extraJs
      : creation + cal.activationFactor * act + io + extraJs;
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
