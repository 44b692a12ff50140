// Row tiling and gathering (the beam reorder of self-attention caches) against a naive gather into a fresh array.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gatherRows, isIdentity, tileRow } from "../../runtime/engine/rows";

function naiveGather(data: Float32Array, rowSize: number, src: readonly number[]): Float32Array {
  const out: number[] = [];
  for (const s of src) for (let k = 0; k < rowSize; k++) out.push(data[s * rowSize + k]!);
  return Float32Array.from(out);
}

describe("gatherRows", () => {
  it("equals a naive gather for any mapping, in place when the row count is kept", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 5 })
          .chain((rows) =>
            fc.tuple(
              fc.constant(rows),
              fc.integer({ min: 1, max: 4 }),
              fc.array(fc.integer({ min: 0, max: rows - 1 }), { minLength: 1, maxLength: 6 }),
            ),
          ),
        ([rows, rowSize, src]) => {
          const data = Float32Array.from({ length: rows * rowSize }, (_, i) => i + 0.5);
          const expected = naiveGather(data, rowSize, src);
          const out = gatherRows(data, rowSize, src);
          expect(Array.from(out)).toEqual(Array.from(expected));
          if (src.length === rows) expect(out).toBe(data);
        },
      ),
    );
  });

  it("works on int64 rows and rejects sources outside the rows", () => {
    expect(Array.from(gatherRows(BigInt64Array.of(1n, 2n, 3n, 4n), 2, [1, 0, 1]))).toEqual([
      3n,
      4n,
      1n,
      2n,
      3n,
      4n,
    ]);
    expect(() => gatherRows(new Float32Array(4), 2, [2])).toThrow(/outside 0..1/);
    expect(() => gatherRows(new Float32Array(4), 2, [0.5])).toThrow(/outside/);
  });
});

describe("tileRow / isIdentity", () => {
  it("tiles a row and recognises the identity mapping", () => {
    expect(Array.from(tileRow(Float32Array.of(1, 2), 3))).toEqual([1, 2, 1, 2, 1, 2]);
    expect(Array.from(tileRow(BigInt64Array.of(7n), 2))).toEqual([7n, 7n]);
    expect(isIdentity([0, 1, 2], 3)).toBe(true);
    expect(isIdentity([0, 1], 3)).toBe(false);
    expect(isIdentity([0, 0, 2], 3)).toBe(false);
  });
});
