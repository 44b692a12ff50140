// Builds decoder-only model folders with different quantizer options, for bench/quant/decoder-step.ts:
// each folder holds config.json and onnx/decoder_model_merged.onnx (+ _data), nothing else.
//
//   npx tsx bench/quant/decoder-variants.ts --fp32 DIR --out DIR NAME[:key=value,...] ...
// keys: block (split block columns), above (split above columns; 0 = never), form (concat|stacked), concat (a
// regular expression: split weights that keep the Concat form; default lm_head), exclude (a regular expression)
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { readModel, writeModel } from "../../onnx-graph";
import type { QuantOptions } from "../../quant/options";
import { quantizeModel } from "../../quant/quantize-model";

function parse(spec: string): { name: string; opts: Partial<QuantOptions> } {
  const [name, rest] = spec.split(":") as [string, string | undefined];
  const opts: Partial<QuantOptions> = {};
  for (const kv of rest ? rest.split(",") : []) {
    const [k, v] = kv.split("=") as [string, string];
    if (k === "block") opts.splitBlock = Number(v);
    else if (k === "above") opts.splitAbove = Number(v);
    else if (k === "form") opts.splitForm = v as QuantOptions["splitForm"];
    else if (k === "concat") opts.splitConcat = new RegExp(v);
    else if (k === "exclude") opts.exclude = [...(opts.exclude ?? []), new RegExp(v)];
    else throw new Error(`unknown key ${k}`);
  }
  return { name, opts };
}

const argv = process.argv.slice(2);
const fp32 = argv[argv.indexOf("--fp32") + 1]!;
const out = argv[argv.indexOf("--out") + 1]!;
const specs = argv.filter(
  (a, i) => !a.startsWith("--") && argv[i - 1] !== "--fp32" && argv[i - 1] !== "--out",
);
for (const spec of specs) {
  const { name, opts } = parse(spec);
  const dir = join(out, name);
  if (existsSync(join(dir, "onnx", "decoder_model_merged.onnx"))) continue;
  mkdirSync(join(dir, "onnx"), { recursive: true });
  copyFileSync(join(fp32, "config.json"), join(dir, "config.json"));
  const { model, load } = readModel(join(fp32, "onnx", "decoder_model_merged.onnx"));
  const r = quantizeModel(model, { ...opts }, load);
  writeModel(join(dir, "onnx", "decoder_model_merged.onnx"), model, {
    load,
    externalData: { location: "decoder_model_merged.onnx_data" },
  });
  console.log(name, JSON.stringify(r.rewrites));
}
