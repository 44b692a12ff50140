// onnx-graph: read, build, walk and write ONNX models. Shared by the synthetic model generator, quant/ and
// model-splitter/. Node-only parts (file I/O) are in read-model.ts and write-model.ts.
export * from "./proto";
export * from "./dtype";
export * from "./tensor";
export * from "./shape";
export * from "./attributes";
export * from "./builder";
export * from "./walk";
export * from "./read-model";
export * from "./write-model";
export * from "./random";
