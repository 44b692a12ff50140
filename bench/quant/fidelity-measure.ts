// The measuring side of fidelity.ts, each run in its own process: output fidelity of the int8 model against
// fp32 on seeded inputs and side-by-side speed of the vision encoder and of one decoder step on
// onnxruntime-web (memory: fidelity-memory.ts).
import { Random } from "../../onnx-graph";
import {
  argmax,
  DecoderRun,
  embedIds,
  encode,
  GRAPHS,
  imageFeatures,
  openGraph,
  textDims,
  type GraphName,
  type Tensor32,
} from "./florence-run";
import type { Backend, BenchSession } from "./ort-backends";
import { seededPixels, seededPrompt } from "./seeded-inputs";
import { cosine, maxRelError, median, summarise, type Timing } from "./stats";

export interface Pair {
  cosine: number;
  maxRelError: number;
}

const pair = (q: ArrayLike<number>, ref: ArrayLike<number>): Pair => ({
  cosine: cosine(q, ref),
  maxRelError: maxRelError(q, ref),
});

export interface SampleFidelity {
  seed: number;
  task: string;
  imageFeatures: Pair;
  /** The spatial-mean token (row 0) alone, and the 576 patch tokens: the first is averaged, hence smaller. */
  imageToken0: Pair;
  encoder: Pair;
  /** Decoder logits per step, both models fed the fp32 model's greedy tokens (teacher forcing). */
  logits: Pair[];
  /** Steps at which the int8 model's argmax equals the fp32 model's (teacher-forced). */
  stepAgreement: number;
  /**
   * At each disagreeing step, how far the int8 model's choice is below the fp32 top token in the fp32 logits,
   * in standard deviations of those logits: small values are near-ties that any perturbation flips.
   */
  disagreementMargins: number[];
  fp32Tokens: number[];
  /** The int8 model's own greedy generation (free running). */
  int8Tokens: number[];
  commonPrefix: number;
}

export interface QualityOptions {
  fp32Dir: string;
  int8Dir: string;
  backend: Backend;
  seeds: number[];
  maxNewTokens: number;
  imageSize: number;
}

const EOS = 2;
const DECODER_START = 2;

interface Model {
  g: Record<GraphName, BenchSession>;
}

async function openModel(backend: Backend, dir: string): Promise<Model> {
  const g = {} as Record<GraphName, BenchSession>;
  for (const name of GRAPHS) g[name] = await openGraph(backend, 1, dir, name);
  return { g };
}

async function greedy(
  m: Model,
  text: ReturnType<typeof textDims>,
  enc: Awaited<ReturnType<typeof encode>>,
  maxNew: number,
): Promise<number[]> {
  const run = new DecoderRun(m.g.decoder_model_merged, text, enc);
  const ids = [DECODER_START];
  for (let i = 0; i < maxNew; i++) {
    const next = argmax(await run.step(await embedIds(m.g.embed_tokens, ids.slice(-1))));
    ids.push(next);
    if (next === EOS) break;
  }
  return ids;
}

