// The acceptance benchmark of quant/ (issue 4) on a synthetic model folder (base by default):
//  1. bytes per file, fp32 vs int8 (target: total ≤ 27%);
//  2. onnxruntime-web WASM memory after session creation, per graph and the whole engine, fresh process each,
//     as grown and with the folder's recorded heap hint, the runtime's default (≤ 1.3× int8 bytes);
//  3. fidelity on N seeded images/prompts: cosine and max relative error of image_features, encoder
//     last_hidden_state and decoder logits (teacher-forced), greedy token agreement (cosine ≥ 0.995 / 0.99);
//  4. vision encoder and one decoder step, fp32 vs int8 side by side on onnxruntime-web, 1 thread (≥ 1.5×).
// Prints tables and writes bench/results/quant-<date>.json.
//
//   npm run bench:quant -- [--fp32 DIR] [--int8 DIR] [--samples N] [--max-new-tokens N]
//        [--quality-backend node|web] [--vision-rounds N] [--decoder-rounds N] [--skip memory,speed,vision,decoder,quality]
//        [--smooth] [--tag NAME]
// --smooth: the base shapes with language-model scales set for d_model 768 (smooth-base.ts explains why the
// default synthetic base is chaotic and its fidelity numbers measure that, not quantization).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { recordMemoryHint } from "../../quant/memory-hint";
import { quantizeFolder } from "../../quant/quantize-folder";
import { GRAPHS, graphFiles, type GraphName } from "./florence-run";
import { formatMemoryRows, measureMemoryRows } from "./fidelity-memory";
import {
  measureConditioning,
  measureDecoderSpeed,
  type Conditioning,
  measureQuality,
  measureVisionSpeed,
  type SampleFidelity,
  type SpeedRow,
} from "./fidelity-measure";
import type { Backend } from "./ort-backends";
import { ensureSmoothBase } from "./smooth-base";
import { isoDate, median } from "./stats";

const SELF = fileURLToPath(import.meta.url);
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Args {
  fp32: string;
  int8?: string;
  samples: number;
  maxNewTokens: number;
  qualityBackend: Backend;
  visionRounds: number;
  decoderRounds: number;
  past: number;
  skip: Set<string>;
  /** Use (and generate if missing) the base model with language-model scales set for d_model 768 (smooth-base.ts). */
  smooth: boolean;
  tag?: string;
  child?: string;
  out?: string;
  rest: string[];
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    fp32: "models/synthetic-base-seed0",
    samples: 4,
    maxNewTokens: 24,
    qualityBackend: "node",
    visionRounds: 3,
    decoderRounds: 20,
    past: 16,
    skip: new Set(),
    smooth: false,
    rest: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i]!;
    const next = () => argv[++i]!;
    if (v === "--fp32") a.fp32 = next();
    else if (v === "--int8") a.int8 = next();
    else if (v === "--samples") a.samples = Number(next());
    else if (v === "--max-new-tokens") a.maxNewTokens = Number(next());
    else if (v === "--quality-backend") a.qualityBackend = next() as Backend;
    else if (v === "--vision-rounds") a.visionRounds = Number(next());
    else if (v === "--decoder-rounds") a.decoderRounds = Number(next());
    else if (v === "--past") a.past = Number(next());
    else if (v === "--skip") a.skip = new Set(next().split(","));
    else if (v === "--smooth") a.smooth = true;
    else if (v === "--tag") a.tag = next();
    else if (v === "--child") a.child = next();
    else if (v === "--out") a.out = next();
    else a.rest.push(v);
  }
  return a;
}

function readJsonIf(path: string): unknown {
  return existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : undefined;
}

function imageSize(dir: string): number {
  const p = JSON.parse(readFileSync(join(dir, "preprocessor_config.json"), "utf8")) as {
    size?: { height?: number };
  };
  return p.size?.height ?? 768;
}

function child<T>(args: string[], tmp: string): T {
  const out = join(tmp, `child-${Math.random().toString(36).slice(2)}.json`);
  const r = spawnSync(process.execPath, ["--import", "tsx", SELF, ...args, "--out", out], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0) throw new Error(`child ${args.join(" ")} exited with ${r.status}`);
  return JSON.parse(readFileSync(out, "utf8")) as T;
}

async function runChild(a: Args): Promise<void> {
  const int8 = a.int8!;
  let result: unknown;
  switch (a.child) {
    case "quality":
      result = await measureQuality(
        {
          fp32Dir: a.fp32,
          int8Dir: int8,
          backend: a.qualityBackend,
          seeds: Array.from({ length: a.samples }, (_, i) => i),
          maxNewTokens: a.maxNewTokens,
          imageSize: imageSize(a.fp32),
        },
        log,
      );
      break;
    case "conditioning":
      result = await measureConditioning(a.fp32, a.qualityBackend, imageSize(a.fp32));
      break;
    case "speed-vision":
      result = [await measureVisionSpeed(a.fp32, int8, imageSize(a.fp32), a.visionRounds, log)];
      break;
    case "speed-decoder":
      // Encoder length as in use: 577 image tokens + a prompt of about a dozen tokens.
      result = await measureDecoderSpeed(a.fp32, int8, 590, a.past, a.decoderRounds, log);
      break;
    default:
      throw new Error(`unknown child ${a.child}`);
  }
  writeFileSync(a.out!, JSON.stringify(result));
  process.exit(0);
}

