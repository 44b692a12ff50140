// npm run model:synth -- --preset tiny|base [--seed N] [--out DIR] [--report] [--force]
// Generates a synthetic Florence-2 model folder (seeded random weights, real architecture and file layout).
import { Command, InvalidArgumentError, Option } from "commander";
import { GRAPHS, generateModel, type GenerateResult } from "./generate";
import { PRESETS, type Preset } from "./presets";

function parseSeed(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
    throw new InvalidArgumentError("a seed is an integer in 0..2^32-1");
  return n;
}

const pct = (ours: number, ref: number) =>
  `${ours >= ref ? "+" : ""}${(((ours - ref) / ref) * 100).toFixed(2)}%`;

/** Our numbers per file beside the published Florence-2-base-ft ones. */
export function formatReport(r: GenerateResult): string {
  const header = ["file", "params", "ref params", "Δ", "init elements", "bytes", "MB", "ref MB", "Δ"];
  const rows = r.graphs.map((g) => {
    const ref = GRAPHS.find((s) => s.file === g.file)!.reference;
    const mb = g.bytes / 1e6;
    return [
      g.file.replace(/^onnx\//, ""),
      `${(g.params / 1e6).toFixed(2)} M`,
      `${(ref.params / 1e6).toFixed(2)} M`,
      pct(g.params, ref.params),
      `${(g.elements / 1e6).toFixed(2)} M`,
      String(g.bytes),
      mb.toFixed(2),
      String(ref.mb),
      pct(mb, ref.mb),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  return [
    `${r.preset} seed ${r.seed}, generator ${r.generatorVersion}, ${r.seconds.toFixed(1)} s; reference = published Florence-2-base-ft fp32`,
    line(header),
    `|${widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`,
    ...rows.map(line),
  ].join("\n");
}

const program = new Command()
  .name("model:synth")
  .description("Generate a synthetic Florence-2 model folder (onnx-community layout, seeded random weights)")
  .addOption(new Option("--preset <name>", "model size").choices(Object.keys(PRESETS)).makeOptionMandatory())
  .option("--seed <n>", "weight seed", parseSeed, 0)
  .option("--out <dir>", "output folder (default models/synthetic-<preset>-seed<seed>)")
  .option("--report", "print sizes and parameter counts next to the published model's", false)
  .option("--force", "replace an existing model folder", false)
  .action((opts: { preset: Preset["name"]; seed: number; out?: string; report: boolean; force: boolean }) => {
    const result = generateModel({
      preset: PRESETS[opts.preset],
      seed: opts.seed,
      outDir: opts.out ?? `models/synthetic-${opts.preset}-seed${opts.seed}`,
      force: opts.force,
    });
    if (opts.report) process.stdout.write(`${formatReport(result)}\n`);
  });

try {
  program.parse();
} catch (e) {
  process.stderr.write(`model:synth: ${(e as Error).message}\n`);
  process.exitCode = 1;
}