export async function measureQuality(o: QualityOptions, log: (s: string) => void): Promise<SampleFidelity[]> {
  const text = textDims(o.fp32Dir);
  const ref = await openModel(o.backend, o.fp32Dir);
  const q = await openModel(o.backend, o.int8Dir);
  const out: SampleFidelity[] = [];
  for (const seed of o.seeds) {
    const pixels = seededPixels(seed, o.imageSize);
    const prompt = seededPrompt(o.fp32Dir, seed);
    const fr = await imageFeatures(ref.g.vision_encoder, pixels, o.imageSize);
    const fq = await imageFeatures(q.g.vision_encoder, pixels, o.imageSize);
    const d = fr.dims[2]!;
    const er = await encode(ref.g.encoder_model, fr, await embedIds(ref.g.embed_tokens, prompt.ids));
    const eq = await encode(q.g.encoder_model, fq, await embedIds(q.g.embed_tokens, prompt.ids));
    // Teacher forcing on the fp32 model's greedy tokens.
    const rr = new DecoderRun(ref.g.decoder_model_merged, text, er);
    const rq = new DecoderRun(q.g.decoder_model_merged, text, eq);
    const ids = [DECODER_START];
    const logits: Pair[] = [];
    let agree = 0;
    const margins: number[] = [];
    for (let i = 0; i < o.maxNewTokens; i++) {
      const last = ids.slice(-1);
      const lr = await rr.step(await embedIds(ref.g.embed_tokens, last));
      const lq = await rq.step(await embedIds(q.g.embed_tokens, last));
      logits.push(pair(lq, lr));
      const next = argmax(lr);
      if (argmax(lq) === next) agree++;
      else margins.push((lr[next]! - lr[argmax(lq)]!) / std(lr));
      ids.push(next);
      if (next === EOS) break;
    }
    const int8Tokens = await greedy(q, text, eq, o.maxNewTokens);
    let prefix = 0;
    while (prefix < Math.min(ids.length, int8Tokens.length) && ids[prefix] === int8Tokens[prefix]) prefix++;
    const s: SampleFidelity = {
      seed,
      task: prompt.task,
      imageFeatures: pair(fq.data, fr.data),
      imageToken0: pair(fq.data.subarray(0, d), fr.data.subarray(0, d)),
      encoder: pair(eq.hidden.data, er.hidden.data),
      logits,
      stepAgreement: agree / logits.length,
      disagreementMargins: margins,
      fp32Tokens: ids,
      int8Tokens,
      commonPrefix: prefix,
    };
    log(
      `  sample ${seed} ${prompt.task}: image cos ${s.imageFeatures.cosine.toFixed(5)} (token0 ${s.imageToken0.cosine.toFixed(5)}), encoder ${s.encoder.cosine.toFixed(5)}, logits min ${Math.min(...logits.map((l) => l.cosine)).toFixed(5)}, agreement ${(100 * s.stepAgreement).toFixed(0)}%, generations ${ids.length}/${int8Tokens.length} tokens, common prefix ${prefix}`,
    );
    out.push(s);
  }
  return out;
}

function std(v: Float32Array): number {
  let m = 0;
  for (const x of v) m += x;
  m /= v.length;
  let s = 0;
  for (const x of v) s += (x - m) ** 2;
  return Math.sqrt(s / v.length);
}

export interface Conditioning {
  relativeNoise: number;
  encoderCosine: number;
}

/**
 * How well-conditioned the fp32 model is: the encoder output's cosine to itself when the image features get a
 * relative Gaussian perturbation (x·(1 + ε·N(0,1))). A model whose output moves far under ε = 1e-5 cannot
 * show cosine ≥ 0.99 under any quantization; its fidelity numbers measure its own chaos.
 */
export async function measureConditioning(
  fp32Dir: string,
  backend: Backend,
  imageSize: number,
): Promise<Conditioning[]> {
  const [vision, embed, encoder] = [
    await openGraph(backend, 1, fp32Dir, "vision_encoder"),
    await openGraph(backend, 1, fp32Dir, "embed_tokens"),
    await openGraph(backend, 1, fp32Dir, "encoder_model"),
  ];
  const features = await imageFeatures(vision, seededPixels(0, imageSize), imageSize);
  const prompt = await embedIds(embed, seededPrompt(fp32Dir, 0).ids);
  const ref = await encode(encoder, features, prompt);
  const out: Conditioning[] = [];
  for (const eps of [1e-6, 1e-5, 1e-4, 1e-3]) {
    const r = new Random(9);
    const noisy = { data: features.data.map((v) => v * (1 + eps * r.normal())), dims: features.dims };
    out.push({
      relativeNoise: eps,
      encoderCosine: cosine((await encode(encoder, noisy, prompt)).hidden.data, ref.hidden.data),
    });
  }
  return out;
}

export interface SpeedRow {
  what: string;
  fp32: Timing;
  int8: Timing;
  speedup: number;
  /** Process CPU time per call (process.cpuUsage; the compute runs on one thread), medians, and their ratio. */
  fp32CpuMs?: number;
  int8CpuMs?: number;
  cpuSpeedup?: number;
  /** The two variants' outputs on the same input, on this backend. */
  outputCosine: number;
}

interface SideBySide {
  wall: [Timing, Timing];
  cpuMs: [number, number];
}

/**
 * Round-robin timing of two calls (fp32, int8): load from other processes falls on both alike. Wall time and
 * process CPU time per call; the machine is shared, so CPU time is the steadier of the two. `warmup` untimed
 * rounds first: V8 runs WASM in baseline code until a background thread has compiled the hot functions with
 * TurboFan, which took ~40 decoder steps here (bench/quant/decoder-step.ts).
 */
