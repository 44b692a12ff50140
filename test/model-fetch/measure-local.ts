// Throughput and re-verify cost of model-fetch against the fake Hub on 127.0.0.1 (no network in between, so
// this measures our side: HTTP client, hashing, disk writes).
//   npx tsx test/model-fetch/measure-local.ts [MODEL_DIR] [--keep]
// MODEL_DIR defaults to models/synthetic-base-seed0 (`npm run model:synth`; same file sizes as base-ft).
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fetchModel, formatBytes, type FetchModelOptions } from "../../model-fetch";
import { FakeHub } from "./fake-hub";

const dir =
  process.argv[2] && !process.argv[2].startsWith("--") ? process.argv[2] : "models/synthetic-base-seed0";
const keep = process.argv.includes("--keep");
const dest = mkdtempSync(join("models", ".measure-fetch-"));
let t = performance.now();
const hub = await FakeHub.start({ repo: "onnx-community/Florence-2-base-ft", dir });
console.log(
  `fake hub ready in ${((performance.now() - t) / 1000).toFixed(1)} s (hashing ${hub.files.size} files)`,
);
try {
  const base: FetchModelOptions = { hubUrl: hub.url, dest };
  const first = await fetchModel(base);
  const mib = first.downloadedBytes / first.seconds;
  console.log(
    `download: ${formatBytes(first.downloadedBytes)} in ${first.seconds.toFixed(1)} s = ${formatBytes(mib)}/s`,
  );
  for (const [label, extra] of [
    ["second run (state file)", {}],
    ["second run with --rehash", { rehash: true }],
  ] as const) {
    t = performance.now();
    await fetchModel({ ...base, ...extra, onEvent: () => {} });
    console.log(`${label}: ${((performance.now() - t) / 1000).toFixed(2)} s`);
  }
} finally {
  await hub.close();
  if (!keep) rmSync(dest, { recursive: true, force: true });
}
