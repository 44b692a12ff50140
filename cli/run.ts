// `florence-edge run`: one image, one task, the task JSON on stdout (timings on stderr with --verbose).
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { loadFlorence2, type NodeBackend } from "../runtime-node/load-florence2";
import type { PixelBox } from "../runtime/prompt";

interface RunOptions {
  model: string;
  task: string;
  text?: string;
  box?: string;
  beams: string;
  maxNewTokens?: string;
  backend: NodeBackend;
  threads?: string;
  exif: boolean;
  verbose?: boolean;
}

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${v}`);
  return n;
}

function parseBox(v: string): PixelBox {
  const parts = v.split(",").map(Number);
  if (parts.length !== 4 || parts.some((x) => !Number.isFinite(x)))
    throw new Error(`--box must be x1,y1,x2,y2, got ${v}`);
  return parts as unknown as PixelBox;
}

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("run a Florence-2 task on an image and print the task JSON")
    .argument("<image>", "image file (JPEG, PNG, WebP, GIF, BMP)")
    .requiredOption("-m, --model <dir>", "model folder (onnx-community layout)")
    .option("-t, --task <task>", "task token or slug, e.g. '<OD>' or od", "<CAPTION>")
    .option("--text <text>", "text input for tasks that take one (or a <loc_..> quadruple)")
    .option("--box <x1,y1,x2,y2>", "pixel box for region tasks")
    .option("--beams <n>", "number of beams (1 = greedy)", "3")
    .option("--max-new-tokens <n>", "maximum generated tokens")
    .option("--backend <name>", "ort-web (WASM, as in the Worker) or ort-node (native)", "ort-web")
    .option("--threads <n>", "intra-op threads")
    .option("--no-exif", "ignore the EXIF orientation")
    .option("-v, --verbose", "print timings per step on stderr")
    .action(async (imagePath: string, o: RunOptions) => {
      const t0 = performance.now();
      const florence = await loadFlorence2({
        modelDir: o.model,
        backend: o.backend,
        threads: o.threads ? positiveInt("threads", o.threads) : undefined,
      });
      const loadMs = performance.now() - t0;
      const textInput = o.box ? parseBox(o.box) : o.text;
      const res = await florence.run(
        await readFile(imagePath),
        {
          task: o.task,
          textInput,
          numBeams: positiveInt("beams", o.beams),
          maxNewTokens: o.maxNewTokens ? positiveInt("max-new-tokens", o.maxNewTokens) : undefined,
        },
        { applyExifOrientation: o.exif },
      );
      process.stdout.write(JSON.stringify(res.result) + "\n");
      if (o.verbose) {
        const t = Object.entries({ load: loadMs, ...res.timings })
          .map(([k, v]) => `${k} ${v.toFixed(1)} ms`)
          .join(", ");
        process.stderr.write(
          `${florence.engine.info.backend} (${florence.engine.info.threads} thread(s)); ${t}; ${res.steps} decoder steps\n`,
        );
        process.stderr.write(`text: ${res.text}\n`);
      }
      await florence.engine.release();
    });
}
