// WASM memory of the whole engine as a Worker creates it: runtime/engine/ort-web.ts with the WASM-only bundle
// (`onnxruntime-web/wasm`, what workerd loads), all four graphs in one onnxruntime-web instance, one fresh
// process per measurement (quant/memory-probe.ts). Compares onnxruntime-web's own heap growth, the runtime's
// default start for a folder with `npm run quant:memory`'s record (the recorded peak + margin), the peak
// itself searched again here (quant/memory-hint.ts findPeak), and a rule of thumb (int8 bytes + a margin) that
// shows what a start just below the peak costs.
//
//   npx tsx bench/quant/engine-memory.ts [--model DIR] [--margin-mib N] [--out FILE]
import { writeFileSync } from "node:fs";
import { findPeak, graphFileBytes } from "../../quant/memory-hint";
import { probeInFreshProcess } from "../../quant/memory-probe";
import { GRAPH_NAMES } from "../../runtime/engine/types";

const MiB = 2 ** 20;

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

const argv = process.argv.slice(2);
const model = arg(argv, "--model") ?? "models/quant-bench/base-int8";
const marginMiB = Number(arg(argv, "--margin-mib") ?? 16);
const log = (s: string) => process.stderr.write(`${s}\n`);
const bytes = GRAPH_NAMES.reduce((s, g) => s + graphFileBytes(model, g), 0);

const grown = await probeInFreshProcess(model, "engine", { memoryHint: false });
const hinted = await probeInFreshProcess(model, "engine", { memoryHint: true });
const { peakBytes: peak } = await findPeak(
  "engine",
  bytes,
  (b) => probeInFreshProcess(model, "engine", { initialBytes: b }),
  log,
);
const rule = bytes + marginMiB * MiB;
const ruled = await probeInFreshProcess(model, "engine", { initialBytes: rule });
const rows = [
  { what: "onnxruntime-web's own growth (memoryHint: false)", wasm: grown.heapBytes },
  {
    what: `the runtime's default: the folder's recorded peak + margin (start ${(hinted.startBytes! / MiB).toFixed(0)} MiB)`,
    wasm: hinted.heapBytes,
  },
  { what: `initialMemoryBytes = the peak found by search (${(peak / MiB).toFixed(0)} MiB)`, wasm: peak },
  { what: `initialMemoryBytes = int8 bytes + ${marginMiB} MiB`, wasm: ruled.heapBytes },
];
console.log(
  `\n## Engine (4 graphs, one onnxruntime-web/wasm instance, 1 thread): WASM memory after creating all sessions; ${model}, int8 bytes ${(bytes / MiB).toFixed(1)} MiB`,
);
console.log("| initial heap | WASM after creation | / int8 bytes |\n|---|---:|---:|");
for (const r of rows)
  console.log(
    `| ${r.what} | ${((r.wasm ?? NaN) / MiB).toFixed(1)} MiB | ${((r.wasm ?? NaN) / bytes).toFixed(3)}× |`,
  );
const out = arg(argv, "--out");
if (out)
  writeFileSync(
    out,
    JSON.stringify(
      { date: new Date().toISOString(), model, bytes, marginMiB, grown, hinted, peak, ruled, rows },
      null,
      1,
    ),
  );
