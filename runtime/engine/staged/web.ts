// The staged engine on onnxruntime-web with every stage in this isolate/process (the in-process runner).
import * as ortWasm from "onnxruntime-web/wasm";
import { SPLIT_FORMAT, type SplitManifest } from "../../../model-splitter/manifest";
import { configureOrtWeb, type OrtWeb, type OrtWebSettings } from "../../ort-env";
import type { LoadFile } from "../model-files";
import { StagedEngine } from "./engine";
import { LocalStageRunner } from "./local-runner";
import { webSessionHost } from "./session-host";

export interface StagedWebEngineOptions extends OrtWebSettings {
  /** Reads a file of the split folder (manifest.json, graphs, chunks). */
  loadFile: LoadFile;
  manifest?: SplitManifest;
  ort?: OrtWeb;
}

export async function readManifest(loadFile: LoadFile): Promise<SplitManifest> {
  const m = JSON.parse(new TextDecoder().decode(await loadFile("manifest.json"))) as SplitManifest;
  if (m.format !== SPLIT_FORMAT)
    throw new Error(`manifest.json has format ${String(m.format)}, expected ${SPLIT_FORMAT}`);
  return m;
}

export async function createStagedWebEngine(opts: StagedWebEngineOptions): Promise<StagedEngine> {
  const ort = opts.ort ?? ortWasm;
  const threads = configureOrtWeb(ort, opts);
  const manifest = opts.manifest ?? (await readManifest(opts.loadFile));
  return new StagedEngine(
    manifest,
    new LocalStageRunner(manifest, webSessionHost(ort, opts.loadFile)),
    threads,
  );
}
