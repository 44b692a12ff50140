// quant/: int8 quantization of Florence-2 model folders for onnxruntime-web (README.md).
export {
  quantizeFolder,
  quantizationRecord,
  GRAPH_FILES,
  type FolderReport,
  type FileReport,
} from "./quantize-folder";
export { quantizeModel, type ModelReport } from "./quantize-model";
export { quantizeInt8, dequantizeInt8, roundHalfEven, type Int8PerChannel } from "./per-channel";
export { DEFAULT_OPTIONS, type QuantOptions, type KeepReason } from "./options";
export { formatReport } from "./report";