function folderBytes(dir: string, g: GraphName): number {
  const f = graphFiles(dir, g);
  return [f.model, ...f.data].reduce((s, p) => s + statSync(p).size, 0);
}

const MiB = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const fmt = (x: number, d = 5) => (Number.isFinite(x) ? x.toFixed(d) : "–");

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (a.child) return runChild(a);
  if (a.smooth) {
    a.fp32 = "models/quant-bench/base-smooth-fp32";
    log(`smooth base model: ${a.fp32} (generated if missing, a few minutes)`);
    ensureSmoothBase(a.fp32, 0, log);
  }
  if (!existsSync(join(a.fp32, "onnx")))
    throw new Error(
      `${a.fp32} is not a model folder; generate it with: npm run model:synth -- --preset base`,
    );
  const int8 = a.int8 ?? `${a.fp32.replace(/\/$/, "")}-int8`;
  const result: Record<string, unknown> = {
    date: new Date().toISOString(),
    fp32Dir: a.fp32,
    int8Dir: int8,
    fp32Metadata: readJsonIf(join(a.fp32, "florence_edge.json")),
    machine: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version },
  };
  if (!existsSync(join(int8, "onnx", "decoder_model_merged.onnx"))) {
    log(`quantizing ${a.fp32} → ${int8} ...`);
    const t0 = performance.now();
    const r = quantizeFolder(a.fp32, int8, {}, log);
    result.quantizeSeconds = (performance.now() - t0) / 1000;
    await recordMemoryHint(int8, {}, log); // as the int8 preparations do (bench/e2e/prep.ts)
    result.quantizeReport = r.files.map((f) => ({
      file: f.file,
      rewrites: f.report.rewrites,
      kept: f.report.kept.length,
      quantized: f.report.quantized,
    }));
  }
  const tmp = mkdtempSync(join(tmpdir(), "quant-fidelity-"));
  const childArgs = ["--fp32", a.fp32, "--int8", int8];

  // 1. bytes
  const bytes = GRAPHS.map((g) => ({ graph: g, fp32: folderBytes(a.fp32, g), int8: folderBytes(int8, g) }));
  const total = { fp32: bytes.reduce((s, b) => s + b.fp32, 0), int8: bytes.reduce((s, b) => s + b.int8, 0) };
  result.bytes = { perGraph: bytes, total, ratio: total.int8 / total.fp32 };
  console.log(
    "\n## Bytes (file + external data)\n| graph | fp32 | int8 | int8 / fp32 |\n|---|---:|---:|---:|",
  );
  for (const b of bytes)
    console.log(
      `| ${b.graph} | ${MiB(b.fp32)} | ${MiB(b.int8)} | ${((100 * b.int8) / b.fp32).toFixed(1)}% |`,
    );
  console.log(
    `| total | ${MiB(total.fp32)} | ${MiB(total.int8)} | ${((100 * total.int8) / total.fp32).toFixed(1)}% (target ≤ 27%) |`,
  );

  // 2. memory
  if (!a.skip.has("memory")) {
    const m = await measureMemoryRows(int8, log);
    console.log(formatMemoryRows(m));
    result.memory = m;
  }

  // 3. speed
  if (!a.skip.has("speed")) {
    const load0 = loadavg()[0];
    const speed: SpeedRow[] = [];
    if (!a.skip.has("vision")) {
      log("speed: vision encoder fp32 vs int8, onnxruntime-web 1 thread ...");
      speed.push(
        ...child<SpeedRow[]>(
          [...childArgs, "--child", "speed-vision", "--vision-rounds", String(a.visionRounds)],
          tmp,
        ),
      );
    }
    if (!a.skip.has("decoder")) {
      log("speed: decoder step fp32 vs int8, onnxruntime-web 1 thread ...");
      speed.push(
        ...child<SpeedRow[]>(
          [
            ...childArgs,
            "--child",
            "speed-decoder",
            "--decoder-rounds",
            String(a.decoderRounds),
            "--past",
            String(a.past),
          ],
          tmp,
        ),
      );
    }
    console.log(
      `\n## Speed, onnxruntime-web WASM, 1 thread, fp32 and int8 alternating in one process (load average ${load0?.toFixed(1)} → ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores)`,
    );
    console.log(
      "| what | fp32 median (min…max, runs) | int8 median (min…max, runs) | speed-up (median wall) | speed-up (min wall) | CPU ms fp32 / int8 (medians) | speed-up (CPU) | output cosine |\n|---|---:|---:|---:|---:|---:|---:|---:|",
    );
    const t = (x: SpeedRow["fp32"]) =>
      `${x.medianMs.toFixed(1)} ms (${x.minMs.toFixed(1)}…${x.maxMs.toFixed(1)}, ${x.runs})`;
    for (const s of speed) {
      console.log(
        `| ${s.what} | ${t(s.fp32)} | ${t(s.int8)} | ${s.speedup.toFixed(2)}× | ${(s.fp32.minMs / s.int8.minMs).toFixed(2)}× | ${fmt(s.fp32CpuMs ?? NaN, 1)} / ${fmt(s.int8CpuMs ?? NaN, 1)} | ${fmt(s.cpuSpeedup ?? NaN, 2)}× | ${fmt(s.outputCosine, 6)} |`,
      );
    }
    result.speed = { loadavgBefore: load0, loadavgAfter: loadavg()[0], rows: speed };
  }

  // 4. quality
  if (!a.skip.has("quality")) {
    log(`quality: ${a.samples} seeded images/prompts on ${a.qualityBackend} ...`);
    const cond = child<Conditioning[]>(
      [...childArgs, "--child", "conditioning", "--quality-backend", a.qualityBackend],
      tmp,
    );
    console.log(
      "\n## Conditioning of the fp32 model: encoder output cosine when image_features get relative noise ε",
    );
    console.log(
      `| ε | ${cond.map((c) => c.relativeNoise.toExponential(0)).join(" | ")} |\n|---|${cond.map(() => "---:").join("|")}|\n| cosine | ${cond.map((c) => fmt(c.encoderCosine, 6)).join(" | ")} |`,
    );
    const samples = child<SampleFidelity[]>(
      [
        ...childArgs,
        "--child",
        "quality",
        "--samples",
        String(a.samples),
        "--max-new-tokens",
        String(a.maxNewTokens),
        "--quality-backend",
        a.qualityBackend,
      ],
      tmp,
    );
    console.log(
      `\n## Fidelity against fp32 (${a.qualityBackend}; logits teacher-forced on the fp32 greedy tokens)`,
    );
    console.log(
      "| sample | task | image_features cos / max rel err | token 0 cos | encoder cos / max rel err | logits cos min (median) / max rel err max | argmax agreement (margins of misses, σ) | greedy: fp32 / int8 tokens, common prefix |\n|---|---|---|---|---|---|---|---|",
    );
    for (const s of samples) {
      const lc = s.logits.map((l) => l.cosine);
      console.log(
        `| ${s.seed} | ${s.task} | ${fmt(s.imageFeatures.cosine)} / ${fmt(s.imageFeatures.maxRelError, 4)} | ${fmt(s.imageToken0.cosine)} | ${fmt(s.encoder.cosine)} / ${fmt(s.encoder.maxRelError, 4)} | ${fmt(Math.min(...lc))} (${fmt(median(lc))}) / ${fmt(Math.max(...s.logits.map((l) => l.maxRelError)), 4)} | ${(100 * s.stepAgreement).toFixed(0)}%${s.disagreementMargins.length ? ` (${s.disagreementMargins.map((m) => m.toFixed(2)).join(", ")})` : ""} | ${s.fp32Tokens.length - 1} / ${s.int8Tokens.length - 1}, ${s.commonPrefix - 1} |`,
      );
    }
    const minOf = (f: (s: SampleFidelity) => number) => Math.min(...samples.map(f));
    const summary = {
      imageFeaturesCosineMin: minOf((s) => s.imageFeatures.cosine),
      encoderCosineMin: minOf((s) => s.encoder.cosine),
      logitsCosineMin: minOf((s) => Math.min(...s.logits.map((l) => l.cosine))),
      stepAgreementMean: samples.reduce((x, s) => x + s.stepAgreement, 0) / samples.length,
      identicalGenerations: samples.filter((s) => s.fp32Tokens.join() === s.int8Tokens.join()).length,
    };
    console.log(
      `min cosine: image_features ${fmt(summary.imageFeaturesCosineMin)} (target ≥ 0.995), encoder ${fmt(summary.encoderCosineMin)} (≥ 0.99), logits ${fmt(summary.logitsCosineMin)} (≥ 0.99); argmax agreement ${(100 * summary.stepAgreementMean).toFixed(1)}%; identical greedy generations ${summary.identicalGenerations}/${samples.length}`,
    );
    result.quality = { backend: a.qualityBackend, conditioning: cond, samples, summary };
  }

  mkdirSync("bench/results", { recursive: true });
  const path = `bench/results/quant-${isoDate()}${a.tag ? `-${a.tag}` : ""}.json`;
  writeFileSync(path, JSON.stringify(result, null, 1));
  console.log(`\nwrote ${path}`);
}

await main();
