// Scale tuner for the synthetic Florence-2 language model: greedy decoding for images × tasks under candidate
// weight scales, with diversity statistics per candidate (stats.ts). Dev tool, not part of the product.
//
//   npx tsx scripts/tune-scales/tune.ts --preset base --candidates '[{"name":"a","scales":{"selfAttention":0.09}}]'
//   npx tsx scripts/tune-scales/tune.ts --preset base --folder models/synthetic-base-seed0   (evaluate a folder)
//
// Candidates: a JSON array (inline or a file) of { name, scales?: Partial<WeightScales>, knobs?: {addedGain,
// eosBias} }; scales not given keep the preset's. Image features come from the vision encoder of
// --features-from (default: --folder, else models/synthetic-<preset>-seed<seed>, else the tiny test cache), or
// with --build-vision from one built at the first candidate's scales.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { buildPrompt } from "../../runtime/prompt";
import { Florence2Tokenizer } from "../../runtime/tokens";
import { cachedModelDir } from "../../synthetic-model/cache";
import { baseVocabSize, PRESETS, type Preset, type WeightScales } from "../../synthetic-model/presets";
import { buildTokenizerFiles } from "../../synthetic-model/tokenizer";
import { greedy, openTextSessions } from "./greedy";
import { buildVisionFile, featureSimilarity, imageFeatures } from "./image-features";
import { encoderStats } from "./encoder-stats";
import { probeInputDependence } from "./probe";
import { textScales } from "./scale-kinds";
import { formatSummary, showTokens, summarize, type Run } from "./stats";
import {
  buildUnitTextGraphs,
  writeScaledTextGraphs,
  type ExperimentalKnobs,
  type UnitTextGraphs,
} from "./text-graphs";

interface Candidate {
  name: string;
  scales?: Partial<WeightScales>;
  knobs?: ExperimentalKnobs;
}

interface Options {
  preset: Preset["name"];
  seed: string;
  folder?: string;
  featuresFrom?: string;
  buildVision: boolean;
  candidates?: string;
  images: string;
  tasks: string;
  steps: string;
  ngram: string;
  show: string;
  probe: string;
  work: string;
}

const log = (s: string) => process.stderr.write(`${s}\n`);

function visionFile(o: Options, preset: Preset, first: Candidate | undefined): string {
  const inFolder = (dir: string) => join(dir, "onnx", "vision_encoder.onnx");
  if (o.buildVision)
    return buildVisionFile(
      { ...preset, scales: { ...preset.scales, ...first?.scales } },
      Number(o.seed),
      o.work,
      log,
    );
  if (o.featuresFrom ?? o.folder) return inFolder((o.featuresFrom ?? o.folder)!);
  const folder = `models/synthetic-${o.preset}-seed${o.seed}`;
  if (existsSync(inFolder(folder))) return inFolder(folder);
  if (o.preset === "tiny") return inFolder(cachedModelDir({ preset: "tiny", seed: Number(o.seed) }));
  throw new Error(`no vision encoder for ${o.preset}: pass --features-from or --build-vision`);
}

async function main(o: Options): Promise<void> {
  const preset = PRESETS[o.preset];
  const classes = { firstAdded: baseVocabSize(preset) };
  const files = buildTokenizerFiles(baseVocabSize(preset), preset.text.maxPositions);
  const tok = new Florence2Tokenizer({
    tokenizer: files["tokenizer.json"],
    config: files["tokenizer_config.json"],
  });
  const tasks = o.tasks.split(",");
  const prompts = tasks.map((t) => tok.encodePrompt(buildPrompt(t)));
  const candidates: Candidate[] = o.folder
    ? [{ name: o.folder }]
    : (JSON.parse(
        o.candidates?.trim().startsWith("[") ? o.candidates : readFileSync(o.candidates ?? "", "utf8"),
      ) as Candidate[]);
  const feats = await imageFeatures(
    visionFile(o, preset, candidates[0]),
    o.images.split(","),
    join(o.work, "features"),
    log,
  );
  for (let i = 0; i < feats.length; i++) {
    for (let j = i + 1; j < feats.length; j++) {
      log(
        `features ${feats[i]!.image} vs ${feats[j]!.image}: mean token cosine ${featureSimilarity(feats[i]!, feats[j]!).toFixed(3)}`,
      );
    }
  }

  let unit: UnitTextGraphs | undefined;
  for (const c of candidates) {
    let dir = join(o.folder ?? "", "onnx");
    if (!o.folder) {
      unit ??= buildUnitTextGraphs(preset, Number(o.seed), log);
      dir = join(o.work, `graphs-${process.pid}`);
      writeScaledTextGraphs(unit, textScales({ ...preset.scales, ...c.scales }), dir, c.knobs);
    }
    const sessions = await openTextSessions(dir);
    const runs: Run[] = [];
    const t0 = performance.now();
    for (const f of feats) {
      for (const [k, task] of tasks.entries()) {
        const gen = await greedy(sessions, preset.text, f, prompts[k]!, Number(o.steps), Number(o.ngram));
        runs.push({ image: f.image, task, gen });
      }
    }
    const es = await encoderStats(sessions, preset.text, feats, prompts);
    const encText = `\n  encoder output cosine: token vs token ${es.tokenCosine.toFixed(2)}, image vs image ${es.imageCosine.toFixed(2)}, prompt vs prompt ${es.promptCosine.toFixed(3)}`;
    const probe =
      Number(o.probe) > 0
        ? await probeInputDependence(sessions, preset.text, feats[0]!, prompts[0]!, Number(o.probe))
        : undefined;
    await sessions.release();
    if (!o.folder) rmSync(dir, { recursive: true, force: true });
    const seconds = ((performance.now() - t0) / 1000).toFixed(0);
    const probeText = probe
      ? `\n  probe (${o.probe} random inputs): copy ${probe.copy.toFixed(2)}, distinct outputs ${probe.distinct}, mode ${probe.mode.toFixed(2)}, logit cosine ${probe.cosine.toFixed(2)}`
      : "";
    console.log(
      `${c.name} ${JSON.stringify({ ...c.scales, ...c.knobs })}  (${seconds} s)\n  ${formatSummary(summarize(runs, classes), runs.length)}${encText}${probeText}`,
    );
    for (const r of runs.slice(0, Number(o.show))) {
      console.log(`    ${r.image} ${r.task}: ${showTokens(r.gen.tokens, classes)}`);
    }
  }
}

const program = new Command()
  .option("--preset <name>", "tiny | base", "base")
  .option("--seed <n>", "weight seed", "0")
  .option("--folder <dir>", "evaluate this model folder's own language graphs instead of candidates")
  .option("--features-from <dir>", "model folder whose vision encoder gives the image features")
  .option("--build-vision", "build a vision encoder at the first candidate's scales for the features", false)
  .option("--candidates <json|file>", "candidate scale sets")
  .option("--images <list>", "fixture images", "coins.png,page.png,ihc.png")
  .option("--tasks <list>", "task tokens", "<CAPTION>,<OD>")
  .option("--steps <n>", "max new tokens", "60")
  .option("--ngram <n>", "no_repeat_ngram_size (0: off)", "3")
  .option("--show <n>", "print the first tokens of this many runs", "2")
  .option("--probe <n>", "also feed n random input tokens after `</s> <s>` (probe.ts)", "0")
  .option("--work <dir>", "scratch folder", "/tmp/tune-scales")
  .action((o: Options) => main(o));

await program.parseAsync();
