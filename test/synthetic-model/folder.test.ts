// The tiny synthetic model folder as a whole: every file of the onnx-community layout, configs that agree with
// each other and with the tokenizer, a tokenizer that @huggingface/tokenizers loads with the real Florence-2
// token ids (REFERENCE.md §4), and four graphs that onnxruntime-node runs with the I/O contract of
// REFERENCE.md §2. Expected values come from the reference documents, not from the generator's own tables.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readModel, dimsOf } from "../../onnx-graph";
import { writeConfigFiles, writeModelFolder } from "../../synthetic-model/generate";
import { PRESETS } from "../../synthetic-model/presets";
import {
  argmaxLast,
  decoderStep,
  encode,
  loadSessions,
  type FlorenceSessions,
} from "../helpers/florence-ort";
import { normalizeToChw, testPicture } from "../helpers/test-image";
import { readJson, TINY_SEED, tinyModelDir } from "../helpers/tiny-model";

const FILES = [
  "config.json",
  "generation_config.json",
  "preprocessor_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "added_tokens.json",
  "florence_edge.json",
  "onnx/vision_encoder.onnx",
  "onnx/embed_tokens.onnx",
  "onnx/encoder_model.onnx",
  "onnx/decoder_model_merged.onnx",
];

// REFERENCE.md §4: the tokens after <loc_999>, in id order.
const TAIL_TOKENS =
  "<cap> </cap> <ncap> </ncap> <dcap> </dcap> <grounding> </grounding> <seg> </seg> <sep> <region_cap> </region_cap> <region_to_desciption> </region_to_desciption> <proposal> </proposal> <poly> </poly> <and>".split(
    " ",
  );

const PROMPTS = [
  "What is the text in the image?",
  "What is the text in the image, with regions?",
  "What does the image describe?",
  "Describe in detail what is shown in the image.",
  "Describe with a paragraph what is shown in the image.",
  "Locate the objects with category name in the image.",
  "Locate the objects in the image, with their descriptions.",
  "Locate the region proposals in the image.",
];

let dir: string;
let tokenizer: Tokenizer;
let base: number;
let config: Record<string, unknown> & { text_config: Record<string, number> };

beforeAll(() => {
  dir = tinyModelDir();
  config = readJson(dir, "config.json");
  tokenizer = new Tokenizer(readJson(dir, "tokenizer.json"), readJson(dir, "tokenizer_config.json"));
  base = config.text_config.vocab_size! - 1024;
});

describe("tiny model folder: files and configs", () => {
  it("has every file of the onnx-community layout, at most 10 MB in total", () => {
    const present = [...readdirSync(dir), ...readdirSync(join(dir, "onnx")).map((f) => `onnx/${f}`)];
    expect(present.sort()).toEqual([...FILES, "onnx"].sort());
    const total = FILES.reduce((a, f) => a + statSync(join(dir, f)).size, 0);
    expect(total).toBeLessThanOrEqual(10e6);
  });

  it("configs agree with each other, with the tokenizer and with the embedding table", () => {
    const gen = readJson(dir, "generation_config.json");
    const pre = readJson(dir, "preprocessor_config.json");
    const meta = readJson(dir, "florence_edge.json");
    const text = config.text_config;
    const vocab = config.vocab_size;
    expect(config.model_type).toBe("florence2");
    expect(config.is_encoder_decoder).toBe(true);
    expect(text.model_type).toBe("florence2_language");
    expect(text.vocab_size).toBe(vocab);
    expect(tokenizer.get_vocab(true).size).toBe(vocab);

    const embed = readModel(join(dir, "onnx/embed_tokens.onnx")).model.graph!;
    const tables = embed.initializer.map(dimsOf).filter((d) => d.length === 2);
    expect(tables).toEqual([[vocab, text.d_model]]);

    // REFERENCE.md §4 generation settings and the ids behind them.
    expect(gen).toMatchObject({
      decoder_start_token_id: 2,
      bos_token_id: 0,
      eos_token_id: 2,
      pad_token_id: 1,
      forced_bos_token_id: 0,
      forced_eos_token_id: 2,
      num_beams: 3,
      no_repeat_ngram_size: 3,
      early_stopping: true,
    });
    for (const c of [config, text]) {
      expect(tokenizer.id_to_token(c.bos_token_id as number)).toBe("<s>");
      expect(tokenizer.id_to_token(c.eos_token_id as number)).toBe("</s>");
      expect(tokenizer.id_to_token(c.pad_token_id as number)).toBe("<pad>");
    }
    expect(text.decoder_start_token_id).toBe(gen.decoder_start_token_id);

    // REFERENCE.md §3 processor settings; every task has a parser and exactly one prompt.
    expect(pre).toMatchObject({
      size: { height: 768, width: 768 },
      resample: 3,
      rescale_factor: 1 / 255,
      do_center_crop: false,
      image_mean: [0.485, 0.456, 0.406],
      image_std: [0.229, 0.224, 0.225],
      image_seq_length: 577,
      processor_class: "Florence2Processor",
    });
    const parsers = Object.keys(pre.tasks_answer_post_processing_type as object).sort();
    const prompts = [
      ...Object.keys(pre.task_prompts_without_inputs as object),
      ...Object.keys(pre.task_prompts_with_input as object),
    ];
    expect(parsers).toHaveLength(15);
    expect(prompts.sort()).toEqual(parsers);
    for (const p of Object.values(pre.task_prompts_with_input as Record<string, string>))
      expect(p).toContain("{input}");

    expect(meta).toMatchObject({ synthetic: true, preset: "tiny", seed: TINY_SEED });
    expect(meta.generator_version).toMatch(/\S/);
  });
});

