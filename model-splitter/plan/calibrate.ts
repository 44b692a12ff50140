// Fits the planner's memory model to probe measurements (manifest.json after `npm run split:probe`): the
// runtime's own bytes and the resident factor come from the weight probes (README.md); the activation factor
// is the largest one any measured stage needed, so a re-planned split is at least as conservative as the
// measurements: measured ≈ runtime + resident·weights + activation·(estimated activations) + JS inputs/outputs.
import type { Calibration, SplitManifest } from "../manifest";

/** Stages with less estimated activation are dominated by fixed costs (growth steps of WASM memory). */
const MIN_ACTIVATION = 16 * 2 ** 20;

export function fitCalibration(manifests: SplitManifest[], base: Calibration): Calibration {
  let factor = 0;
  const used: string[] = [];
  for (const m of manifests) {
    for (const s of m.stages) {
      const p = s.estimate.parts;
      if (!s.measured || !p || (p.activations ?? 0) < MIN_ACTIVATION) continue;
      const rest =
        base.runtimeBytes + base.residentFactor * s.estimate.weightBytes + (p.io ?? 0) + (p.extraJs ?? 0);
      const f = (s.measured.peakBytes - rest) / p.activations!;
      if (f > factor) factor = f;
      used.push(s.id);
    }
  }
  if (used.length === 0) return base;
  return {
    ...base,
    activationFactor: Math.max(1, Math.round(factor * 100) / 100),
    source: `fitted to ${used.length} measured stages (largest factor over ${used.join(", ")})`,
  };
}