async function sideBySide(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  rounds: number,
  warmup = 0,
): Promise<SideBySide> {
  for (let r = 0; r < warmup; r++) {
    await a();
    await b();
  }
  const wall: [number[], number[]] = [[], []];
  const cpu: [number[], number[]] = [[], []];
  for (let r = 0; r < rounds; r++) {
    for (const [i, fn] of [a, b].entries()) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await fn();
      wall[i]!.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu[i]!.push((c.user + c.system) / 1000);
    }
  }
  return { wall: [summarise(wall[0]), summarise(wall[1])], cpuMs: [median(cpu[0]), median(cpu[1])] };
}

function speedRow(what: string, r: SideBySide, outputCosine: number): SpeedRow {
  const [fp32, int8] = r.wall;
  return {
    what,
    fp32,
    int8,
    speedup: fp32.medianMs / int8.medianMs,
    fp32CpuMs: r.cpuMs[0],
    int8CpuMs: r.cpuMs[1],
    cpuSpeedup: r.cpuMs[0] / r.cpuMs[1],
    outputCosine,
  };
}

export async function measureVisionSpeed(
  fp32Dir: string,
  int8Dir: string,
  imageSize: number,
  rounds: number,
  log: (s: string) => void,
): Promise<SpeedRow> {
  const pixels = seededPixels(0, imageSize);
  const [vr, vq] = [
    await openGraph("web", 1, fp32Dir, "vision_encoder"),
    await openGraph("web", 1, int8Dir, "vision_encoder"),
  ];
  const fr = await imageFeatures(vr, pixels, imageSize);
  const fq = await imageFeatures(vq, pixels, imageSize);
  log(`  vision warm-up done; cosine ${cosine(fq.data, fr.data).toFixed(6)}`);
  const r = await sideBySide(
    () => imageFeatures(vr, pixels, imageSize),
    () => imageFeatures(vq, pixels, imageSize),
    rounds,
  );
  return speedRow("vision encoder (1 image)", r, cosine(fq.data, fr.data));
}

/**
 * One with-past decoder step at a given cache length, fp32 vs int8, on the same seeded encoder states and
 * token embeddings (speed does not depend on their values); also the first (no-past) step.
 */
export async function measureDecoderSpeed(
  fp32Dir: string,
  int8Dir: string,
  encoderLength: number,
  pastLength: number,
  rounds: number,
  log: (s: string) => void,
): Promise<SpeedRow[]> {
  const text = textDims(fp32Dir);
  const rnd = new Random(77);
  const hidden: Tensor32 = {
    data: rnd.fork("hidden").normalArray(encoderLength * text.dModel, 1),
    dims: [1, encoderLength, text.dModel],
  };
  const tok: Tensor32 = { data: rnd.fork("tok").normalArray(text.dModel, 1), dims: [1, 1, text.dModel] };
  const enc = { hidden, length: encoderLength };
  const dr = await openGraph("web", 1, fp32Dir, "decoder_model_merged");
  const dq = await openGraph("web", 1, int8Dir, "decoder_model_merged");
  const first = async (s: BenchSession) => new DecoderRun(s, text, enc).step(tok);
  const firstStep = await sideBySide(
    () => first(dr),
    () => first(dq),
    Math.max(3, Math.floor(rounds / 3)),
    1,
  );
  // Bring both caches to `pastLength`, then time the next step repeatedly (same cache each time).
  const warm = async (s: BenchSession) => {
    const run = new DecoderRun(s, text, enc);
    for (let i = 0; i < pastLength; i++) await run.step(tok);
    return run;
  };
  const [wr, wq] = [await warm(dr), await warm(dq)];
  // Each timed call steps a copy, so every call sees the same past length.
  const [sr, sq] = [() => wr.clone().step(tok), () => wq.clone().step(tok)];
  const lr = await sr();
  const lq = await sq();
  log(`  decoder warm-up done; logits cosine ${cosine(lq, lr).toFixed(6)}`);
  const step = await sideBySide(sr, sq, rounds, 40);
  return [
    speedRow(
      `decoder first step (no past; cross-attention K/V over ${encoderLength} tokens)`,
      firstStep,
      NaN,
    ),
    speedRow(
      `decoder step with past (cache ${pastLength}, encoder ${encoderLength} tokens)`,
      step,
      cosine(lq, lr),
    ),
  ];
}
