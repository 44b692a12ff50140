// One band pass (model-splitter/manifest.ts BandPass): the full map stays in JS, each band of rows (with the
// halo its convolutions need) is copied out, run through the band graph, and its result written into the
// output map or reduced into a statistic. Only one band's activations ever live in WASM memory.
import type { BandPass } from "../../../model-splitter/manifest";
import type { InferenceSession, Tensor, TensorConstructor } from "../ort-types";
import { floatsOf, fromOrt, toOrt, type NamedTensors, type StageTensor } from "./tensors";

/** The input rows [r0, r1) of a band (r0 may be < 0 and r1 > height: those rows are zeros, mask 0). */
export function inputRows(pass: Pick<BandPass, "rowMap">, o0: number, o1: number): [number, number] {
  const { stride, kernel, pad } = pass.rowMap;
  return [o0 * stride - pad, (o1 - 1) * stride - pad + kernel];
}

/**
 * Copies rows [r0, r1) of the map into a band tensor (zeros outside the map) and builds its mask. `into`, when
 * given and large enough, is reused for the band's values (one buffer for all bands of a pass).
 */
export function extractBand(
  pass: BandPass,
  map: Float32Array,
  r0: number,
  r1: number,
  into?: Float32Array,
): { band: StageTensor; mask: StageTensor } {
  const { inHeight: H, inWidth: W, inChannels: C } = pass;
  const rows = r1 - r0;
  const data =
    into && into.length >= rows * W * C
      ? into.subarray(0, rows * W * C).fill(0)
      : new Float32Array(rows * W * C);
  const mask = new Float32Array(rows);
  const lo = Math.max(0, r0);
  const hi = Math.min(H, r1);
  for (let r = lo; r < hi; r++) mask[r - r0] = 1;
  if (pass.layout === "tokens") {
    // [1, H·W, C]: rows are contiguous runs of W·C values.
    if (hi > lo) data.set(map.subarray(lo * W * C, hi * W * C), (lo - r0) * W * C);
    return {
      band: { type: "float32", dims: [1, rows * W, C], data },
      mask: { type: "float32", dims: [rows], data: mask },
    };
  }
  // [1, C, H, W]: one run of rows per channel.
  for (let c = 0; c < C && hi > lo; c++)
    data.set(map.subarray((c * H + lo) * W, (c * H + hi) * W), (c * rows + (lo - r0)) * W);
  return {
    band: { type: "float32", dims: [1, C, rows, W], data },
    mask: { type: "float32", dims: [rows], data: mask },
  };
}

export async function runBandPass(
  pass: BandPass,
  env: NamedTensors,
  session: InferenceSession,
  Tensor: TensorConstructor,
  post?: InferenceSession,
): Promise<void> {
  const map = floatsOf(env.get(pass.input), pass.input);
  const out = pass.output;
  const result =
    out.kind === "map" ? new Float32Array(pass.outHeight * pass.outWidth * out.channels) : undefined;
  let stat: Float64Array | undefined;
  let sum: Float32Array | undefined;
  let covered = 0;
  const widest = Math.max(...pass.bands.map(([a, b]) => inputRows(pass, a, b)).map(([a, b]) => b - a));
  const buffer = new Float32Array(widest * pass.inWidth * pass.inChannels);
  for (const [o0, o1] of pass.bands) {
    if (o0 !== covered)
      throw new Error(
        `band pass ${pass.graph}: bands must cover the rows in order (got ${o0}, expected ${covered})`,
      );
    covered = o1;
    const [r0, r1] = inputRows(pass, o0, o1);
    const { band, mask } = extractBand(pass, map, r0, r1, buffer);
    const feeds: Record<string, Tensor> = { band_in: toOrt(Tensor, band), band_mask: toOrt(Tensor, mask) };
    for (const s of pass.stats) {
      const t = env.get(s);
      if (!t) throw new Error(`band pass ${pass.graph} needs statistic ${s}`);
      feeds[s] = toOrt(Tensor, t);
    }
    let res = await session.run(feeds);
    if (post) res = await post.run(Object.fromEntries(post.inputNames.map((n) => [n, res[n]!])));
    if (out.kind === "map") {
      const y = floatsOf(res.band_out ? fromOrt(res.band_out) : undefined, "band_out");
      const size = (o1 - o0) * pass.outWidth * out.channels;
      if (y.length !== size)
        throw new Error(`band pass ${pass.graph}: band_out has ${y.length} values, expected ${size}`);
      result!.set(y, o0 * pass.outWidth * out.channels);
    } else {
      const part = floatsOf(res[out.name] ? fromOrt(res[out.name]!) : undefined, out.name);
      if (out.reduce === "sum")
        sum = addBlocks(sum ?? new Float32Array(out.dims.reduce((a, b) => a * b, 1)), part);
      else stat = minmax(stat, part);
    }
  }
  if (covered !== pass.outHeight)
    throw new Error(`band pass ${pass.graph}: bands cover ${covered} of ${pass.outHeight} rows`);
  if (out.kind === "map")
    env.set(out.name, {
      type: "float32",
      dims: [1, pass.outHeight * pass.outWidth, out.channels],
      data: result!,
    });
  else
    env.set(out.name, {
      type: "float32",
      dims: out.dims,
      data: out.reduce === "sum" ? sum! : Float32Array.from(stat!),
    });
}

/** Adds the blocks of a partial ([blocks, ...]) to the running sum one after another, in float32. */
function addBlocks(acc: Float32Array, part: Float32Array): Float32Array {
  const n = acc.length;
  if (part.length % n !== 0)
    throw new Error(`a sum partial of ${part.length} values does not hold blocks of ${n}`);
  for (let b = 0; b < part.length; b += n)
    for (let i = 0; i < n; i++) acc[i] = Math.fround(acc[i]! + part[b + i]!);
  return acc;
}

/** Element 0 is a minimum, element 1 a maximum (both exact). */
function minmax(acc: Float64Array | undefined, part: Float32Array): Float64Array {
  if (!acc) return Float64Array.from(part);
  acc[0] = Math.min(acc[0]!, part[0]!);
  acc[1] = Math.max(acc[1]!, part[1]!);
  return acc;
}