describe("tiny model folder: tokenizer", () => {
  it("has BART's specials and Florence-2's 1024 added tokens at the real ids", () => {
    expect(["<s>", "<pad>", "</s>", "<unk>"].map((t) => tokenizer.token_to_id(t))).toEqual([0, 1, 2, 3]);
    expect(tokenizer.token_to_id("<mask>")).toBe(base - 1);
    expect(["<od>", "</od>", "<ocr>", "</ocr>"].map((t) => tokenizer.token_to_id(t))).toEqual([
      base,
      base + 1,
      base + 2,
      base + 3,
    ]);
    for (const i of [0, 1, 123, 500, 999]) expect(tokenizer.token_to_id(`<loc_${i}>`)).toBe(base + 4 + i);
    expect(TAIL_TOKENS.map((t) => tokenizer.token_to_id(t))).toEqual(
      TAIL_TOKENS.map((_, i) => base + 1004 + i),
    );
    expect(tokenizer.id_to_token(base + 1023)).toBe("<and>");

    const added = readJson<Record<string, number>>(dir, "added_tokens.json");
    expect(Object.keys(added)).toHaveLength(1024);
    for (const [t, id] of Object.entries(added)) expect(tokenizer.token_to_id(t)).toBe(id);
    const cfg = readJson(dir, "tokenizer_config.json");
    expect(cfg.additional_special_tokens).toHaveLength(1024);
    expect(cfg).toMatchObject({
      bos_token: "<s>",
      eos_token: "</s>",
      pad_token: "<pad>",
      tokenizer_class: "BartTokenizer",
    });
  });

  it("wraps text in <s> … </s>, round-trips any text, and keeps <loc_N> whole", () => {
    const texts = [
      "What does the image describe?",
      "A cat, 3 dogs & a naïve café — 東京 🚲!",
      "  two  spaces\tand\nlines ",
    ];
    for (const t of texts) {
      const ids = tokenizer.encode(t).ids;
      expect(ids[0]).toBe(0);
      expect(ids.at(-1)).toBe(2);
      expect(tokenizer.decode(ids, { skip_special_tokens: true })).toBe(t);
    }
    expect(tokenizer.encode("<loc_123>", { add_special_tokens: false }).ids).toEqual([base + 4 + 123]);
    const region = "a red car<loc_12><loc_34><loc_560><loc_999></s>";
    const ids = tokenizer.encode(region, { add_special_tokens: false }).ids;
    expect(ids.slice(-5)).toEqual([base + 16, base + 38, base + 564, base + 1003, 2]);
    expect(tokenizer.decode(ids, { skip_special_tokens: false })).toBe(region);
  });

  it("splits every task prompt into whole words and punctuation", () => {
    for (const p of PROMPTS) {
      const words = p.match(/ ?[A-Za-z]+|[^ A-Za-z]/g)!.map((w) => w.replace(" ", "Ġ"));
      expect(tokenizer.tokenize(p)).toEqual(words);
    }
  });
});

