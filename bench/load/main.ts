// npm run load — a bounded load test of the API against a local deployment (loopback only).
//   npm run load                                   300 requests, 16 in flight, tiny model, fresh workerd instances
//   npm run load -- --requests 100 --concurrency 8 --retries 2 --var MAX_IN_FLIGHT=16
//   npm run load -- --url http://127.0.0.1:8787 --reference-url http://127.0.0.1:8788   (servers you started)
// Runs the workload once sequentially on one fresh instance (the reference), then concurrently on another,
// and checks every concurrent answer against the reference (check.ts). Exit code 1 if any answer is wrong,
// missing or undocumented. Results: console, bench/load/results/latest.{md,json}.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { checkRun, selfConsistent } from "./check";
import { existingServer, startLocalWorker, tinyModelDir, type Deployment } from "./deployment";
import { latencies, markdown, type LoadReport } from "./report";
import { runRequests } from "./run";
import { buildWorkload } from "./workload";

const program = new Command()
  .name("npm run load --")
  .option("--requests <n>", "requests in the run", "300")
  .option("--concurrency <n>", "requests in flight at once", "16")
  .option("--images <n>", "distinct images", "10")
  .option("--seed <n>", "workload seed", "1")
  .option("--max-new-tokens <n>", "max_new_tokens of every request", "12")
  .option("--retries <n>", "retries of a 429/503 after its Retry-After (0: report the first answer)", "0")
  .option("--deadline <s>", "time limit of each run (reference and load), seconds", "600")
  .option("--timeout <s>", "time limit of one request, seconds", "120")
  .option("--var <KEY=VALUE...>", "Worker vars of the local deployments (e.g. MAX_IN_FLIGHT=16)", [])
  .option("--model <dir>", "model folder for the local deployments (default: the tiny synthetic model)")
  .option("--url <url>", "load an already running server on loopback instead of starting one")
  .option(
    "--reference-url <url>",
    "with --url: another running server with empty caches, for the sequential reference",
  )
  .option("--out <dir>", "where to write latest.md and latest.json", join(import.meta.dirname, "results"))
  .parse();

const opts = program.opts<{
  requests: string;
  concurrency: string;
  images: string;
  seed: string;
  maxNewTokens: string;
  retries: string;
  deadline: string;
  timeout: string;
  var: string[];
  model?: string;
  url?: string;
  referenceUrl?: string;
  out: string;
}>();
const int = (v: string, name: string, min: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
  return n;
};

async function main(): Promise<number> {
  const requestsN = int(opts.requests, "requests", 1);
  const concurrency = int(opts.concurrency, "concurrency", 1);
  const retries = int(opts.retries, "retries", 0);
  const maxNewTokens = int(opts.maxNewTokens, "max-new-tokens", 1);
  const seed = int(opts.seed, "seed", 0);
  const deadlineMs = int(opts.deadline, "deadline", 1) * 1000;
  const timeoutMs = int(opts.timeout, "timeout", 1) * 1000;
  // fp32 features: a cached feature entry then gives exactly the answer a fresh computation gives, so every
  // answer can be compared bit for bit whichever path served it (fp16 entries can move near-tied tokens).
  const vars: Record<string, string> = {
    FEATURE_DTYPE: "fp32",
    MAX_NEW_TOKENS_CAP: String(Math.max(64, maxNewTokens)),
  };
  for (const kv of opts.var) {
    const [k, ...v] = kv.split("=");
    if (!k || v.length === 0) throw new Error(`--var ${kv}: expected KEY=VALUE`);
    vars[k] = v.join("=");
  }
  if (opts.url && !opts.referenceUrl)
    throw new Error(
      "--url needs --reference-url: a second server with empty caches for the sequential reference",
    );

  const workload = buildWorkload({
    requests: requestsN,
    images: int(opts.images, "images", 1),
    seed,
    maxNewTokens,
  });
  const { requests } = workload;
  const distinct = new Set(requests.map((r) => r.key)).size;
  const forms: Record<string, number> = {};
  for (const r of requests) forms[r.form] = (forms[r.form] ?? 0) + 1;
  const modelDir = opts.model ?? tinyModelDir();
  console.log(
    `workload: ${requests.length} requests, ${distinct} distinct analyses, ${workload.images.length} images; model ${modelDir}`,
  );

  const start = (url?: string): Promise<Deployment> =>
    url ? Promise.resolve(existingServer(url)) : startLocalWorker(modelDir, vars);

  // 1. The reference: one at a time, on a fresh instance.
  const refServer = await start(opts.referenceUrl);
  let reference;
  try {
    console.log(`reference (sequential) on ${refServer.describe} ...`);
    reference = await runRequests(workload, requests, {
      baseUrl: refServer.url,
      concurrency: 1,
      deadlineMs,
      timeoutMs,
      retries: 3,
    });
  } finally {
    await refServer.close();
  }
  const problems = selfConsistent(requests, reference.outcomes);
  console.log(
    `reference: ${(reference.wallMs / 1000).toFixed(1)} s, ${reference.outcomes.filter((o) => o.status === 200).length} answered 200${problems.length ? `; ${problems.length} problems: ${problems.slice(0, 3).join("; ")}` : ""}`,
  );

  // 2. The load: the same requests, `concurrency` at a time, on another fresh instance.
  const server = await start(opts.url);
  let run;
  let serverStats: Record<string, unknown>;
  try {
    console.log(`load: ${concurrency} in flight on ${server.describe} ...`);
    run = await runRequests(workload, requests, {
      baseUrl: server.url,
      concurrency,
      deadlineMs,
      timeoutMs,
      retries,
    });
    serverStats = (await (await fetch(`${server.url}/v1/stats`)).json()) as Record<string, unknown>;
  } finally {
    await server.close();
  }

  const verdict = checkRun(workload, requests, run.outcomes, reference.outcomes);
  const report: LoadReport = {
    date: new Date().toISOString(),
    deployment: server.describe.replace(/ on http:\/\/127\.0\.0\.1:\d+/, " on 127.0.0.1"),
    workload: {
      requests: requests.length,
      distinct,
      images: workload.images.length,
      seed,
      maxNewTokens,
      forms,
    },
    reference: {
      wallMs: reference.wallMs,
      answers: reference.outcomes.filter((o) => o.status === 200).length,
      selfConsistent: problems.length === 0,
      problems,
    },
    run: {
      concurrency,
      retries,
      wallMs: run.wallMs,
      sent: run.outcomes.filter((o) => o.status !== "not_sent").length,
    },
    verdict,
    latencyMs: latencies(run.outcomes),
    serverStats,
  };
  const md = markdown(report);
  console.log(`\n${md}`);
  mkdirSync(opts.out, { recursive: true });
  writeFileSync(join(opts.out, "latest.md"), md);
  writeFileSync(join(opts.out, "latest.json"), `${JSON.stringify(report, null, 2)}\n`);
  for (const o of run.outcomes) if (o.status === "network_error") console.log(`#${o.id}: ${o.error}`);
  const ok =
    verdict.wrong.length === 0 &&
    verdict.lost === 0 &&
    Object.keys(verdict.failed).length === 0 &&
    problems.length === 0;
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
