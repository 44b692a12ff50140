// npm run split -- --in DIR --out DIR [--budget 128MiB] [--chunk 25MiB] [--piece SIZE] [--target SIZE]
//   [--max-rows 3] [--max-decoder-length 128] [--max-encoder-length 641] [--band-stages N] [--band-rows N]
//   [--band-ranges global|local]
//   [--calibration FILE] [--probe] [--report]
// Splits a Florence-2 model folder (fp32 or int8) into stages that each fit one Worker isolate
// (model-splitter/README.md).
import { readFileSync } from "node:fs";
import { Command, InvalidArgumentError } from "commander";
import type { Calibration } from "./manifest";
import { probeStages } from "./probe/probe-stages";
import { stageTable } from "./report";
import { defaultOptions, parseBytes } from "./split/options";
import { splitModel } from "./split/split";

const bytes = (v: string) => {
  try {
    return parseBytes(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
};
const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a non-negative integer");
  return n;
};

interface CliOptions {
  in: string;
  out: string;
  budget: number;
  chunk: number;
  piece?: number;
  target?: number;
  maxRows: number;
  maxDecoderLength: number;
  maxEncoderLength?: number;
  bandStages?: number;
  bandRows: number;
  bandRanges: string;
  probe: boolean;
  report: boolean;
  calibration?: string;
}

function bandRanges(v: string): "global" | "local" {
  if (v !== "global" && v !== "local") throw new Error(`--band-ranges must be global or local, not ${v}`);
  return v;
}

const program = new Command()
  .name("split")
  .description(
    "cut a Florence-2 model folder into stages that fit a Worker isolate, with files that fit a KV value",
  )
  .requiredOption("--in <dir>", "model folder (config files + onnx/), fp32 or int8")
  .requiredOption("--out <dir>", "output folder (replaced)")
  .option("--budget <size>", "memory of one stage (JS heap + WASM)", bytes, 128 * 2 ** 20)
  .option("--chunk <size>", "largest stored file", bytes, 25 * 2 ** 20)
  .option("--piece <size>", "weights per session (default: the chunk size)", bytes)
  .option("--target <size>", "what the planner aims for (default: 7/8 of the budget)", bytes)
  .option("--max-rows <n>", "beams the decoder stages hold", int, 3)
  .option("--max-decoder-length <n>", "decoder cache length the decoder stages hold", int, 128)
  .option(
    "--max-encoder-length <n>",
    "longest encoder input (default 577 image tokens + 64 prompt tokens)",
    int,
  )
  .option(
    "--band-stages <n>",
    "run DaViT stages 0..n-1 in bands (default: those whose blocks do not fit whole)",
    int,
  )
  .option("--band-rows <n>", "rows per band (default: the largest that fits)", int, 0)
  .option(
    "--band-ranges <kind>",
    "int8 activation ranges in bands: global (the whole map's; equals the model) or local (each band's own; " +
      "fewer passes, NOT equal to the model)",
    "global",
  )
  .option("--calibration <file>", "memory model (JSON, as written by npm run split:probe -- --fit)")
  .option("--probe", "measure every stage with the probe and record it in manifest.json", false)
  .option("--report", "print the table of stages", false)
  .action(async (o: CliOptions) => {
    const opts = defaultOptions({
      budget: o.budget,
      chunkBytes: o.chunk,
      pieceBytes: o.piece,
      target: o.target,
      maxRows: o.maxRows,
      maxDecoderLength: o.maxDecoderLength,
      maxEncoderLength: o.maxEncoderLength,
      bandStages: o.bandStages,
      bandRows: o.bandRows,
      bandRanges: bandRanges(o.bandRanges),
      calibration: o.calibration
        ? (JSON.parse(readFileSync(o.calibration, "utf8")) as Calibration)
        : undefined,
    });
    const t = performance.now();
    let { manifest } = splitModel(o.in, o.out, opts, (line) => process.stderr.write(`${line}\n`));
    process.stderr.write(`split in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
    if (o.probe) manifest = await probeStages(o.out, { log: (line) => process.stderr.write(`${line}\n`) });
    if (o.report || o.probe) process.stdout.write(`${stageTable(manifest)}\n`);
  });

program.parseAsync().catch((e: unknown) => {
  process.stderr.write(`split: ${(e as Error).stack ?? String(e)}\n`);
  process.exitCode = 1;
});
