// Row operations on batch-major tensors ([rows, ...] stored row after row): tiling one row for every beam and
// gathering rows after beam selection. Both work on flat typed arrays so they serve float caches and int64
// masks alike.

type Flat = Float32Array | BigInt64Array;

/** TypedArray.set between arrays of the same element type (TS cannot see that through the union). */
function put(dst: Flat, src: Flat, at: number): void {
  (dst as Float32Array).set(src as Float32Array, at);
}

/** `rows` copies of `row` back to back (row is a whole [1, ...] tensor). */
export function tileRow<T extends Flat>(row: T, rows: number): T {
  const out = new (row.constructor as new (n: number) => T)(row.length * rows);
  for (let r = 0; r < rows; r++) put(out, row, r * row.length);
  return out;
}

/**
 * Rows gathered by source index: result row i = `data` row `sourceRows[i]`.
 *
 * When the row count is unchanged the gather happens IN PLACE (the cache arrays are ours: ORT hands back fresh
 * output arrays each run), copying aside only the source rows that would be overwritten before they are read,
 * so the usual beam reorder allocates at most a few rows instead of a second cache. A changed row count (the
 * 1 → numBeams fan-out after the first step) allocates a new array.
 */
export function gatherRows<T extends Flat>(data: T, rowSize: number, sourceRows: readonly number[]): T {
  const rows = data.length / rowSize;
  for (const s of sourceRows) {
    if (!Number.isInteger(s) || s < 0 || s >= rows)
      throw new RangeError(`source row ${s} is outside 0..${rows - 1}`);
  }
  const row = (r: number) => data.subarray(r * rowSize, (r + 1) * rowSize) as T;
  if (sourceRows.length !== rows) {
    const out = new (data.constructor as new (n: number) => T)(sourceRows.length * rowSize);
    sourceRows.forEach((s, i) => put(out, row(s), i * rowSize));
    return out;
  }
  // Row j is overwritten at iteration j (when sourceRows[j] !== j). A source read at i > j must be saved first.
  const saved = new Map<number, T>();
  const needed = new Set(sourceRows);
  sourceRows.forEach((s, j) => {
    if (s !== j && needed.has(j)) saved.set(j, row(j).slice() as T);
  });
  sourceRows.forEach((s, i) => {
    if (s !== i) put(data, saved.get(s) ?? row(s), i * rowSize);
  });
  return data;
}

export function isIdentity(sourceRows: readonly number[], rows: number): boolean {
  return sourceRows.length === rows && sourceRows.every((s, i) => s === i);
}
