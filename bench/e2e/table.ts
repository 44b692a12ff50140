// Markdown tables and the number formats the report uses (also readable as plain text in a terminal).

export type Align = "l" | "r";

/** A GitHub-flavoured markdown table, columns padded to equal width; `|` inside cells is escaped. */
export function mdTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  const esc = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");
  const cells = [header.map(esc), ...rows.map((r) => header.map((_, i) => esc(r[i] ?? "")))];
  const widths = header.map((_, i) => Math.max(3, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    `| ${r.map((c, i) => (align[i] === "r" ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (align[i] === "r" ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`;
  return [line(cells[0]!), rule, ...cells.slice(1).map(line)].join("\n");
}

/** Milliseconds: 3 significant figures below 100, whole numbers above, "–" when absent. */
export function fmtMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms >= 100) return Math.round(ms).toLocaleString("en-US");
  return ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

/** Bytes in MiB with one decimal. */
export function fmtMiB(bytes: number | undefined): string {
  return bytes === undefined || !Number.isFinite(bytes) ? "–" : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** Multiply-accumulates per second in G (10⁹). */
export function fmtRate(macsPerS: number | undefined): string {
  return macsPerS === undefined || !Number.isFinite(macsPerS) ? "–" : `${(macsPerS / 1e9).toFixed(1)} G/s`;
}

export function fmtRatio(r: number | undefined): string {
  return r === undefined || !Number.isFinite(r) ? "–" : `${r.toFixed(2)}×`;
}

export function fmtPct(r: number | undefined): string {
  return r === undefined || !Number.isFinite(r) ? "–" : `${(r * 100).toFixed(0)}%`;
}
