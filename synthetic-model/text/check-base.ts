// Builds the base-preset language graphs (embed_tokens, encoder_model, decoder_model_merged), each in its own
// child process so that its peak RSS is its own, writes them to a temp folder and runs them together with
// onnxruntime-node: 577 + 10 encoder tokens, greedy decoding through the merged decoder's cache, and the
// with-past logits checked against one no-past run over the same prefix.
// `npm run model:text-check [-- --keep]` (the folder is deleted afterwards unless --keep).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { Random, writeModel } from "../../onnx-graph";
import { PRESETS } from "../presets";
import { buildDecoderMerged } from "./decoder-merged";
import { buildEmbedTokens } from "./embed-tokens";
import { buildEncoder } from "./encoder";
import { cacheEntries, pastName, presentName } from "./io-names";

const MB = 1e6;
const GRAPHS = {
  embed_tokens: { build: buildEmbedTokens, params: 39_389_952, publishedMB: 158 },
  encoder_model: { build: buildEncoder, params: 43_316_736, publishedMB: 173 },
  decoder_model_merged: { build: buildDecoderMerged, params: 96_890_112, publishedMB: 388 },
} as const;
type GraphName = keyof typeof GRAPHS;

interface BuildReport {
  params: number;
  elements: number;
  initializers: number;
  bytes: number;
  buildS: number;
  writeS: number;
  peakRssMB: number;
}

/** Child process: build one graph with the seed every graph shares, write it, report. */
function buildOne(name: GraphName, dir: string): void {
  let t = performance.now();
  const built = GRAPHS[name].build(PRESETS.base, new Random(0));
  const buildS = (performance.now() - t) / 1000;
  t = performance.now();
  writeModel(join(dir, `${name}.onnx`), built.model);
  const report: BuildReport = {
    ...built.stats,
    initializers: built.model.graph!.initializer.length,
    bytes: statSync(join(dir, `${name}.onnx`)).size,
    buildS,
    writeS: (performance.now() - t) / 1000,
    peakRssMB: (process.resourceUsage().maxRSS * 1024) / MB,
  };
  console.log(JSON.stringify(report));
}

async function main(): Promise<void> {
  const keep = process.argv.includes("--keep");
  const dir = mkdtempSync(join(tmpdir(), "text-base-"));
  let ok = true;
  for (const name of Object.keys(GRAPHS) as GraphName[]) {
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), "--build", name, dir],
      { encoding: "utf8" },
    );
    if (child.status !== 0) throw new Error(`building ${name} failed:\n${child.stderr}`);
    const r = JSON.parse(child.stdout.trim().split("\n").pop()!) as BuildReport;
    const g = GRAPHS[name];
    ok &&= r.params === g.params;
    console.log(
      `${name}: ${r.params.toLocaleString("en")} params (expected ${g.params.toLocaleString("en")}), ${r.initializers} initializers, ` +
        `file ${(r.bytes / MB).toFixed(2)} MB (published ${g.publishedMB} MB), build ${r.buildS.toFixed(1)} s, write ${r.writeS.toFixed(1)} s, peak RSS ${r.peakRssMB.toFixed(0)} MB`,
    );
  }
  ok &&= await runPipeline(dir);
  if (keep) console.log(`kept ${dir}`);
  else rmSync(dir, { recursive: true });
  if (!ok) process.exitCode = 1;
}

async function runPipeline(dir: string): Promise<boolean> {
  const t = PRESETS.base.text;
  const hd = t.dModel / t.heads;
  let t0 = performance.now();
  const open = (n: GraphName) =>
    ort.InferenceSession.create(join(dir, `${n}.onnx`), { intraOpNumThreads: 2 });
  const [embedS, encS, decS] = [
    await open("embed_tokens"),
    await open("encoder_model"),
    await open("decoder_model_merged"),
  ];
  console.log(`onnxruntime-node: 3 sessions loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const embed = async (ids: number[]) =>
    (
      await embedS.run({
        input_ids: new ort.Tensor("int64", BigInt64Array.from(ids.map(BigInt)), [1, ids.length]),
      })
    ).inputs_embeds!;

  // Encoder input as the runtime builds it: 577 (random) image features ‖ 10 prompt embeddings.
  const prompt = await embed([0, 2264, 473, 5, 2274, 6190, 116, 50265, 50268, 2]);
  const S = 577 + 10;
  const x = new Float32Array(S * t.dModel);
  x.set(new Random(5).normalArray(577 * t.dModel, 1));
  x.set(prompt.data as Float32Array, 577 * t.dModel);
  const mask = new ort.Tensor("int64", new BigInt64Array(S).fill(1n), [1, S]);
  t0 = performance.now();
  const enc = (
    await encS.run({ inputs_embeds: new ort.Tensor("float32", x, [1, S, t.dModel]), attention_mask: mask })
  ).last_hidden_state!;
  console.log(`encoder over ${S} tokens: ${((performance.now() - t0) / 1000).toFixed(2)} s`);

  const empty = Object.fromEntries(
    cacheEntries(t).map((c) => [
      pastName(c.layer, c.side, c.part),
      new ort.Tensor("float32", new Float32Array(0), [1, t.heads, 0, hd]),
    ]),
  );
  const common = { encoder_hidden_states: enc, encoder_attention_mask: mask };
  let cache: Record<string, ort.Tensor> = empty;
  const tokens = [2];
  const logits: Float32Array[] = [];
  t0 = performance.now();
  for (let step = 0; step < 8; step++) {
    const out = await decS.run({
      ...common,
      ...cache,
      inputs_embeds: await embed([tokens[step]!]),
      use_cache_branch: new ort.Tensor("bool", Uint8Array.of(step > 0 ? 1 : 0), [1]),
    });
    const l = out.logits!.data as Float32Array;
    logits.push(l);
    let best = 0;
    for (let i = 1; i < l.length; i++) if (l[i]! > l[best]!) best = i;
    tokens.push(best);
    const next: Record<string, ort.Tensor> = {};
    for (const c of cacheEntries(t))
      if (c.side === "decoder" || step === 0)
        next[pastName(c.layer, c.side, c.part)] = out[presentName(c.layer, c.side, c.part)]!;
    cache = { ...cache, ...next };
  }
  const stepS = (performance.now() - t0) / 1000 / 8;
  const full = await decS.run({
    ...common,
    ...empty,
    inputs_embeds: await embed(tokens.slice(0, 8)),
    use_cache_branch: new ort.Tensor("bool", Uint8Array.of(0), [1]),
  });
  const fl = full.logits!.data as Float32Array;
  let diff = 0;
  logits.forEach((l, k) =>
    l.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - fl[k * t.vocabSize + i]!)))),
  );
  console.log(
    `greedy from 2: ${tokens.slice(1).join(" ")} (${new Set(tokens.slice(1)).size} distinct), ${(stepS * 1000).toFixed(0)} ms per step`,
  );
  console.log(`with-past steps vs one no-past run: max |Δlogit| ${diff.toExponential(2)}`);
  console.log(
    `peak RSS of this process (3 sessions) ${((process.resourceUsage().maxRSS * 1024) / MB).toFixed(0)} MB`,
  );
  await Promise.all([embedS.release(), encS.release(), decS.release()]);
  return diff < 1e-3;
}

const i = process.argv.indexOf("--build");
if (i >= 0) buildOne(process.argv[i + 1] as GraphName, process.argv[i + 2]!);
else await main();
