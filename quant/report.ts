// The human-readable report of a quantization run (`npm run quant -- --report`).
import type { FolderReport } from "./quantize-folder";

const mb = (b: number) => `${(b / 1e6).toFixed(2)} MB`;

export function formatReport(r: FolderReport): string {
  const lines: string[] = [];
  lines.push("| file | fp32 | int8 | ratio | rewrites | weights quantized | worst weight error |");
  lines.push("|---|---:|---:|---:|---|---:|---:|");
  for (const f of r.files) {
    const rw = Object.entries(f.report.rewrites)
      .map(([k, v]) => `${k} ×${v}`)
      .join(", ");
    const q = f.report.quantized;
    lines.push(
      `| ${f.file} | ${mb(f.bytesBefore)} | ${mb(f.bytesAfter)} | ${((100 * f.bytesAfter) / f.bytesBefore).toFixed(1)}% | ${rw} | ${q.count} (${(q.elements / 1e6).toFixed(2)} M) | ${(100 * q.worstWeightRelError).toFixed(2)}% |`,
    );
  }
  lines.push(
    `| total | ${mb(r.bytesBefore)} | ${mb(r.bytesAfter)} | ${((100 * r.bytesAfter) / r.bytesBefore).toFixed(1)}% | | | |`,
  );
  for (const f of r.files) {
    const byReason = new Map<string, string[]>();
    for (const k of f.report.kept) byReason.set(k.reason, [...(byReason.get(k.reason) ?? []), k.weight]);
    for (const [reason, ws] of byReason) {
      const shown = [...new Set(ws)];
      lines.push(
        `${f.file}: kept fp32 (${reason}) ×${ws.length}: ${shown.slice(0, 4).join(", ")}${shown.length > 4 ? ", ..." : ""}`,
      );
    }
  }
  return lines.join("\n");
}
