// Runs a split model's stages in this process, each graph in its own onnxruntime session (created on first
// use, in stage order). Used by tests and Node; a Worker deployment runs each stage in its own isolate with
// the same code (runSequence / LocalDecoderStageSession) behind an RPC runner.
import type { GraphEntry, SplitManifest, Stage } from "../../../model-splitter/manifest";
import type { InferenceSession } from "../ort-types";
import { LocalDecoderStageSession } from "./decoder-stage";
import type { DecoderStageSession, StageRunner } from "./runner";
import { runSequence, type StepObserver } from "./sequence";
import type { SessionHost } from "./session-host";
import { pick, type NamedTensors, type StageTensor } from "./tensors";

export class LocalStageRunner implements StageRunner {
  private readonly sessions = new Map<string, InferenceSession>();
  private readonly pending = new Map<string, Promise<void>>();

  constructor(
    readonly manifest: SplitManifest,
    private readonly host: SessionHost,
    private readonly observe?: StepObserver,
  ) {}

  /** Creates the stage's sessions one after another (each graph's bytes are released before the next). */
  prepare(stage: Stage): Promise<void> {
    let p = this.pending.get(stage.id);
    if (!p) {
      p = (async () => {
        for (const g of stage.graphs)
          if (!this.sessions.has(key(stage, g))) this.sessions.set(key(stage, g), await this.host.create(g));
      })();
      this.pending.set(stage.id, p);
    }
    return p;
  }

  async run(stage: Stage, inputs: NamedTensors): Promise<NamedTensors> {
    if (stage.program.kind !== "sequence") throw new Error(`stage ${stage.id} is not a sequence stage`);
    await this.prepare(stage);
    const env: NamedTensors = new Map(inputs);
    await runSequence(stage.program, env, (g) => this.session(stage, g), this.host.Tensor, this.observe);
    return pick(
      env,
      stage.outputs.map((o) => o.name),
      `stage ${stage.id}`,
    );
  }

  async openDecoder(
    stage: Stage,
    encoderHidden: StageTensor,
    encoderMask: StageTensor,
  ): Promise<DecoderStageSession> {
    const program = stage.program;
    if (program.kind !== "decoder") throw new Error(`stage ${stage.id} is not a decoder stage`);
    await this.prepare(stage);
    return new LocalDecoderStageSession(
      program,
      program.graphs.map((g) => this.session(stage, g)),
      this.host.Tensor,
      encoderHidden,
      encoderMask,
    );
  }

  async release(): Promise<void> {
    await Promise.all([...this.pending.values()].map((p) => p.catch(() => undefined)));
    await Promise.all([...this.sessions.values()].map((s) => s.release()));
    this.sessions.clear();
    this.pending.clear();
  }

  private session(stage: Stage, graph: string): InferenceSession {
    const s = this.sessions.get(`${stage.id}/${graph}`);
    if (!s) throw new Error(`stage ${stage.id} has no graph ${graph}`);
    return s;
  }
}

function key(stage: Stage, g: GraphEntry): string {
  return `${stage.id}/${g.id}`;
}
