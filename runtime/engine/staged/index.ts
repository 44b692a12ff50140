// The staged engine: a split model (model-splitter/) run stage by stage behind the Florence2Engine interface.
export { StagedEngine } from "./engine";
export { LocalStageRunner } from "./local-runner";
export type { DecoderStageSession, StageRunner } from "./runner";
export { webSessionHost, type SessionHost } from "./session-host";
export { runSequence } from "./sequence";
export { runBandPass, extractBand, inputRows } from "./band-pass";
export { LocalDecoderStageSession } from "./decoder-stage";
export type { NamedTensors, StageTensor, TensorData } from "./tensors";
export { createStagedWebEngine, readManifest, type StagedWebEngineOptions } from "./web";
