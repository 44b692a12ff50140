// Writes the single-op models of op-models.ts to a folder (inline, and with external data for the memory
// cases) and lists them in a manifest the measuring child processes read.
import { join } from "node:path";
import { writeModel } from "../../onnx-graph";
import {
  CONV_PATTERNS,
  CONV_SHAPES,
  convMacs,
  convModel,
  convWeight,
  linearWeight,
  MATMUL_PATTERNS,
  MATMUL_SHAPES,
  matmulModel,
} from "./op-models";

export interface ModelFile {
  id: string;
  kind: "matmul" | "conv";
  pattern: string;
  shape: string;
  macs: number;
  /** Dims of the single input "x". */
  input: number[];
  path: string;
  fileBytes: number;
  /** The same model with its weights as external data (memory cases only). */
  external?: { path: string; dataFiles: string[]; fileBytes: number };
  memoryCase: boolean;
}

// Memory is measured on the largest weights of each kind: the lm_head (768 × 51289) and the stage-3 patch embedding.
const MEMORY_SHAPES = new Set(["lm_head step", "stage-3 patch embed 3×3/2"]);
const QUICK_SHAPES = new Set([
  "davit stage-2 fc1",
  "decoder step q",
  "lm_head step",
  "stage-3 patch embed 3×3/2",
]);

export interface BuildFilter {
  shapes?: string[];
  patterns?: string[];
}

export function buildAll(dir: string, quick: boolean, filter: BuildFilter = {}): ModelFile[] {
  const files: ModelFile[] = [];
  const keep = (list: string[] | undefined, name: string) => !list || list.some((x) => name.includes(x));
  const write = (
    f: Omit<ModelFile, "path" | "fileBytes" | "external">,
    model: Parameters<typeof writeModel>[1],
  ) => {
    const path = join(dir, `${files.length}.onnx`);
    const fileBytes = writeModel(path, model).reduce((a, w) => a + w.bytes, 0);
    let external: ModelFile["external"];
    if (f.memoryCase) {
      const ePath = join(dir, `${files.length}-ext.onnx`);
      const written = writeModel(ePath, model, { externalData: {} });
      external = {
        path: ePath,
        dataFiles: written.slice(1).map((w) => w.path),
        fileBytes: written.reduce((a, w) => a + w.bytes, 0),
      };
    }
    files.push({ ...f, path, fileBytes, external });
  };
  for (const s of MATMUL_SHAPES) {
    if ((quick && !QUICK_SHAPES.has(s.name)) || !keep(filter.shapes, s.name)) continue;
    const w = linearWeight(s);
    for (const p of MATMUL_PATTERNS.filter((x) => keep(filter.patterns, x))) {
      const id = `${p} @ ${s.name}`;
      write(
        {
          id,
          kind: "matmul",
          pattern: p,
          shape: s.name,
          macs: s.m * s.k * s.n,
          input: [s.m, s.k],
          memoryCase: MEMORY_SHAPES.has(s.name),
        },
        matmulModel(p, s, w),
      );
    }
  }
  for (const s of CONV_SHAPES) {
    if ((quick && !QUICK_SHAPES.has(s.name)) || !keep(filter.shapes, s.name)) continue;
    const w = convWeight(s);
    for (const p of CONV_PATTERNS.filter((x) => keep(filter.patterns, x))) {
      const id = `${p} @ ${s.name}`;
      write(
        {
          id,
          kind: "conv",
          pattern: p,
          shape: s.name,
          macs: convMacs(s),
          input: [1, s.cin, s.hw, s.hw],
          memoryCase: MEMORY_SHAPES.has(s.name),
        },
        convModel(p, s, w),
      );
    }
  }
  return files;
}