describe("tiny model folder: the four graphs in onnxruntime-node", () => {
  let s: FlorenceSessions;
  const size = 768;
  const pixels = () =>
    new ort.Tensor("float32", normalizeToChw(testPicture(size, size), size), [1, 3, size, size]);
  const finite = (t: ort.Tensor) => (t.data as Float32Array).every(Number.isFinite);

  beforeAll(async () => {
    s = await loadSessions(dir);
  });
  afterAll(async () => {
    await s?.release();
  });

  it("declares the contract's inputs and outputs", () => {
    expect(s.vision.inputNames).toEqual(["pixel_values"]);
    expect(s.vision.outputNames).toEqual(["image_features"]);
    expect(s.embed.inputNames).toEqual(["input_ids"]);
    expect(s.embed.outputNames).toEqual(["inputs_embeds"]);
    expect([...s.encoder.inputNames].sort()).toEqual(["attention_mask", "inputs_embeds"]);
    expect(s.encoder.outputNames).toEqual(["last_hidden_state"]);
    const cache = (prefix: string) =>
      Array.from({ length: s.text.layers }, (_, i) =>
        ["decoder.key", "decoder.value", "encoder.key", "encoder.value"].map((k) => `${prefix}.${i}.${k}`),
      ).flat();
    expect([...s.decoder.inputNames].sort()).toEqual(
      [
        "inputs_embeds",
        "encoder_hidden_states",
        "encoder_attention_mask",
        "use_cache_branch",
        ...cache("past_key_values"),
      ].sort(),
    );
    expect(s.decoder.outputNames).toEqual(["logits", ...cache("present")]);
  });

  it("image → prompt → encoder → first decoder step → steps with past: finite, contract shapes", async () => {
    const t = s.text;
    const prompt = tokenizer.encode("What does the image describe?").ids;
    const image = (await s.vision.run({ pixel_values: pixels() })).image_features!;
    expect(image.dims).toEqual([1, 577, t.dModel]);
    expect(finite(image)).toBe(true);

    const enc = await encode(s, pixels(), prompt);
    const S = 577 + prompt.length;
    expect(enc.hidden.dims).toEqual([1, S, t.dModel]);
    expect(finite(enc.hidden)).toBe(true);

    const ids = [2];
    let step = await decoderStep(s, enc, ids);
    expect(step.logits.dims).toEqual([1, 1, t.vocab]);
    expect(finite(step.logits)).toBe(true);
    for (let i = 0; i < t.layers; i++) {
      expect(step.out[`present.${i}.decoder.key`]!.dims).toEqual([1, t.heads, 1, t.headDim]);
      expect(step.out[`present.${i}.encoder.value`]!.dims).toEqual([1, t.heads, S, t.headDim]);
    }
    for (let n = 1; n <= 3; n++) {
      ids.push(argmaxLast(step.logits));
      step = await decoderStep(s, enc, ids, step.cache);
      expect(step.logits.dims).toEqual([1, 1, t.vocab]);
      expect(finite(step.logits)).toBe(true);
      expect(step.out["present.0.decoder.value"]!.dims).toEqual([1, t.heads, n + 1, t.headDim]);
      // The with-past branch does not recompute cross-attention K/V: optimum's empty placeholder.
      expect(step.out["present.0.encoder.key"]!.dims).toEqual([0, t.heads, 1, t.headDim]);
    }
  });

  it("the with-past branch agrees with the no-past branch run on the whole sequence", async () => {
    const enc = await encode(
      s,
      pixels(),
      tokenizer.encode("Locate the objects with category name in the image.").ids,
    );
    const ids = [2, 0];
    let step = await decoderStep(s, enc, ids.slice(0, 1));
    step = await decoderStep(s, enc, ids, step.cache);
    for (let n = 0; n < 3; n++) {
      ids.push(argmaxLast(step.logits));
      step = await decoderStep(s, enc, ids, step.cache);
    }
    const full = await decoderStep(s, enc, ids);
    const v = s.text.vocab;
    const last = (full.logits.data as Float32Array).subarray(full.logits.data.length - v);
    const cached = step.logits.data as Float32Array;
    const scale = Math.max(...last.map(Math.abs));
    const diff = Math.max(...last.map((x, j) => Math.abs(x - cached[j]!)));
    expect(diff).toBeLessThan(1e-4 * Math.max(1, scale));
  });
});

