// One with-past step of the merged decoder on onnxruntime-web (WASM, 1 thread), several model variants side by
// side in one process: wall time and CPU time (process.cpuUsage) per call, for 1 row (greedy) and B rows (beam
// search). With --profile, each variant runs in its own process with onnxruntime's profiler on and the kernel
// time is summed per operator type, to see where a step's time goes.
//
//   npx tsx bench/quant/decoder-step.ts --variant fp32=DIR --variant int8=DIR [--variant NAME=DIR ...]
//        [--rows 1,3] [--past 16] [--encoder 590] [--rounds 20] [--warmup 40] [--cache model|random] [--profile] [--out FILE]
// Encoder states and token embeddings are seeded random tensors; the cache (`past` positions) is made by each
// variant itself from them (--cache model, default) or random N(0,1) (--cache random).
import { spawnSync } from "node:child_process";
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import * as ortWeb from "onnxruntime-web";
import { Random } from "../../onnx-graph";
import { graphFiles, textDims, type TextDims } from "./florence-run";
import { median } from "./stats";

const SELF = fileURLToPath(import.meta.url);

interface Args {
  variants: [string, string][];
  rows: number[];
  past: number;
  encoder: number;
  rounds: number;
  /** Untimed alternating rounds first: V8 compiles hot WASM functions with TurboFan in a background thread during the first ~40 calls (measured), and until then runs baseline code. */
  warmup: number;
  /** "model": caches made by the model itself (default); "random": N(0,1) caches. */
  cache: "model" | "random";
  profile: boolean;
  child?: string;
  out?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    variants: [],
    rows: [1, 3],
    past: 16,
    encoder: 590,
    rounds: 20,
    warmup: 40,
    cache: "model",
    profile: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i]!;
    const next = () => argv[++i]!;
    if (v === "--variant") {
      const [name, dir] = next().split("=") as [string, string];
      a.variants.push([name, dir]);
    } else if (v === "--rows") a.rows = next().split(",").map(Number);
    else if (v === "--past") a.past = Number(next());
    else if (v === "--encoder") a.encoder = Number(next());
    else if (v === "--rounds") a.rounds = Number(next());
    else if (v === "--warmup") a.warmup = Number(next());
    else if (v === "--cache") a.cache = next() as Args["cache"];
    else if (v === "--profile") a.profile = true;
    else if (v === "--child") a.child = next();
    else if (v === "--out") a.out = next();
    else throw new Error(`unknown argument ${v}`);
  }
  return a;
}

type Session = ortWeb.InferenceSession;

async function open(dir: string, profile: boolean): Promise<Session> {
  const f = graphFiles(dir, "decoder_model_merged");
  const externalData = f.data.map((p) => ({ path: basename(p), data: new Uint8Array(readFileSync(p)) }));
  return ortWeb.InferenceSession.create(new Uint8Array(readFileSync(f.model)), {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "all",
    enableProfiling: profile,
    ...(externalData.length ? { externalData } : {}),
  });
}

/** Feeds of one with-past step for `rows` sequences (beam search runs the beams as a batch). */
function stepFeeds(t: TextDims, rows: number, past: number, encoder: number): Record<string, ortWeb.Tensor> {
  const r = new Random(rows * 1000 + past);
  const f = (dims: number[]) =>
    new ortWeb.Tensor(
      "float32",
      r.normalArray(
        dims.reduce((a, b) => a * b, 1),
        1,
      ),
      dims,
    );
  const feeds: Record<string, ortWeb.Tensor> = {
    inputs_embeds: f([rows, 1, t.dModel]),
    encoder_hidden_states: f([rows, encoder, t.dModel]),
    encoder_attention_mask: new ortWeb.Tensor("int64", new BigInt64Array(rows * encoder).fill(1n), [
      rows,
      encoder,
    ]),
    use_cache_branch: new ortWeb.Tensor("bool", Uint8Array.of(1), [1]),
  };
  for (let i = 0; i < t.layers; i++) {
    for (const [side, len] of [
      ["decoder", past],
      ["encoder", encoder],
    ] as const) {
      for (const part of ["key", "value"])
        feeds[`past_key_values.${i}.${side}.${part}`] = f([rows, t.heads, len, t.headDim]);
    }
  }
  return feeds;
}

