// npm run quant:memory -- --model DIR [--threads N] [--parallel N]
// Measures onnxruntime-web's WASM heap peak for each graph and the whole engine of a model folder and records
// it in DIR/florence_edge.json (`memory`); the runtime starts its heap there (quant/memory-hint.ts says how).
// A separate step from `npm run quant` because it takes longer than quantizing (≈ 15 fresh processes each
// loading the graphs: base ≈ 40 s against 30 s) and must be redone when onnxruntime-web changes, not the weights.
import { Command, InvalidArgumentError } from "commander";
import { recordMemoryHint } from "./memory-hint";

function parsePositive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("expected a positive integer");
  return n;
}

const program = new Command()
  .name("quant:memory")
  .description("record onnxruntime-web's WASM heap peak of a model folder in its florence_edge.json")
  .requiredOption("--model <dir>", "model folder (onnx/ with the four graphs)")
  .option(
    "--threads <n>",
    "WASM threads to measure with (the runtime uses the hint only at this count)",
    parsePositive,
    1,
  )
  .option("--parallel <n>", "probes running at the same time", parsePositive, 1)
  .action(async (o: { model: string; threads: number; parallel: number }) => {
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const h = await recordMemoryHint(o.model, { numThreads: o.threads, parallel: o.parallel }, log);
    const MiB = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
    process.stdout.write(
      `${o.model}/florence_edge.json memory: engine ${MiB(h.engine.peak_bytes)} (${(h.engine.peak_bytes / h.engine.file_bytes).toFixed(3)}× the files), ` +
        Object.entries(h.graphs)
          .map(([g, p]) => `${g} ${MiB(p.peak_bytes)}`)
          .join(", ") +
        ` (onnxruntime-web ${h.onnxruntime_web}, ${h.num_threads} thread${h.num_threads > 1 ? "s" : ""})\n`,
    );
  });

program.parseAsync().catch((e: Error) => {
  process.stderr.write(`quant:memory: ${e.message}\n`);
  process.exitCode = 1;
});
