// The browser side of the transformers.js-on-onnxruntime-web peer: runs in headless Chromium, loaded from
// the bench's local server (peer-tjs-browser.ts). It is plain JS on purpose: it is what a web page that uses
// transformers.js' web build would contain, and the server hands it to the browser as is.
/* global window, performance, fetch, Blob */
import { AutoProcessor, env, Florence2ForConditionalGeneration, RawImage } from "/tjs/transformers.web.js";

let model;
let processor;

/** Loads the model folder served under /models/<name>/ on onnxruntime-web's WASM backend. */
window.benchLoad = async ({ name, threads, externalData }) => {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = "/models/";
  // The WASM files transformers.js would fetch from its CDN (same version, same .asyncify variant), served locally.
  env.backends.onnx.wasm.wasmPaths = {
    mjs: "/ort/ort-wasm-simd-threaded.asyncify.mjs",
    wasm: "/ort/ort-wasm-simd-threaded.asyncify.wasm",
  };
  env.backends.onnx.wasm.numThreads = threads;
  const t0 = performance.now();
  model = await Florence2ForConditionalGeneration.from_pretrained(name, {
    dtype: "fp32",
    device: "wasm",
    ...(externalData ? { use_external_data_format: true } : {}),
  });
  processor = await AutoProcessor.from_pretrained(name);
  return {
    loadMs: performance.now() - t0,
    crossOriginIsolated: window.crossOriginIsolated,
    numThreads: env.backends.onnx.wasm.numThreads,
    ortVersion: env.backends.onnx.versions?.web ?? null,
  };
};

const images = new Map();

/** Fetches an image's bytes once (not timed: a request arrives with its bytes). */
window.benchImage = async (url) => {
  const r = await fetch(url);
  images.set(url, await r.arrayBuffer());
  return images.get(url).byteLength;
};

/** One request: image bytes → processor → generate (fixed length) → text → task JSON. */
window.benchRun = async ({ url, task, tokens }) => {
  const t0 = performance.now();
  const image = await RawImage.fromBlob(new Blob([images.get(url)]));
  const inputs = await processor(image, task);
  const t1 = performance.now();
  const out = await model.generate({
    ...inputs,
    max_new_tokens: tokens,
    min_new_tokens: tokens,
    num_beams: 1,
    do_sample: false,
  });
  const t2 = performance.now();
  const text = processor.batch_decode(out, { skip_special_tokens: false })[0];
  const answer = processor.post_process_generation(text, task, image.size);
  const t3 = performance.now();
  return {
    totalMs: t3 - t0,
    preprocessMs: t1 - t0,
    generateMs: t2 - t1,
    parseMs: t3 - t2,
    sequenceLength: out.dims[1],
    answerKeys: Object.keys(answer),
  };
};