/**
 * Feeds whose caches the model made itself (`--cache model`): the first (no-past) step on the random encoder
 * states and token, then `past` more steps, each fed the previous step's present K/V. Random N(0,1) caches
 * (`--cache random`) give attention scores of a different spread than the model's own, and values change how
 * fast fp32 arithmetic runs (subnormals: WebAssembly may not flush them to zero).
 */
async function modelCacheFeeds(
  s: Session,
  t: TextDims,
  rows: number,
  past: number,
  encoder: number,
): Promise<Record<string, ortWeb.Tensor>> {
  const feeds = stepFeeds(t, rows, 0, encoder);
  feeds.use_cache_branch = new ortWeb.Tensor("bool", Uint8Array.of(0), [1]);
  for (let i = 0; i <= past; i++) {
    const out = await s.run(feeds);
    for (const name of Object.keys(feeds)) {
      if (!name.startsWith("past_key_values.")) continue;
      // The encoder K/V come from the first step only (the with-past branch returns them empty).
      if (i > 0 && name.includes(".encoder.")) continue;
      feeds[name] = out[name.replace("past_key_values", "present")]!;
    }
    feeds.use_cache_branch = new ortWeb.Tensor("bool", Uint8Array.of(1), [1]);
  }
  return feeds;
}

export interface StepTiming {
  variant: string;
  rows: number;
  wallMs: number[];
  cpuMs: number[];
  medianWallMs: number;
  medianCpuMs: number;
}

async function timeChild(a: Args): Promise<StepTiming[]> {
  ortWeb.env.wasm.numThreads = 1;
  ortWeb.env.logLevel = "error";
  const t = textDims(a.variants[0]![1]);
  const sessions: [string, Session][] = [];
  for (const [name, dir] of a.variants) sessions.push([name, await open(dir, false)]);
  const out: StepTiming[] = [];
  for (const rows of a.rows) {
    const random = stepFeeds(t, rows, a.past, a.encoder);
    // Each variant steps on the cache it made itself (as in generation), or all on the same random one.
    const feeds: Record<string, ortWeb.Tensor>[] = [];
    for (const [, s] of sessions)
      feeds.push(a.cache === "model" ? await modelCacheFeeds(s, t, rows, a.past, a.encoder) : random);
    const wall = sessions.map(() => [] as number[]);
    const cpu = sessions.map(() => [] as number[]);
    for (let r = 0; r < a.warmup; r++) for (const [i, [, s]] of sessions.entries()) await s.run(feeds[i]!);
    // Round-robin: load from other processes on this shared machine falls on every variant alike.
    for (let r = 0; r < a.rounds; r++) {
      for (const [i, [, s]] of sessions.entries()) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await s.run(feeds[i]!);
        wall[i]!.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu[i]!.push((c.user + c.system) / 1000);
      }
    }
    for (const [i, [name]] of sessions.entries()) {
      out.push({
        variant: name,
        rows,
        wallMs: wall[i]!,
        cpuMs: cpu[i]!,
        medianWallMs: median(wall[i]!),
        medianCpuMs: median(cpu[i]!),
      });
    }
  }
  return out;
}

interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string; provider?: string; output_type_shape?: unknown };
}

export interface StepProfile {
  variant: string;
  rows: number;
  runs: number;
  /** Per step, µs: onnxruntime's model_run, and kernel time summed per operator type (sorted, largest first). */
  /** Medians: session.run as JavaScript times it (feeds and fetches copied), onnxruntime's model_run. */
  runWallUs: number;
  modelRunUs: number;
  /** Kernel time per step: per node the median over the runs, summed. */
  kernelUs: number;
  byOp: { op: string; us: number; nodes: number }[];
}

/**
 * Runs every variant with onnxruntime's profiler, alternating calls as timeChild does. onnxruntime-web prints
 * each session's profile (a JSON array of trace events) to the process's stdout at endProfiling, so this child
 * writes a marker line before each and the parent splits its stdout there.
 */
