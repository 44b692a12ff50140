// The memory hint: `npm run quant:memory` (quant/memory-hint.ts) records onnxruntime-web's WASM heap peak in
// florence_edge.json, and createOrtWebEngine starts its heap there when the record matches what runs
// (runtime/engine/memory-hint.ts). Heap sizes are read from the WebAssembly.Memory object of a fresh
// onnxruntime-web instance (quant/memory-probe.ts, one process per engine), not from anything the runtime
// reports. The search itself is checked against a simulated heap with a known peak.
import { cpSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { findPeak, recordMemoryHint } from "../../quant/memory-hint";
import { probeInFreshProcess, type ProbeOptions, type ProbeResult } from "../../quant/memory-probe";
import { quantizeFolder } from "../../quant/quantize-folder";
import {
  applicableMemoryHint,
  hintedInitialBytes,
  MEMORY_HINT_MARGIN_BYTES,
  type MemoryHint,
} from "../../runtime/engine/memory-hint";
import { GRAPH_NAMES } from "../../runtime/engine/types";
import { configureOrtWeb } from "../../runtime/ort-env";
import { tinyModelDir } from "../helpers/tiny-model";

const MiB = 2 ** 20;
/** onnxruntime-web 1.30's own initial heap (256 pages). */
const ORT_START = 16 * MiB;

describe("findPeak on a simulated heap", () => {
  // Emscripten's rule: a heap that must hold `need` bytes grows from `start` to max(need, 1.2 × start).
  const simulated =
    (peakMiB: number, writtenMiB: number) =>
    async (initial: number | undefined): Promise<ProbeResult> => {
      const start = Math.max(ORT_START, initial ?? 0);
      const need = peakMiB * MiB;
      const heap = need <= start ? start : Math.max(need, Math.ceil((1.2 * start) / 65536) * 65536);
      return { target: "engine", startBytes: start, heapBytes: heap, touchedBytes: writtenMiB * MiB };
    };

  it("finds the smallest whole MiB that fits, whatever the estimate", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 16, max: 900 }),
        fc.double({ min: 0, max: 1.2, noNaN: true }),
        async (peak, f) => {
          // The written high-water mark is at most the peak; estimates far below it are searched upwards.
          const r = await findPeak("engine", MiB, simulated(peak, Math.max(0, peak - 0.5 - f * peak * 0.5)));
          expect(r.peakBytes).toBe(peak * MiB);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("costs one probe when 16 MiB fits and three when the estimate is right", async () => {
    expect((await findPeak("engine", MiB, simulated(16, 12))).probes).toBe(1);
    expect((await findPeak("engine", MiB, simulated(290, 289.7))).probes).toBe(3);
  });
});

describe("configureOrtWeb defaults", () => {
  it("apply to the first configuration only and need not be repeated", () => {
    const Original = WebAssembly.Memory;
    try {
      const fake = { env: { wasm: {} } } as unknown as Parameters<typeof configureOrtWeb>[0];
      expect(configureOrtWeb(fake, { numThreads: 1 }, { initialMemoryBytes: 20 * MiB })).toBe(1);
      expect(WebAssembly.Memory).not.toBe(Original); // the one-shot heap hook is in place
      expect(configureOrtWeb(fake, { numThreads: 1 })).toBe(1);
      expect(() => configureOrtWeb(fake, { numThreads: 1, initialMemoryBytes: 20 * MiB })).toThrow(
        /already configured/,
      );
      expect(() => configureOrtWeb({ env: { wasm: {} } } as never, {}, { initialMemoryBytes: -1 })).toThrow(
        RangeError,
      );
    } finally {
      (WebAssembly as { Memory: typeof WebAssembly.Memory }).Memory = Original;
    }
  });
});

describe("hintedInitialBytes", () => {
  it("is the peak + margin, capped by the heap onnxruntime-web grows to by itself", () => {
    expect(hintedInitialBytes({ file_bytes: MiB, peak_bytes: 290 * MiB, grown_bytes: 299 * MiB })).toBe(
      290 * MiB + MEMORY_HINT_MARGIN_BYTES,
    );
    expect(hintedInitialBytes({ file_bytes: MiB, peak_bytes: 48 * MiB, grown_bytes: 47.4 * MiB })).toBe(
      47.4 * MiB,
    );
    expect(hintedInitialBytes({ file_bytes: MiB, peak_bytes: 48 * MiB })).toBe(
      48 * MiB + MEMORY_HINT_MARGIN_BYTES,
    );
  });
});

describe("applicableMemoryHint", () => {
  const hint: MemoryHint = {
    onnxruntime_web: "1.30.0",
    num_threads: 1,
    files: Object.fromEntries(GRAPH_NAMES.map((g) => [g, `onnx/${g}.onnx`])) as MemoryHint["files"],
    weights_digest: "abc",
    graphs: Object.fromEntries(
      GRAPH_NAMES.map((g) => [g, { file_bytes: MiB, peak_bytes: 20 * MiB }]),
    ) as MemoryHint["graphs"],
    engine: { file_bytes: 4 * MiB, peak_bytes: 30 * MiB, order: [...GRAPH_NAMES] },
    method: "test",
    measured_at: "2026-11-27T00:00:00Z",
  };
  const meta = { quantization: { weights_digest: "abc" }, memory: hint };
  const ctx = { onnxruntimeWeb: "1.30.0", numThreads: 1 };

  it("accepts a record of this version, thread count, files and weights", () => {
    expect(applicableMemoryHint(meta, ctx)).toEqual({ hint });
  });

  it("refuses anything else, saying why", () => {
    const no = (m: unknown, c = ctx) => "reason" in applicableMemoryHint(m, c);
    expect(no(meta, { ...ctx, onnxruntimeWeb: "1.31.0" })).toBe(true);
    expect(no(meta, { ...ctx, numThreads: 2 })).toBe(true);
    expect(no(meta, { ...ctx, suffix: "_quantized" } as typeof ctx)).toBe(true);
    expect(no({ ...meta, quantization: { weights_digest: "other" } })).toBe(true);
    expect(no({ quantization: meta.quantization })).toBe(true);
    expect(no({ ...meta, memory: { ...hint, engine: { peak_bytes: "30" } } })).toBe(true);
    expect(no(undefined)).toBe(true);
  });
});

describe("quant:memory on the tiny int8 model, and the engine's default", () => {
  let dir: string;
  let hint: MemoryHint;
  const variants: Record<string, string> = {};
  const probes: Record<string, ProbeResult> = {};
  const ortVersion = (
    JSON.parse(readFileSync(join("node_modules", "onnxruntime-web", "package.json"), "utf8")) as {
      version: string;
    }
  ).version;

  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), "memory-hint-"));
    dir = join(root, "int8");
    quantizeFolder(tinyModelDir(), dir);
    hint = await recordMemoryHint(dir, { parallel: 2 });
    // Folders whose record must be ignored, and one without a record.
    const edit = (name: string, change: (meta: Record<string, unknown>) => void) => {
      const d = join(root, name);
      cpSync(dir, d, { recursive: true });
      const path = join(d, "florence_edge.json");
      const meta = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
      change(meta);
      writeFileSync(path, JSON.stringify(meta));
      variants[name] = d;
    };
    edit("version", (m) => ((m.memory as MemoryHint).onnxruntime_web = "1.29.0"));
    edit("threads", (m) => ((m.memory as MemoryHint).num_threads = 2));
    edit("missing", (m) => delete m.memory);
    const jobs: [string, string, ProbeOptions][] = [
      ["hinted", dir, { memoryHint: true }],
      ["explicit", dir, { memoryHint: true, initialBytes: 40 * MiB }],
      ...["version", "threads", "missing"].map((v): [string, string, ProbeOptions] => [
        v,
        variants[v]!,
        { memoryHint: true },
      ]),
    ];
    const run = async () => {
      for (let j = jobs.shift(); j; j = jobs.shift())
        probes[j[0]] = await probeInFreshProcess(j[1], "engine", j[2]);
    };
    await Promise.all([run(), run()]);
  }, 120_000);

  it("records the peaks in florence_edge.json with what they were measured on", () => {
    const meta = JSON.parse(readFileSync(join(dir, "florence_edge.json"), "utf8")) as {
      memory: MemoryHint;
      quantization: { weights_digest: string };
    };
    expect(meta.memory).toEqual(hint);
    expect(hint.onnxruntime_web).toBe(ortVersion);
    expect(hint.num_threads).toBe(1);
    expect(hint.weights_digest).toBe(meta.quantization.weights_digest);
    expect(hint.engine.order).toEqual(GRAPH_NAMES);
    let total = 0;
    for (const g of GRAPH_NAMES) {
      const bytes =
        statSync(join(dir, "onnx", `${g}.onnx`)).size + statSync(join(dir, "onnx", `${g}.onnx_data`)).size;
      total += bytes;
      expect(hint.files[g]).toBe(`onnx/${g}.onnx`);
      expect(hint.graphs[g].file_bytes).toBe(bytes);
      expect(hint.graphs[g].peak_bytes % MiB).toBe(0);
      expect(hint.graphs[g].peak_bytes).toBeGreaterThanOrEqual(ORT_START);
      expect(hint.engine.peak_bytes).toBeGreaterThanOrEqual(hint.graphs[g].peak_bytes);
    }
    expect(hint.engine.file_bytes).toBe(total);
  });

  it("the recorded engine peak is the smallest start creation does not grow", () => {
    // The engine as onnxruntime-web grows it by itself (no hint in the folder) needed more than its 16 MiB
    // start (tiny: 19.3 MiB).
    const grown = probes.missing!;
    expect(grown.startBytes).toBe(ORT_START);
    expect(grown.heapBytes).toBeGreaterThan(ORT_START);
    expect(hint.engine.grown_bytes).toBe(grown.heapBytes);
    expect(hint.engine.peak_bytes).toBeLessThanOrEqual(grown.heapBytes!);
    expect(hint.engine.peak_bytes).toBeGreaterThan(ORT_START);
  });

  it("an engine made from the folder starts its heap at the recorded peak + margin and never grows", () => {
    const p = probes.hinted!;
    expect(p.error).toBeUndefined();
    // The peak + margin, unless onnxruntime-web's own growth ends lower (then that size, where creation fits).
    expect(p.startBytes).toBe(
      Math.min(hint.engine.peak_bytes + MEMORY_HINT_MARGIN_BYTES, probes.missing!.heapBytes!),
    );
    expect(p.heapBytes).toBe(p.startBytes);
  });

  it("an explicit initialMemoryBytes wins over the record", () => {
    expect(probes.explicit!.startBytes).toBe(40 * MiB);
    expect(probes.explicit!.heapBytes).toBe(40 * MiB);
  });

  it.each(["version", "threads"])("a record of another %s is ignored: onnxruntime-web's own growth", (v) => {
    const p = probes[v]!;
    expect(p.error).toBeUndefined();
    expect(p.startBytes).toBe(ORT_START);
    expect(p.heapBytes).toBe(probes.missing!.heapBytes);
  });

  it("without a record the engine starts at onnxruntime-web's own 16 MiB, as before", () => {
    expect(probes.missing!.error).toBeUndefined();
    expect(probes.missing!.startBytes).toBe(ORT_START);
  });
});
