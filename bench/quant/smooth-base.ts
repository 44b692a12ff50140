// A base-size synthetic model whose language-model weight scales are set for d_model 768.
//
// The synthetic presets use one set of scales for every size, tuned on d_model 64 (REFERENCE.md §2: larger
// language-model scales give varied, non-degenerate output). At d_model 768 the same standard deviations make
// attention logits ~12× larger (their spread grows as scale² · d), every softmax becomes an argmax, and the
// fp32 model itself turns chaotic: a relative perturbation of 1e-5 of its input moves the encoder output to
// cosine 0.955 (bench/quant/fidelity.ts --chaos). Fidelity thresholds like "cosine ≥ 0.99" then measure that
// chaos, not quantization. Trained Florence-2 weights are not chaotic, so the fidelity benchmark also runs on
// this variant: the same shapes and generator, the attention and FFN scales multiplied by √(64/768) so that
// activations have the spread they have in the tiny model.
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { writeModelFolder } from "../../synthetic-model/generate";
import { PRESETS, type Preset } from "../../synthetic-model/presets";

export function smoothBasePreset(): Preset {
  const base = PRESETS.base;
  const f = Math.sqrt(PRESETS.tiny.text.dModel / base.text.dModel);
  const s = base.scales;
  return {
    ...base,
    scales: {
      ...s,
      selfAttention: s.selfAttention * f,
      crossAttention: s.crossAttention * f,
      ffn: s.ffn * f,
    },
  };
}

/** Generates the smooth base model into `dir` unless it exists already (a few minutes). */
export function ensureSmoothBase(dir: string, seed = 0, log: (s: string) => void = () => {}): string {
  if (existsSync(dir)) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  writeModelFolder(tmp, smoothBasePreset(), seed, log);
  renameSync(tmp, dir);
  return dir;
}
