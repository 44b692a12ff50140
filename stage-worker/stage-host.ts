// The stage this isolate serves, loaded once: manifest → the stage's graphs and chunks (each checked against
// the manifest) → its onnxruntime-web sessions, held for the isolate's life. Concurrent first calls share one
// load (single flight); a failed load is forgotten, so the next call tries again (after the operator fixed
// the files, say). The sessions are run through the same code as in-process (LocalStageRunner: runSequence
// and LocalDecoderStageSession), one call at a time: onnxruntime-web has one WASM thread here.
import type { SplitManifest, Stage } from "../model-splitter/manifest";
import { configureOrtWeb, type OrtWeb } from "../runtime/ort-env";
import { LocalStageRunner } from "../runtime/engine/staged/local-runner";
import { webSessionHost } from "../runtime/engine/staged/session-host";
import { readManifest } from "../runtime/engine/staged/web";
import { stageError } from "./errors";
import { storeReader, verifiedLoader, type LoadCounters, type StoreEnv } from "./model-store";

export interface StageEnv extends StoreEnv {
  /** The manifest stage id this Worker serves, e.g. "vision-3". */
  STAGE_ID?: string;
}

/** What a stage's cold start cost, in this isolate. */
export interface StageLoadInfo {
  stageId: string;
  role: Stage["role"];
  graphs: number;
  /** Bytes of graphs and chunks read (all checked). */
  bytes: number;
  manifestMs: number;
  /** Reading the graphs and chunks from the store. */
  readMs: number;
  /** sha256 of every file. */
  hashMs: number;
  /** Session creation (onnxruntime parsing the graph, copying weights into WASM memory). */
  sessionMs: number;
  totalMs: number;
}

export interface LoadedStage {
  manifest: SplitManifest;
  stage: Stage;
  runner: LocalStageRunner;
  info: StageLoadInfo;
}

export class StageHost {
  private loading?: Promise<LoadedStage>;
  /** The loaded stage, once its load succeeded. */
  current?: LoadedStage;
  /** Load attempts in this isolate (1 once loaded, whatever the number of concurrent first calls). */
  attempts = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ort: OrtWeb,
    private readonly wasmModule: WebAssembly.Module,
  ) {}

  /** The loaded stage (loading it on first use). Errors name the stage: "stage <id> could not load: …". */
  load(env: StageEnv): Promise<LoadedStage> {
    this.loading ??= this.attempt(env).catch((err: unknown) => {
      this.loading = undefined;
      throw stageError(env.STAGE_ID ?? "?", "load", err);
    });
    return this.loading;
  }

  /** Runs fn with the loaded stage, after every call before it (one WASM thread; sessions are not re-entrant). */
  async use<T>(env: StageEnv, fn: (s: LoadedStage) => Promise<T>): Promise<T> {
    const loaded = await this.load(env);
    const result = this.queue.then(() => fn(loaded));
    this.queue = result.catch(() => undefined);
    try {
      return await result;
    } catch (err) {
      throw stageError(loaded.stage.id, "run", err);
    }
  }

  private attempt(env: StageEnv): Promise<LoadedStage> {
    this.attempts++;
    return this.doLoad(env).then((loaded) => (this.current = loaded));
  }

  private async doLoad(env: StageEnv): Promise<LoadedStage> {
    const t0 = performance.now();
    const stageId = env.STAGE_ID;
    if (!stageId) throw new Error("the stage Worker has no STAGE_ID");
    configureOrtWeb(this.ort, { numThreads: 1, wasmModule: this.wasmModule });
    const read = storeReader(env);
    const manifest = await readManifest(read);
    const stage = manifest.stages.find((s) => s.id === stageId);
    if (!stage) throw new Error(`the manifest has no stage ${stageId}`);
    const t1 = performance.now();
    const counters: LoadCounters = { files: 0, bytes: 0, readMs: 0, hashMs: 0 };
    const runner = new LocalStageRunner(
      manifest,
      webSessionHost(this.ort, verifiedLoader(read, manifest.files, counters)),
    );
    try {
      await runner.prepare(stage);
    } catch (err) {
      await runner.release().catch(() => undefined);
      throw err;
    }
    const t2 = performance.now();
    return {
      manifest,
      stage,
      runner,
      info: {
        stageId,
        role: stage.role,
        graphs: stage.graphs.length,
        bytes: counters.bytes,
        manifestMs: t1 - t0,
        readMs: counters.readMs,
        hashMs: counters.hashMs,
        sessionMs: t2 - t1 - counters.readMs - counters.hashMs,
        totalMs: t2 - t0,
      },
    };
  }
}