async function profileChild(a: Args): Promise<void> {
  ortWeb.env.wasm.numThreads = 1;
  ortWeb.env.logLevel = "error";
  const sessions: [string, Session][] = [];
  for (const [name, dir] of a.variants) sessions.push([name, await open(dir, true)]);
  const t = textDims(a.variants[0]![1]);
  const random = stepFeeds(t, a.rows[0]!, a.past, a.encoder);
  const feeds: Record<string, ortWeb.Tensor>[] = [];
  for (const [, s] of sessions)
    feeds.push(a.cache === "model" ? await modelCacheFeeds(s, t, a.rows[0]!, a.past, a.encoder) : random);
  const wall = sessions.map(() => [] as number[]);
  for (let r = 0; r < a.warmup + a.rounds; r++) {
    for (const [i, [, s]] of sessions.entries()) {
      const t0 = performance.now();
      await s.run(feeds[i]!);
      if (r >= a.warmup) wall[i]!.push(performance.now() - t0);
    }
  }
  for (const [i, [name, s]] of sessions.entries()) {
    // The wall time of session.run as JavaScript sees it: the profile's model_run excludes copying feeds and fetches.
    process.stdout.write(`\n${MARKER}${JSON.stringify({ variant: name, runWallMs: wall[i] })}\n`);
    s.endProfiling();
    // The profile reaches stdout asynchronously: let it drain before the next marker.
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const MARKER = "@@decoder-step-profile ";

/** Kernel time per operator type from a profile: per node the median over the timed runs (robust to preemption). */
function summariseProfile(
  variant: string,
  rows: number,
  runs: number,
  text: string,
  runWallMs: number[],
): StepProfile {
  const events = JSON.parse(text.slice(text.indexOf("["), text.lastIndexOf("]") + 1)) as ProfileEvent[];
  const allRuns = events.filter((e) => e.name === "model_run");
  const modelRunsAll = allRuns.length;
  const modelRuns = allRuns.slice(-runs);
  const kernels = events.filter(
    (e) => e.cat === "Node" && e.name.endsWith("_kernel_time") && e.args?.op_name !== "If",
  );
  const perRun = kernels.length / modelRunsAll;
  const timed = kernels.slice(kernels.length - perRun * runs);
  const byNode = new Map<string, { op: string; us: number[] }>();
  for (const e of timed) {
    const x = byNode.get(e.name) ?? { op: e.args?.op_name ?? "?", us: [] };
    x.us.push(e.dur);
    byNode.set(e.name, x);
  }
  const byOp = new Map<string, { us: number; nodes: number }>();
  for (const n of byNode.values()) {
    const x = byOp.get(n.op) ?? { us: 0, nodes: 0 };
    x.us += median(n.us);
    x.nodes += 1;
    byOp.set(n.op, x);
  }
  return {
    variant,
    rows,
    runs,
    runWallUs: 1000 * median(runWallMs),
    modelRunUs: median(modelRuns.map((e) => e.dur)),
    kernelUs: [...byOp.values()].reduce((x, o) => x + o.us, 0),
    byOp: [...byOp.entries()].map(([op, v]) => ({ op, ...v })).sort((x, y) => y.us - x.us),
  };
}

function profile(a: Args, rows: number): StepProfile[] {
  const variantArgs = a.variants.flatMap(([n, d]) => ["--variant", `${n}=${d}`]);
  const args = [...variantArgs, ...common({ ...a, rows: [rows] }), "--child", "profile"];
  // To a file, not a pipe: onnxruntime-web writes the profile synchronously and a full pipe fails with EAGAIN.
  const path = `/tmp/decoder-step-profile-${process.pid}-${rows}.txt`;
  const fd = openSync(path, "w");
  const r = spawnSync(process.execPath, ["--import", "tsx", SELF, ...args], {
    stdio: ["ignore", fd, "inherit"],
  });
  closeSync(fd);
  if (r.status !== 0) throw new Error(`profile child exited with ${r.status}`);
  const stdout = readFileSync(path, "utf8");
  rmSync(path);
  return stdout
    .split(MARKER)
    .slice(1)
    .map((part) => {
      const nl = part.indexOf("\n");
      const head = JSON.parse(part.slice(0, nl)) as { variant: string; runWallMs: number[] };
      return summariseProfile(head.variant, rows, a.rounds, part.slice(nl), head.runWallMs);
    });
}

function child<T>(args: string[]): T {
  const out = `/tmp/decoder-step-${process.pid}-${Math.random().toString(36).slice(2)}.json`;
  const r = spawnSync(process.execPath, ["--import", "tsx", SELF, ...args, "--out", out], {
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.status !== 0) throw new Error(`child exited with ${r.status}`);
  return JSON.parse(readFileSync(out, "utf8")) as T;
}

const common = (a: Args) => [
  "--rows",
  a.rows.join(","),
  "--past",
  String(a.past),
  "--encoder",
  String(a.encoder),
  "--rounds",
  String(a.rounds),
  "--warmup",
  String(a.warmup),
  "--cache",
  a.cache,
];

export interface DecoderStepResult {
  date: string;
  machine: { cpu?: string; cores: number; loadavgBefore?: number; loadavgAfter?: number };
  past: number;
  encoder: number;
  timings: StepTiming[];
  profiles?: StepProfile[];
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (a.child) {
    if (a.child === "profile") await profileChild(a);
    else writeFileSync(a.out!, JSON.stringify(await timeChild(a)));
    process.exit(0);
  }
  if (a.variants.length === 0) throw new Error("give at least one --variant NAME=DIR");
  const load0 = loadavg()[0];
  const variantArgs = a.variants.flatMap(([n, d]) => ["--variant", `${n}=${d}`]);
  const timings = child<StepTiming[]>([...variantArgs, ...common(a), "--child", "time"]);
  const result: DecoderStepResult = {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model,
      cores: cpus().length,
      loadavgBefore: load0,
      loadavgAfter: loadavg()[0],
    },
    past: a.past,
    encoder: a.encoder,
    timings,
  };
  const ref = a.variants[0]![0];
  console.log(
    `\n## One decoder step with past (cache ${a.past}, encoder ${a.encoder}), onnxruntime-web 1 thread, ${a.rounds} alternating rounds; load ${load0?.toFixed(1)} → ${loadavg()[0]?.toFixed(1)}`,
  );
  console.log(
    `| rows | variant | wall median ms | CPU median ms | speed-up vs ${ref} (wall / CPU) |\n|---:|---|---:|---:|---:|`,
  );
  for (const r of timings) {
    const base = timings.find((x) => x.rows === r.rows && x.variant === ref)!;
    console.log(
      `| ${r.rows} | ${r.variant} | ${r.medianWallMs.toFixed(2)} | ${r.medianCpuMs.toFixed(2)} | ${(base.medianWallMs / r.medianWallMs).toFixed(2)}× / ${(base.medianCpuMs / r.medianCpuMs).toFixed(2)}× |`,
    );
  }
  if (a.profile) {
    result.profiles = a.rows.flatMap((rows) => profile(a, rows));
    for (const rows of a.rows) {
      const ps = result.profiles.filter((p) => p.rows === rows);
      const ops = [...new Set(ps.flatMap((p) => p.byOp.map((o) => o.op)))];
      console.log(
        `\n## Where a step's time goes (${rows} row${rows > 1 ? "s" : ""}; onnxruntime profiler, µs per step, ${a.rounds} steps)`,
      );
      console.log(
        `| op | ${ps.map((p) => `${p.variant} µs (nodes)`).join(" | ")} |\n|---|${ps.map(() => "---:").join("|")}|`,
      );
      for (const op of ops)
        console.log(
          `| ${op} | ${ps
            .map((p) => {
              const o = p.byOp.find((x) => x.op === op);
              return o ? `${o.us.toFixed(0)} (${o.nodes})` : "–";
            })
            .join(" | ")} |`,
        );
      console.log(`| all kernels | ${ps.map((p) => p.kernelUs.toFixed(0)).join(" | ")} |`);
      console.log(`| model_run | ${ps.map((p) => p.modelRunUs.toFixed(0)).join(" | ")} |`);
      console.log(`| session.run (JS) | ${ps.map((p) => p.runWallUs.toFixed(0)).join(" | ")} |`);
    }
  }
  if (a.out) writeFileSync(a.out, JSON.stringify(result, null, 1));
}

await main();
