// Peer: transformers.js on onnxruntime-web WASM, i.e. its web build (dist/transformers.web.js) in a browser:
// headless Chromium driven by playwright-core, the page, the library, its own onnxruntime-web (the .asyncify
// WASM variant it would fetch from its CDN) and the model folder all served from 127.0.0.1 by a local server
// with COOP/COEP (cross-origin isolation, needed for WASM threads). Why a browser and not Node: the web build
// detects Node (process.release.name) and then only offers its onnxruntime-node devices, so `device: 'wasm'`
// throws "Unsupported device" there (bench/README.md).
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { chromium, type Page } from "playwright-core";
import { descendantsCpuMs } from "./cpu-time";
import { E2E_DIR } from "./paths";
import { IMAGES_DIR, imageAt, loadImages } from "./images";
import { medianFields, summarize } from "./stats";
import { startStaticServer } from "./static-server";
import type { JobResult, Row, Task, Weights } from "./types";

export const CHROMIUM = "/usr/bin/chromium";
export const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export interface TjsWebPlan {
  modelDir: string;
  weights: Weights;
  threads: number;
  tokens: number;
  runs: number;
  tasks: Task[];
}

/** Folders of transformers.js's web build and of the onnxruntime-web it depends on. */
export function webBuildFolders() {
  const req = createRequire(import.meta.url);
  const tjsDist = dirname(req.resolve("@huggingface/transformers"));
  const ortDist = dirname(
    createRequire(join(tjsDist, "x.js")).resolve("onnxruntime-web/ort-wasm-simd-threaded.wasm"),
  );
  const commonEsm = join(
    dirname(createRequire(join(ortDist, "x.js")).resolve("onnxruntime-common")),
    "..",
    "esm",
  );
  return { tjsDist, ortDist, commonEsm };
}

/** The page: an import map resolving the web build's two bare imports, then the bench page script. */
export function pageHtml(): string {
  const imports = {
    "onnxruntime-web/webgpu": "/ort/ort.webgpu.bundle.min.mjs",
    "onnxruntime-common": "/common/index.js",
  };
  return `<!doctype html><meta charset="utf-8"><title>transformers.js peer</title>
<script type="importmap">${JSON.stringify({ imports })}</script>
<script type="module">import "/bench/page.js"; window.benchReady = true;</script>`;
}

type PageFn = (arg: unknown) => Promise<unknown>;
const call = <T>(page: Page, fn: string, arg: unknown) =>
  page.evaluate(([f, a]) => (window as unknown as Record<string, PageFn>)[f as string]!(a), [
    fn,
    arg,
  ] as const) as Promise<T>;

interface PageRun {
  totalMs: number;
  preprocessMs: number;
  generateMs: number;
  parseMs: number;
  sequenceLength: number;
}

export async function runTjsWeb(p: TjsWebPlan): Promise<JobResult> {
  const { tjsDist, ortDist, commonEsm } = webBuildFolders();
  const name = basename(p.modelDir);
  const server = await startStaticServer(
    {
      "/tjs/": tjsDist,
      "/ort/": ortDist,
      "/common/": commonEsm,
      [`/models/${name}/`]: p.modelDir,
      "/bench/": join(E2E_DIR, "peer-web"),
      "/images/": IMAGES_DIR,
    },
    { "/": pageHtml() },
  );
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  const system = `transformers.js · web build in Chromium · onnxruntime-web WASM · ${p.threads} thread${p.threads > 1 ? "s" : ""}`;
  const job = { kind: "tjs-web" as const, threads: p.threads, weights: p.weights };
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${server.url}/`);
    await page.waitForFunction(
      () => (window as unknown as { benchReady?: boolean }).benchReady === true,
      null,
      { timeout: 60_000 },
    );
    const loaded = await call<{
      loadMs: number;
      crossOriginIsolated: boolean;
      numThreads: number;
      ortVersion: string;
    }>(page, "benchLoad", {
      name,
      threads: p.threads,
      externalData: p.weights === "int8",
    });
    if (loaded.numThreads !== p.threads)
      throw new Error(
        `the page runs ${loaded.numThreads} WASM threads, not ${p.threads} (crossOriginIsolated ${loaded.crossOriginIsolated})`,
      );
    const images = loadImages().map((im) => `/images/${im.name}`);
    for (const url of images) await call(page, "benchImage", url);

    const first = await call<PageRun>(page, "benchRun", {
      url: imageAt(images, 0),
      task: "<CAPTION>",
      tokens: p.tokens,
    });
    const results = new Map<Task, (PageRun & { cpuMs: number })[]>();
    for (let i = 0; i < p.runs * p.tasks.length; i++) {
      const task = p.tasks[i % p.tasks.length]!;
      const c = descendantsCpuMs();
      const r = await call<PageRun>(page, "benchRun", {
        url: imageAt(images, i + 1),
        task,
        tokens: p.tokens,
      });
      results.set(task, [...(results.get(task) ?? []), { ...r, cpuMs: descendantsCpuMs() - c }]);
    }
    const rows: Row[] = [];
    for (const [task, rs] of results) {
      const wrong = rs.filter((r) => r.sequenceLength - 1 !== p.tokens).length;
      rows.push({
        id: `tjs-web/${p.threads}/${p.weights}/${task}/miss`,
        system,
        job,
        weights: p.weights,
        threads: p.threads,
        task,
        scenario: "miss",
        newTokens: p.tokens,
        samples: rs.map((r) => r.totalMs),
        latency: summarize(rs.map((r) => r.totalMs)),
        cpu: summarize(rs.map((r) => r.cpuMs)),
        stages: medianFields(
          rs.map((r) => ({ preprocess: r.preprocessMs, generate: r.generateMs, parse: r.parseMs })),
          ["preprocess", "generate", "parse"] as const,
        ),
        ...(wrong ? { note: `${wrong} request(s) did not generate ${p.tokens} tokens` } : {}),
      });
    }
    return {
      info: {
        job,
        system,
        loadMs: loaded.loadMs,
        firstRequestMs: first.totalMs,
        extra: {
          ortWebVersion: loaded.ortVersion,
          crossOriginIsolated: loaded.crossOriginIsolated,
          bytesServed: server.bytesSent(),
          pageErrors: errors,
        },
      },
      rows,
    };
  } finally {
    await browser.close();
    await server.close();
  }
}
