// The engine layer: the four Florence-2 graphs behind one interface (types.ts), implemented over
// onnxruntime-web here and over onnxruntime-node in runtime-node/ (the runtime never imports onnxruntime-node).
export type { DecoderSession, EngineInfo, Florence2Engine, GraphName } from "./types";
export { GRAPH_NAMES } from "./types";
export type { GraphBytes, LoadFile, ModelFileOptions } from "./model-files";
export { graphPath, loadGraphBytes, loadOnnxBytes } from "./model-files";
export { externalDataLocations } from "./external-data";
export { OrtFlorence2Engine, readEngineInfo, type GraphSessions } from "./ort-engine";
export { createOrtWebEngine, createWebSession, webSessionOptions, type OrtWebEngineOptions } from "./ort-web";
