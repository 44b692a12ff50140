// Fits the planner's memory model to probe measurements (manifest.json after `npm run split:probe`): the
// runtime's own bytes and the resident factor come from the weight probes (README.md); each activation factor
// (whole-graph pieces, band passes) is the largest one any measured stage of its kind needed, so a re-planned
// split is at least as conservative as the measurements:
//   whole:  measured ≈ creation peak + activation·(estimated activations) + JS inputs/outputs (estimate.ts);
//   band:   measured ≈ runtime + resident·weights + band activation·(estimated activations) + JS maps.
import type { Calibration, SplitManifest, Stage } from "../manifest";

/** Stages with less estimated activation are dominated by fixed costs (growth steps of WASM memory). */
const MIN_ACTIVATION = 16 * 2 ** 20;

function banded(s: Stage): boolean {
  return s.program.kind === "sequence" && s.program.steps.some((x) => x.kind === "band");
}

export function fitCalibration(manifests: SplitManifest[], base: Calibration): Calibration {
  const fit = { whole: { factor: 0, used: [] as string[] }, band: { factor: 0, used: [] as string[] } };
  for (const m of manifests) {
    for (const s of m.stages) {
      const p = s.estimate.parts;
      if (!s.measured || !p || (p.activations ?? 0) < MIN_ACTIVATION) continue;
      const below = banded(s)
        ? base.runtimeBytes + base.residentFactor * s.estimate.weightBytes
        : (p.creation ?? base.runtimeBytes);
      const f = (s.measured.peakBytes - below - (p.io ?? 0) - (p.extraJs ?? 0)) / p.activations!;
      const kind = banded(s) ? fit.band : fit.whole;
      kind.factor = Math.max(kind.factor, f);
      kind.used.push(s.id);
    }
  }
  if (fit.whole.used.length === 0 && fit.band.used.length === 0) return base;
  const round = (f: number) => Math.max(1, Math.round(f * 100) / 100);
  const parts = [
    fit.whole.used.length > 0 ? `whole pieces: ${fit.whole.used.join(", ")}` : "",
    fit.band.used.length > 0 ? `band passes: ${fit.band.used.join(", ")}` : "",
  ].filter(Boolean);
  return {
    ...base,
    activationFactor: fit.whole.used.length > 0 ? round(fit.whole.factor) : base.activationFactor,
    bandActivationFactor:
      fit.band.used.length > 0
        ? round(fit.band.factor)
        : (base.bandActivationFactor ?? base.activationFactor),
    source: `fitted to measured stages (largest factor over ${parts.join("; ")})`,
  };
}
