// How much storing image features as fp16 (the feature cache's default) changes the output of a model:
//   tsx worker/dev/measure-fp16.ts [--model DIR] [--tokens 20] [--beams 1,3] IMAGE...
// For each image: features in fp32 and after the cache codec's fp16 round trip; for each task and beam count
// the generated tokens from both, reported as identical or at which step they first differ. As a control, the
// same is done with the features scaled by 1 ± 1e-6 (float32 rounding-noise size): a model whose tokens flip
// under that is too close to ties (random weights) for the fp16 comparison to say anything.
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { loadFlorence2 } from "../../runtime-node/load-florence2";
import { chooseModelDir } from "../../server-node/model-dir";
import { decodeFeatures, encodeFeatures } from "../cache/feature-codec";

const opts = new Command()
  .option("--model <dir>")
  .option("--tokens <n>", "max new tokens", "20")
  .option("--beams <list>", "beam counts", "1,3")
  .option("--tasks <list>", "tasks", "<CAPTION>,<OD>,<OCR_WITH_REGION>")
  .option("--noise <list>", "relative noise levels of the control runs", "1e-6")
  .argument("<images...>")
  .parse();
const o = opts.opts<{ model?: string; tokens: string; beams: string; tasks: string; noise: string }>();
const noiseLevels = o.noise.split(",").map(Number);
const choice = chooseModelDir(o.model);
const florence = await loadFlorence2({ modelDir: choice.dir, backend: "ort-web", threads: 2 });
console.log(`model ${florence.folder.metadata.version} (${choice.dir})`);
let same = 0;
let total = 0;
for (const path of opts.args) {
  const fp32 = await florence.imageFeatures(readFileSync(path));
  const decoded = await decodeFeatures(await encodeFeatures(fp32, "k", "fp16"), "k");
  if (!decoded.ok) throw new Error(decoded.reason);
  let maxAbs = 0;
  let maxVal = 0;
  fp32.features.forEach((v, i) => {
    maxAbs = Math.max(maxAbs, Math.abs(v - decoded.features.features[i]!));
    maxVal = Math.max(maxVal, Math.abs(v));
  });
  console.log(
    `${path}: ${fp32.tokens}×${fp32.features.length / fp32.tokens} features, max |fp16 − fp32| = ${maxAbs.toExponential(2)} (max |value| ${maxVal.toFixed(2)})`,
  );
  const nudged = noiseLevels.map((eps) => ({
    eps,
    image: { ...fp32, features: fp32.features.map((v, i) => v * (1 + (i % 2 === 0 ? eps : -eps))) },
  }));
  const compare = (a: number[], b: number[]) => {
    const firstDiff = a.findIndex((t, i) => t !== b[i]);
    const identical = firstDiff === -1 && a.length === b.length;
    return {
      identical,
      text: identical
        ? "identical"
        : `differs from token ${firstDiff === -1 ? Math.min(a.length, b.length) : firstDiff}`,
    };
  };
  for (const task of o.tasks.split(",")) {
    for (const numBeams of o.beams.split(",").map(Number)) {
      const req = { task, numBeams, maxNewTokens: Number(o.tokens) };
      const a = (await florence.runOnFeatures(fp32, req)).tokens;
      const half = compare(a, (await florence.runOnFeatures(decoded.features, req)).tokens);
      const controls: string[] = [];
      for (const { eps, image } of nudged)
        controls.push(`×(1±${eps}) ${compare(a, (await florence.runOnFeatures(image, req)).tokens).text}`);
      total++;
      if (half.identical) same++;
      console.log(
        `  ${task} beams=${numBeams}: fp16 ${half.text}; controls: ${controls.join(", ")} (${a.length} tokens)`,
      );
    }
  }
}
console.log(`identical token sequences: ${same}/${total}`);
await florence.engine.release();
