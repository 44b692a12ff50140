// The table of stages: weights, chunks, estimated and measured peak, time.
import type { SplitManifest } from "./manifest";

const MiB = (x: number) => (x / 2 ** 20).toFixed(1);

export function stageTable(m: SplitManifest): string {
  const rows = [
    "| stage | graphs | weights MiB | largest file MiB | estimated peak MiB | measured peak MiB (WASM + JS) | run ms | create ms |",
    "|---|---:|---:|---:|---:|---|---:|---:|",
  ];
  for (const s of m.stages) {
    const files = s.graphs.flatMap((g) => [g.model, ...g.externalData]);
    const largest = Math.max(...files.map((f) => f.bytes));
    const meas = s.measured
      ? `${MiB(s.measured.peakBytes)} (${MiB(s.measured.wasmBytes)} + ${MiB(s.measured.jsBytes)})`
      : "—";
    rows.push(
      `| ${s.id} | ${s.graphs.length} | ${MiB(s.estimate.weightBytes)} | ${MiB(largest)} | ${MiB(s.estimate.peakBytes)} | ${meas} | ${s.measured ? s.measured.runMs.toFixed(0) : "—"} | ${s.measured ? s.measured.createMs.toFixed(0) : "—"} |`,
    );
  }
  const total = m.files.reduce((a, f) => a + f.bytes, 0);
  rows.push(
    "",
    `${m.stages.length} stages, ${m.files.length} files, ${MiB(total)} MiB; largest file ${MiB(Math.max(...m.files.map((f) => f.bytes)))} MiB (limit ${MiB(m.budget.chunkBytes)}); budget ${MiB(m.budget.bytes)} MiB, planned for ${MiB(m.budget.target)} MiB.`,
  );
  return rows.join("\n");
}
