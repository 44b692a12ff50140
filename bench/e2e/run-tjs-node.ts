// Peer: transformers.js in Node, its default backend (onnxruntime-node, CPU execution provider, all cores), on
// the same model folder (fp32, or our int8 files: they keep the fp32 file names, so dtype "fp32" selects
// them). A request is what a transformers.js user writes: RawImage from the bytes → processor(image, task) →
// generate (greedy, min_new_tokens = max_new_tokens = N) → batch_decode → post_process_generation.
// transformers.js has no feature cache, so every request is a feature miss.
import { basename, dirname } from "node:path";
import { processCpuMs } from "./cpu-time";
import { imageAt, loadImages } from "./images";
import { medianFields, summarize } from "./stats";
import type { JobResult, Row, Task, Weights } from "./types";

export interface TjsNodePlan {
  modelDir: string;
  weights: Weights;
  tokens: number;
  /** Requests per task (after one untimed warm-up). */
  runs: number;
  tasks: Task[];
}

interface TjsApi {
  env: { allowRemoteModels: boolean; localModelPath: string };
  AutoProcessor: { from_pretrained(name: string, o?: object): Promise<unknown> };
  Florence2ForConditionalGeneration: { from_pretrained(name: string, o?: object): Promise<unknown> };
  RawImage: { fromBlob(b: Blob): Promise<{ size: [number, number] }> };
}
interface Processor {
  (image: unknown, text: string): Promise<Record<string, unknown>>;
  batch_decode(t: unknown, o: object): string[];
  post_process_generation(text: string, task: string, size: [number, number]): Record<string, unknown>;
}
interface Model {
  generate(o: object): Promise<{ dims: number[] }>;
  dispose(): Promise<unknown>;
}

export async function runTjsNode(p: TjsNodePlan): Promise<JobResult> {
  const tjs = (await import("@huggingface/transformers")) as unknown as TjsApi;
  tjs.env.allowRemoteModels = false;
  tjs.env.localModelPath = `${dirname(p.modelDir)}/`;
  const name = basename(p.modelDir);
  const t0 = performance.now();
  const model = (await tjs.Florence2ForConditionalGeneration.from_pretrained(name, {
    dtype: "fp32",
    device: "cpu",
    local_files_only: true,
  })) as Model;
  const processor = (await tjs.AutoProcessor.from_pretrained(name, { local_files_only: true })) as Processor;
  const loadMs = performance.now() - t0;
  const images = loadImages();

  const request = async (bytes: Uint8Array<ArrayBuffer>, task: Task) => {
    const t = performance.now();
    const c = processCpuMs();
    const image = await tjs.RawImage.fromBlob(new Blob([bytes]));
    const inputs = await processor(image, task);
    const t1 = performance.now();
    const out = await model.generate({
      ...inputs,
      max_new_tokens: p.tokens,
      min_new_tokens: p.tokens,
      num_beams: 1,
      do_sample: false,
    });
    const t2 = performance.now();
    const text = processor.batch_decode(out, { skip_special_tokens: false })[0]!;
    processor.post_process_generation(text, task, image.size);
    const t3 = performance.now();
    // The output holds the decoder start token plus the new tokens.
    return {
      ms: t3 - t,
      cpuMs: processCpuMs() - c,
      stages: { preprocess: t1 - t, generate: t2 - t1, parse: t3 - t2 },
      newTokens: out.dims[1]! - 1,
    };
  };

  const firstRequestMs = (await request(imageAt(images, 0).bytes, "<CAPTION>")).ms;
  const system = "transformers.js · Node · onnxruntime-node (all cores)";
  const job = { kind: "tjs-node" as const, weights: p.weights };
  const rows: Row[] = [];
  const results = new Map<Task, Awaited<ReturnType<typeof request>>[]>();
  for (let i = 0; i < p.runs * p.tasks.length; i++) {
    const task = p.tasks[i % p.tasks.length]!;
    results.set(task, [...(results.get(task) ?? []), await request(imageAt(images, i + 1).bytes, task)]);
  }
  for (const [task, rs] of results) {
    const wrong = rs.filter((r) => r.newTokens !== p.tokens).length;
    rows.push({
      id: `tjs-node/${p.weights}/${task}/miss`,
      system,
      job,
      weights: p.weights,
      threads: "all",
      task,
      scenario: "miss",
      newTokens: p.tokens,
      samples: rs.map((r) => r.ms),
      latency: summarize(rs.map((r) => r.ms)),
      cpu: summarize(rs.map((r) => r.cpuMs)),
      stages: medianFields(
        rs.map((r) => r.stages),
        ["preprocess", "generate", "parse"] as const,
      ),
      ...(wrong ? { note: `${wrong} request(s) did not generate ${p.tokens} tokens` } : {}),
    });
  }
  await model.dispose();
  return {
    info: { job, system, loadMs, firstRequestMs, maxRssBytes: process.resourceUsage().maxRSS * 1024 },
    rows,
  };
}
