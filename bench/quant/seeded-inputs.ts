// Seeded, image-like inputs for the fidelity benchmark: pictures made of gradients, rectangles and discs with a
// little noise (so that vision features are not those of white noise), normalised as the Florence-2 processor
// does (REFERENCE.md §3), and task prompts from the task table encoded with the model's own tokenizer.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Random } from "../../onnx-graph";
import { TASKS } from "../../runtime/prompt";
import { Florence2Tokenizer } from "../../runtime/tokens";

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** pixel_values [1, 3, size, size] of picture number `seed`. */
export function seededPixels(seed: number, size: number): Float32Array {
  const r = new Random(1000 + seed);
  const base = Array.from({ length: 3 }, () => [r.uniform(), r.uniform() - 0.5, r.uniform() - 0.5]);
  const shapes = Array.from({ length: 6 }, () => ({
    disc: r.uniform() < 0.5,
    x: r.uniform(),
    y: r.uniform(),
    s: 0.05 + 0.25 * r.uniform(),
    rgb: [r.uniform(), r.uniform(), r.uniform()],
  }));
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const x = px / size;
      const y = py / size;
      let rgb = base.map(([c, gx, gy]) => c! + gx! * x + gy! * y);
      for (const s of shapes) {
        const inside = s.disc
          ? (x - s.x) ** 2 + (y - s.y) ** 2 < s.s * s.s
          : Math.abs(x - s.x) < s.s && Math.abs(y - s.y) < s.s * 0.7;
        if (inside) rgb = s.rgb;
      }
      for (let c = 0; c < 3; c++) {
        const v = Math.min(1, Math.max(0, rgb[c]! + 0.03 * (r.uniform() - 0.5)));
        out[c * plane + py * size + px] = (Math.round(v * 255) / 255 - MEAN[c]!) / STD[c]!;
      }
    }
  }
  return out;
}

/** The prompt ids (`<s>` … `</s>`) of task number `seed` of the task table, with the model's tokenizer. */
export function seededPrompt(modelDir: string, seed: number): { task: string; ids: number[] } {
  const tok = new Florence2Tokenizer({
    tokenizer: JSON.parse(readFileSync(join(modelDir, "tokenizer.json"), "utf8")) as object,
    config: JSON.parse(readFileSync(join(modelDir, "tokenizer_config.json"), "utf8")) as object,
  });
  const plain = Object.entries(TASKS).filter(([, t]) => t.input === "none");
  const [task, spec] = plain[seed % plain.length]!;
  return { task, ids: tok.encodePrompt(spec.prompt) };
}
