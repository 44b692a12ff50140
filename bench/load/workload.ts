// The requests of a load run, from a seed: a few generated images (PNG, JPEG, WebP of several sizes), a mix
// of tasks (with and without text_input, greedy and 3 beams), the three ways of sending an image (raw body,
// multipart, base64 JSON), drawn with a skewed distribution so that many requests repeat an earlier one
// (result-cache hits, shared features, identical requests in flight at the same time).
import { createHash } from "node:crypto";
import { mulberry32 } from "../../test/helpers/mulberry32";
import { encodeImage, type EncodedFormat } from "../../test/reliability/corpus-images";

export type Form = "raw" | "multipart" | "json";

export interface LoadRequest {
  id: number;
  image: number;
  task: string;
  textInput?: string;
  numBeams: number;
  maxNewTokens: number;
  form: Form;
  /** Identifies what the answer must equal (same image, task and options → same answer). */
  key: string;
}

export interface Workload {
  images: { bytes: Uint8Array; sha256: string; format: EncodedFormat; width: number; height: number }[];
  requests: LoadRequest[];
}

const TASKS: { task: string; textInput?: string }[] = [
  { task: "<CAPTION>" },
  { task: "<DETAILED_CAPTION>" },
  { task: "<OD>" },
  { task: "<OCR>" },
  { task: "<OCR_WITH_REGION>" },
  { task: "<DENSE_REGION_CAPTION>" },
  { task: "<CAPTION_TO_PHRASE_GROUNDING>", textInput: "a bright rectangle" },
  { task: "<OPEN_VOCABULARY_DETECTION>", textInput: "disc" },
  { task: "<REGION_TO_CATEGORY>", textInput: "<loc_100><loc_120><loc_700><loc_800>" },
];

export interface WorkloadOptions {
  requests: number;
  images: number;
  seed: number;
  maxNewTokens: number;
}

export function buildWorkload(o: WorkloadOptions): Workload {
  const random = mulberry32(o.seed); // a workload is reproducible from its seed
  const formats: EncodedFormat[] = ["png", "jpeg", "webp"];
  const images = Array.from({ length: o.images }, (_, i) => {
    const format = formats[i % formats.length]!;
    const width = 64 + 32 * (i % 5);
    const height = 48 + 24 * ((i * 7) % 4);
    const bytes = encodeImage(format, width, height, 13 * i);
    return { bytes, sha256: createHash("sha256").update(bytes).digest("hex"), format, width, height };
  });
  // Distinct analyses (image × task × beams), weighted 1/rank^1.1: a few are very popular, most are rare.
  const combos = images.flatMap((_, image) =>
    TASKS.flatMap((t) => [1, 3].map((numBeams) => ({ image, ...t, numBeams }))),
  );
  for (let i = combos.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [combos[i], combos[j]] = [combos[j]!, combos[i]!];
  }
  const weights = combos.map((_, rank) => 1 / (rank + 1) ** 1.1);
  const total = weights.reduce((a, b) => a + b, 0);
  const pick = () => {
    let r = random() * total;
    for (let i = 0; i < combos.length; i++) if ((r -= weights[i]!) <= 0) return combos[i]!;
    return combos[combos.length - 1]!;
  };
  const forms: Form[] = ["raw", "raw", "multipart", "json"];
  const requests = Array.from({ length: o.requests }, (_, id) => {
    const c = pick();
    return {
      id,
      image: c.image,
      task: c.task,
      ...(c.textInput !== undefined ? { textInput: c.textInput } : {}),
      numBeams: c.numBeams,
      maxNewTokens: o.maxNewTokens,
      form: forms[Math.floor(random() * forms.length)]!,
      key: JSON.stringify([c.image, c.task, c.textInput ?? null, c.numBeams, o.maxNewTokens]),
    };
  });
  return { images, requests };
}

/** The HTTP request for one workload entry. */
export function toHttp(r: LoadRequest, w: Workload): { path: string; init: RequestInit } {
  const image = w.images[r.image]!;
  const params: Record<string, string> = {
    task: r.task,
    num_beams: String(r.numBeams),
    max_new_tokens: String(r.maxNewTokens),
  };
  if (r.textInput !== undefined) params.text_input = r.textInput;
  if (r.form === "raw") {
    return {
      path: `/v1/analyze?${new URLSearchParams(params)}`,
      init: {
        method: "POST",
        headers: { "content-type": `image/${image.format}` },
        body: image.bytes as Uint8Array<ArrayBuffer>,
      },
    };
  }
  if (r.form === "multipart") {
    const form = new FormData();
    form.set(
      "image",
      new Blob([image.bytes as Uint8Array<ArrayBuffer>], { type: `image/${image.format}` }),
      `image.${image.format}`,
    );
    for (const [k, v] of Object.entries(params)) form.set(k, v);
    return { path: "/v1/analyze", init: { method: "POST", body: form } };
  }
  const body = {
    image_base64: Buffer.from(image.bytes).toString("base64"),
    task: r.task,
    num_beams: r.numBeams,
    max_new_tokens: r.maxNewTokens,
    ...(r.textInput !== undefined ? { text_input: r.textInput } : {}),
  };
  return {
    path: "/v1/analyze",
    init: { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
  };
}
