// Which external data files an .onnx file refers to, read straight from its protobuf bytes. The runtime cannot
// use onnx-graph's reader (it pulls in node:fs and the full schema), and decoding a 400 MB model just to list
// a few strings would be wasteful: this walks only ModelProto.graph → GraphProto.initializer →
// TensorProto.external_data and skips every other field by its length, so weights are never touched.
//
// Scope: top-level initializers, which is where exporters and onnx-graph's writer put external data.
// Initializers inside subgraphs (If branches) are small constants and are written inline.

const MODEL_GRAPH = 7; // ModelProto.graph
const GRAPH_INITIALIZER = 5; // GraphProto.initializer
const TENSOR_EXTERNAL_DATA = 13; // TensorProto.external_data (StringStringEntryProto)
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;

interface Field {
  number: number;
  wireType: number;
  /** For length-delimited fields, the payload's bounds. */
  start: number;
  end: number;
}

/** Iterates the top-level fields of the message in bytes[start, end). */
function* fields(bytes: Uint8Array, start: number, end: number): Generator<Field> {
  let pos = start;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (pos >= end) throw new Error("truncated protobuf varint");
      const b = bytes[pos++]!;
      result += (b & 0x7f) * scale; // multiplication, not <<, so values above 2^31 stay exact
      if (b < 0x80) return result;
      scale *= 128;
    }
  };
  while (pos < end) {
    const tag = varint();
    const wireType = tag % 8;
    const number = Math.floor(tag / 8);
    switch (wireType) {
      case 0:
        varint();
        yield { number, wireType, start: pos, end: pos };
        break;
      case 1:
        pos += 8;
        break;
      case 2: {
        const len = varint();
        const s = pos;
        pos += len;
        if (pos > end) throw new Error("truncated protobuf field");
        yield { number, wireType, start: s, end: pos };
        break;
      }
      case 5:
        pos += 4;
        break;
      default:
        throw new Error(`unsupported protobuf wire type ${wireType} (not an ONNX model?)`);
    }
  }
}

/** The distinct `location`s of externally stored initializers, in order of first use. */
export function externalDataLocations(model: Uint8Array): string[] {
  const found = new Set<string>();
  const text = new TextDecoder();
  for (const g of fields(model, 0, model.length)) {
    if (g.number !== MODEL_GRAPH || g.wireType !== 2) continue;
    for (const init of fields(model, g.start, g.end)) {
      if (init.number !== GRAPH_INITIALIZER || init.wireType !== 2) continue;
      for (const ext of fields(model, init.start, init.end)) {
        if (ext.number !== TENSOR_EXTERNAL_DATA || ext.wireType !== 2) continue;
        let key = "";
        let value = "";
        for (const kv of fields(model, ext.start, ext.end)) {
          if (kv.wireType !== 2) continue;
          if (kv.number === ENTRY_KEY) key = text.decode(model.subarray(kv.start, kv.end));
          if (kv.number === ENTRY_VALUE) value = text.decode(model.subarray(kv.start, kv.end));
        }
        if (key === "location") found.add(value);
      }
    }
  }
  return [...found];
}
