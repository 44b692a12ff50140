// Two quantized vision encoders side by side on onnxruntime-web (WASM, 1 thread, alternating runs on one seeded
// image): what a quantizer option costs or saves the unsplit model, e.g. per-band activation ranges
// (quant/range-blocks.ts) against whole-map ones. Prints the medians, the ratio and the outputs' cosine.
//   npx tsx bench/quant/vision-ab.ts --a DIR --b DIR [--rounds 5] [--image-size 768]
import { Command } from "commander";
import { measureVisionSpeed } from "./fidelity-measure";

const o = new Command()
  .requiredOption("--a <dir>", "first model folder (reported as a)")
  .requiredOption("--b <dir>", "second model folder (reported as b)")
  .option("--rounds <n>", "alternating runs of each", "5")
  .option("--image-size <n>", "pixel_values height and width", "768")
  .parse()
  .opts<{ a: string; b: string; rounds: string; imageSize: string }>();

const r = await measureVisionSpeed(o.a, o.b, Number(o.imageSize), Number(o.rounds), (s) =>
  process.stderr.write(`${s}\n`),
);
const ms = (t: { medianMs: number; minMs: number; maxMs: number }) =>
  `${t.medianMs.toFixed(0)} ms (${t.minMs.toFixed(0)}–${t.maxMs.toFixed(0)})`;
process.stdout.write(
  `vision encoder, 1 thread, ${o.rounds} rounds: a ${ms(r.fp32)} (CPU ${r.fp32CpuMs?.toFixed(0)} ms), ` +
    `b ${ms(r.int8)} (CPU ${r.int8CpuMs?.toFixed(0)} ms); b/a ${(r.int8.medianMs / r.fp32.medianMs).toFixed(3)} wall, ` +
    `${r.int8CpuMs && r.fp32CpuMs ? (r.int8CpuMs / r.fp32CpuMs).toFixed(3) : "–"} CPU; image_features cosine ${r.outputCosine.toFixed(6)}\n`,
);
