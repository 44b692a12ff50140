// npm run bench [-- --quick] [--only LABEL,...] [--tokens N] [--model DIR] [--no-int8] [--tag NAME] [--split DIR]
//
// Side-by-side end-to-end benchmark of florence-edge against the peers users would pick (issue 8), on the
// synthetic Florence-2-base model: prepares the model folders (fp32, int8 via quant/, cached), runs every job in
// a fresh process (plan.ts), then prints and writes bench/results/<date>-<machine>[-quick].{json,md}.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { derive, type StoredRun } from "./derive";
import { edgeRows } from "./run-edge";
import { readEdgeStages } from "./edge-stages";
import { prepareImages } from "./images";
import { loadSampler, machineInfo, runName } from "./machine";
import { E2E_DIR, REPO_ROOT, RESULTS_DIR } from "./paths";
import {
  filterJobs,
  FULL_REPEATS,
  jobLabel,
  jobWeights,
  plannedJobs,
  QUICK_REPEATS,
  type ChildSpec,
} from "./plan";
import { parseArgs } from "./args";
import { folderPreset, prepareFp32, prepareInt8 } from "./prep";
import { prepareSplit, type SplitPrep } from "./prep-split";
import type { JobInfo, JobResult, Row } from "./types";

const log = (s: string) => process.stderr.write(`${s}\n`);

/** Runs one job in its own process; a failure becomes the job's error, not the run's. */
function runChild(spec: ChildSpec, tmp: string): JobResult | { error: string } {
  const out = join(tmp, `${spec.label.replace(/\W+/g, "_")}.json`);
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", join(E2E_DIR, "child.ts"), "--spec", JSON.stringify(spec), "--out", out],
    {
      stdio: ["ignore", "inherit", "inherit"],
      timeout: spec.timeoutMs,
      killSignal: "SIGKILL",
      cwd: REPO_ROOT,
    },
  );
  if (r.error) return { error: `${r.error.message}` };
  if (r.status !== 0) return { error: `child exited with ${r.status ?? r.signal}` };
  return JSON.parse(readFileSync(out, "utf8")) as JobResult;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const load = loadSampler();
  const machine = machineInfo();
  log(`bench: ${machine.cpu}, ${machine.cores} cores, load average ${loadavg()[0]!.toFixed(1)}`);

  prepareImages();
  const fp32 = prepareFp32(args.model, log);
  const int8 = args.int8
    ? await prepareInt8(fp32, log)
    : { unavailable: "not available: --no-int8", seconds: 0 };
  const repeats = args.quick ? QUICK_REPEATS : FULL_REPEATS;
  const jobs = filterJobs(plannedJobs(args.quick), args.only);
  // The edge job's split model (made once, ≈ 15 min with its probe); not made when no edge job runs.
  const split: SplitPrep = jobs.some((j) => j.kind === "edge")
    ? prepareSplit(fp32, args.split, log)
    : { unavailable: "not needed (no edge job)", seconds: 0, made: false };
  const prepSeconds = fp32.seconds + int8.seconds + split.seconds;
  load.sample();
  const benchStarted = performance.now();
  const skipped = args.quick
    ? [
        "ours 1-thread rows, 1-thread MatMul peak, ours fp32, ours on onnxruntime-node, transformers.js on onnxruntime-node, transformers.js int8, peers' <OD>, <OD> feature misses (in process and edge) (full run only)",
      ]
    : [];
  const tmp = mkdtempSync(join(tmpdir(), "bench-e2e-"));
  const rows: Row[] = [];
  const infos: JobInfo[] = [];
  try {
    for (const job of jobs) {
      const label = jobLabel(job);
      const w = jobWeights(job);
      // The edge job deploys the split model (its int8 weights); the others load a model folder.
      const prep = job.kind === "edge" ? split : w === "int8" ? int8 : w === "fp32" ? fp32 : undefined;
      if (prep && !prep.dir) {
        if (job.kind === "edge")
          rows.push(...edgeRows(job.weights, args.tokens, prep.unavailable ?? "not available"));
        infos.push({ job, system: label, error: prep.unavailable });
        log(`${label}: ${prep.unavailable}`);
        continue;
      }
      const spec: ChildSpec = {
        label,
        job,
        modelDir: prep?.dir,
        tokens: args.tokens,
        repeats,
        matmulShapes: args.quick ? ["davit stage-2 fc1"] : ["davit stage-2 fc1", "text encoder fc1"],
        quick: args.quick,
        timeoutMs: (args.quick ? (job.kind === "edge" ? 8 : 6) : 40) * 60_000,
      };
      const t = performance.now();
      log(`${label} ...`);
      const res = runChild(spec, tmp);
      if ("error" in res) {
        // A failed edge job still has its stages' probe figures (per-stage memory and cold start).
        const stages = job.kind === "edge" && split.dir ? readEdgeStages(split.dir) : undefined;
        infos.push({
          job,
          system: label,
          error: res.error,
          ...(stages ? { stages: stages.stages, stagesSource: stages.source } : {}),
        });
        if (job.kind === "edge")
          rows.push(
            ...edgeRows(job.weights, args.tokens, `not available: the edge job failed (${res.error})`),
          );
        log(`${label}: FAILED (${res.error})`);
        continue;
      }
      rows.push(...res.rows);
      infos.push(res.info);
      for (const x of res.info.loadAvg ?? []) load.sample(x);
      load.sample();
      log(`${label}: ${((performance.now() - t) / 1000).toFixed(0)} s`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  const wallSeconds = (performance.now() - started) / 1000;
  const loadStats = load.stop();
  const name = `${runName()}${args.quick ? "-quick" : ""}${args.tag ? `-${args.tag}` : ""}`;
  const stored: StoredRun = {
    name,
    date: new Date().toISOString(),
    args,
    machine,
    load: loadStats,
    seconds: { wall: wallSeconds, prep: prepSeconds, jobs: (performance.now() - benchStarted) / 1000 },
    models: { fp32, int8, split },
    macs: {
      preset: folderPreset(fp32.dir),
      encoderTokens: (infos.find((j) => j.extra?.encoderTokens)?.extra?.encoderTokens ?? {}) as Record<
        string,
        number
      >,
    },
    jobs: infos,
    rows,
    skipped,
  };
  const { json, markdown: md } = derive(stored);
  console.log(md);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(json, null, 1)}\n`);
  writeFileSync(join(RESULTS_DIR, `${name}.md`), md);
  log(
    `wrote ${relative(REPO_ROOT, join(RESULTS_DIR, name))}.{json,md} (prep ${prepSeconds.toFixed(0)} s, wall ${wallSeconds.toFixed(0)} s)`,
  );
}

await main();