describe("generation", () => {
  it("takes seconds and is reproducible: same seed, same bytes; another seed, other weights", () => {
    const tmp = mkdtempSync(join(tmpdir(), "synth-tiny-"));
    try {
      const same = join(tmp, "same");
      const other = join(tmp, "other");
      // CPU time, not wall time: the machine running the tests may be busy with other work.
      const cpu0 = process.cpuUsage();
      for (const [d, seed] of [
        [same, TINY_SEED],
        [other, TINY_SEED + 1],
      ] as const) {
        mkdirSync(d);
        writeModelFolder(d, PRESETS.tiny, seed, () => {});
      }
      const cpu = process.cpuUsage(cpu0);
      expect((cpu.user + cpu.system) / 1e6 / 2).toBeLessThan(10);
      for (const f of FILES)
        expect(readFileSync(join(same, f)).equals(readFileSync(join(dir, f))), f).toBe(true);
      for (const f of FILES.filter((f) => f.endsWith(".onnx")))
        expect(readFileSync(join(other, f)).equals(readFileSync(join(dir, f))), f).toBe(false);
      expect(
        readFileSync(join(other, "tokenizer.json")).equals(readFileSync(join(dir, "tokenizer.json"))),
      ).toBe(true);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe("base preset's JSON files (no graphs)", () => {
  it("tokenizer has Florence-2-base's 51289 entries at the published ids; configs say base dims", () => {
    const tmp = mkdtempSync(join(tmpdir(), "synth-base-json-"));
    try {
      writeConfigFiles(tmp, PRESETS.base, 0);
      const tok = new Tokenizer(readJson(tmp, "tokenizer.json"), readJson(tmp, "tokenizer_config.json"));
      expect(tok.get_vocab(true).size).toBe(51289);
      expect(
        ["<s>", "<pad>", "</s>", "<unk>", "<mask>", "<od>", "<loc_0>", "<loc_999>", "<cap>", "<and>"].map(
          (t) => tok.token_to_id(t),
        ),
      ).toEqual([0, 1, 2, 3, 50264, 50265, 50269, 51268, 51269, 51288]);
      expect(
        tok.decode(tok.encode("Describe in detail what is shown in the image.").ids, {
          skip_special_tokens: true,
        }),
      ).toBe("Describe in detail what is shown in the image.");
      const cfg = readJson<{
        vocab_size: number;
        text_config: Record<string, number>;
        vision_config: Record<string, unknown>;
      }>(tmp, "config.json");
      expect(cfg.vocab_size).toBe(51289);
      expect(cfg.text_config).toMatchObject({
        d_model: 768,
        encoder_layers: 6,
        decoder_layers: 6,
        decoder_attention_heads: 12,
        decoder_ffn_dim: 3072,
      });
      expect(cfg.vision_config).toMatchObject({
        dim_embed: [128, 256, 512, 1024],
        depths: [1, 1, 9, 1],
        num_heads: [4, 8, 16, 32],
        window_size: 12,
      });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe("model cache", () => {
  it("three processes asking at once all get the same complete folder, and no temp folder is left", async () => {
    const root = mkdtempSync(join(tmpdir(), "synth-cache-"));
    try {
      const cache = resolve("synthetic-model/cache.ts");
      const script = `import { cachedModelDir } from ${JSON.stringify(cache)};
process.stdout.write(cachedModelDir({ preset: "tiny", seed: 5, root: ${JSON.stringify(root)} }));`;
      const run = () =>
        new Promise<string>((done, fail) => {
          const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
            stdio: ["ignore", "pipe", "inherit"],
          });
          let out = "";
          child.stdout.on("data", (d: Buffer) => (out += d.toString()));
          child.on("exit", (code) => (code === 0 ? done(out) : fail(new Error(`child exited with ${code}`))));
        });
      const paths = await Promise.all([run(), run(), run()]);
      expect(new Set(paths).size).toBe(1);
      expect(readdirSync(root)).toEqual([paths[0]!.split("/").at(-1)]);
      for (const f of FILES) expect(statSync(join(paths[0]!, f)).size, f).toBeGreaterThan(0);
      expect(readJson(paths[0]!, "florence_edge.json")).toMatchObject({ preset: "tiny", seed: 5 });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
