// Diversity report for a finished model folder, decoded by our runtime on onnxruntime-node with the folder's
// generation_config (forced <s> and </s>, no repeated 3-gram): greedy and beam search (transformers.js has
// no beam search, REFERENCE.md §3; its greedy tokens equal these, test/runtime/parity-transformersjs).
//   npx tsx scripts/tune-scales/report-folder.ts models/synthetic-base-seed0 [--steps 60] [--beams 3]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { loadFlorence2 } from "../../runtime-node/load-florence2";
import { FIXTURE_IMAGES } from "./image-features";
import { formatSummary, isLoc, showTokens, summarize, type Run } from "./stats";

interface Options {
  steps: string;
  beams: string;
  images: string;
  tasks: string;
}

async function main(dir: string, o: Options): Promise<void> {
  const florence = await loadFlorence2({ modelDir: dir, backend: "ort-node", threads: 2 });
  const added = JSON.parse(readFileSync(join(dir, "added_tokens.json"), "utf8")) as Record<string, number>;
  const classes = { firstAdded: added["<od>"]! };
  const steps = Number(o.steps);
  const features = [];
  for (const image of o.images.split(",")) {
    features.push({
      image,
      f: await florence.imageFeatures(new Uint8Array(readFileSync(join(FIXTURE_IMAGES, image)))),
    });
  }
  for (const beams of [1, Number(o.beams)]) {
    const runs: Run[] = [];
    for (const { image, f } of features) {
      for (const task of o.tasks.split(",")) {
        const t0 = performance.now();
        const r = await florence.runOnFeatures(f, { task, numBeams: beams, maxNewTokens: steps });
        // Drop the decoder start; a </s> at the length limit is the forced one, not the model's.
        const tokens = r.tokens.slice(1);
        const eos = tokens.indexOf(2, 1);
        const natural = eos >= 0 && eos < steps - 1;
        const gen = {
          tokens,
          ...(natural ? { eosStep: eos + 1 } : {}),
          meanTopProb: Number.NaN,
          maxAbs: Number.NaN,
        };
        runs.push({ image, task, gen });
        const s = ((performance.now() - t0) / 1000).toFixed(1);
        const body = tokens.slice(1).filter((t) => t !== 2);
        const locs = body.filter((t) => isLoc(t, classes)).length;
        const stats = `${new Set(body).size} distinct of ${body.length}, loc ${((100 * locs) / body.length).toFixed(0)}%, eos ${natural ? `step ${eos + 1}` : "none"}`;
        console.log(`  beams ${beams} ${image} ${task} (${s} s; ${stats}): ${showTokens(tokens, classes)}`);
      }
    }
    console.log(`beams ${beams}: ${formatSummary(summarize(runs, classes), runs.length)}`);
  }
}

const program = new Command()
  .argument("<folder>", "model folder")
  .option("--steps <n>", "max new tokens", "60")
  .option("--beams <n>", "beam width of the second pass", "3")
  .option("--images <list>", "fixture images", "coins.png,page.png,ihc.png")
  .option("--tasks <list>", "task tokens", "<CAPTION>,<OD>")
  .action((folder: string, o: Options) => main(folder, o));

await program.parseAsync();
