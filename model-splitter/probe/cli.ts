// npm run split:probe -- --dir SPLIT_DIR [--stage ID...] [--prompt N] [--fit FILE]
// Measures stages of a split folder in fresh processes, as the Worker runs them (onnxruntime-web WASM bundle,
// one thread, precompiled module, weights as externalData), records the peaks in manifest.json and prints
// the table of stages.
import { readFileSync, writeFileSync } from "node:fs";
import { Command } from "commander";
import type { SplitManifest } from "../manifest";
import { fitCalibration } from "../plan/calibrate";
import { stageTable } from "../report";
import { probeStages } from "./probe-stages";

interface CliOptions {
  dir: string;
  stage?: string[];
  prompt: string;
  fit?: string;
  measured: boolean;
}

const program = new Command()
  .name("split:probe")
  .requiredOption("--dir <dir>", "split folder (with manifest.json)")
  .option("--stage <id...>", "only these stages")
  .option("--prompt <n>", "prompt tokens for the embed stage", "64")
  .option(
    "--fit <file>",
    "write the memory model fitted to the measurements (for npm run split -- --calibration)",
  )
  .option("--measured", "do not probe; use the measurements already in manifest.json", false)
  .action(async (o: CliOptions) => {
    const m = o.measured
      ? (JSON.parse(readFileSync(`${o.dir}/manifest.json`, "utf8")) as SplitManifest)
      : await probeStages(o.dir, {
          only: o.stage,
          promptLength: Number(o.prompt),
          log: (l) => process.stderr.write(`${l}\n`),
        });
    if (o.fit) {
      const cal = fitCalibration([m], m.calibration);
      writeFileSync(o.fit, `${JSON.stringify(cal, null, 1)}\n`);
      process.stderr.write(`calibration: ${JSON.stringify(cal)}\n`);
    }
    process.stdout.write(`${stageTable(m)}\n`);
  });

program.parseAsync().catch((e: unknown) => {
  process.stderr.write(`split:probe: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
