// The model version (the key every cache entry is stored under) must change when the quantized weights do,
// even when the fp32 model and the quantization mode stay the same; and stay put when nothing changed.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { quantizeFolder } from "../../quant/quantize-folder";
import { metadataFrom } from "../../runtime/model-folder";
import { tinyModelDir } from "../helpers/tiny-model";

const tmp = mkdtempSync(join(tmpdir(), "quant-version-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function versionOf(dir: string): string {
  const edge = JSON.parse(readFileSync(join(dir, "florence_edge.json"), "utf8")) as Record<string, unknown>;
  const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
  return metadataFrom(edge, config, "tiny").version;
}

describe("model version of a quantized folder", () => {
  it("changes with the quantized weights, not only with the fp32 model", () => {
    const fp32 = versionOf(tinyModelDir());
    quantizeFolder(tinyModelDir(), join(tmp, "a"));
    quantizeFolder(tinyModelDir(), join(tmp, "b"));
    quantizeFolder(tinyModelDir(), join(tmp, "blocks"), { splitAbove: 1024, splitBlock: 512 });
    const [a, b, blocks] = ["a", "b", "blocks"].map((d) => versionOf(join(tmp, d)));
    expect(a).toMatch(/\+int8-[0-9a-f]{12}$/);
    expect(a!.startsWith(`${fp32}+int8`)).toBe(true);
    expect(b).toBe(a); // deterministic: same input and options, same version
    expect(blocks).not.toBe(a);
  });
});
