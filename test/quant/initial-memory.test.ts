// runtime/ort-env.ts `initialMemoryBytes`: onnxruntime-web's WASM heap starts at the requested size instead of
// 16 MiB, and the WebAssembly.Memory constructor is given back afterwards. The heap's size is read from the
// WebAssembly.Memory object itself (recorded by wrapping the constructor before onnxruntime-web starts), not
// from anything our code reports. Each vitest file runs in its own module scope, so this onnxruntime-web
// instance is fresh.
import * as ort from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { DataType, GraphBuilder, makeModel, ModelProtoSchema } from "../../onnx-graph";
import { toBinary } from "@bufbuild/protobuf";
import { configureOrtWeb } from "../../runtime/ort-env";

const MiB = 2 ** 20;

function tinyModel(): Uint8Array {
  const g = new GraphBuilder("add");
  g.input("x", DataType.FLOAT, [1, 4]);
  g.op("Add", ["x", g.initializer("b", Float32Array.of(1, 2, 3, 4), [4])], {}, { output: "y" });
  g.output("y", DataType.FLOAT, [1, 4]);
  return toBinary(ModelProtoSchema, makeModel(g.build(), { opsets: { "": 17 } }));
}

describe("configureOrtWeb initialMemoryBytes", () => {
  it("rejects sizes outside (0, 4 GiB)", () => {
    const fake = { env: { wasm: {} } } as unknown as typeof ort;
    expect(() => configureOrtWeb(fake, { initialMemoryBytes: 0 })).toThrow(RangeError);
    expect(() => configureOrtWeb(fake, { initialMemoryBytes: 5 * 2 ** 30 })).toThrow(RangeError);
    expect(() => configureOrtWeb(fake, { initialMemoryBytes: Number.NaN })).toThrow(RangeError);
  });

  it("starts onnxruntime-web's heap at the requested size and restores the Memory constructor", async () => {
    const memories: WebAssembly.Memory[] = [];
    const Original = WebAssembly.Memory;
    const Recorder = new Proxy(Original, {
      construct(target, args: [WebAssembly.MemoryDescriptor]) {
        const m = new target(...args);
        memories.push(m);
        return m;
      },
    });
    (WebAssembly as { Memory: typeof WebAssembly.Memory }).Memory = Recorder;
    try {
      configureOrtWeb(ort, { numThreads: 1, initialMemoryBytes: 40 * MiB + 1 });
      expect(WebAssembly.Memory).not.toBe(Recorder); // the one-shot hook is in place until the heap is made
      const s = await ort.InferenceSession.create(tinyModel(), { executionProviders: ["wasm"] });
      const y = await s.run({ x: new ort.Tensor("float32", Float32Array.of(1, 1, 1, 1), [1, 4]) });
      expect(Array.from(y.y!.data as Float32Array)).toEqual([2, 3, 4, 5]);
      await s.release();
      expect(WebAssembly.Memory).toBe(Recorder);
      const heap = memories.reduce((a, m) => Math.max(a, m.buffer.byteLength), 0);
      // Rounded up to whole 64 KiB pages; onnxruntime-web alone starts at 16 MiB and a model this small does
      // not grow it.
      expect(heap).toBe(40 * MiB + 65536);
    } finally {
      (WebAssembly as { Memory: typeof WebAssembly.Memory }).Memory = Original;
    }
  });
});
