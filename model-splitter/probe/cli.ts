// npm run split:probe -- --dir SPLIT_DIR [--stage ID...] [--prompt N]
// Measures stages of a split folder in fresh processes, as the Worker runs them (onnxruntime-web WASM bundle,
// one thread, precompiled module, weights as externalData), records the peaks in manifest.json and prints
// the table of stages.
import { Command } from "commander";
import { stageTable } from "../report";
import { probeStages } from "./probe-stages";

interface CliOptions {
  dir: string;
  stage?: string[];
  prompt: string;
}

const program = new Command()
  .name("split:probe")
  .requiredOption("--dir <dir>", "split folder (with manifest.json)")
  .option("--stage <id...>", "only these stages")
  .option("--prompt <n>", "prompt tokens for the embed stage", "64")
  .action(async (o: CliOptions) => {
    const m = await probeStages(o.dir, { only: o.stage, promptLength: Number(o.prompt), log: (l) => process.stderr.write(`${l}\n`) });
    process.stdout.write(`${stageTable(m)}\n`);
  });

program.parseAsync().catch((e: unknown) => {
  process.stderr.write(`split:probe: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
