// Markdown table layout and number formats of the benchmark report, against hand-written expected text.
import { describe, expect, it } from "vitest";
import { fmtMiB, fmtMs, fmtPct, fmtRate, fmtRatio, mdTable } from "../../bench/e2e/table";

describe("mdTable", () => {
  it("pads columns, right-aligns where asked, escapes pipes", () => {
    const t = mdTable(
      ["system", "p50 ms"],
      [
        ["ours", "12.5"],
        ["a|b", "1,234"],
      ],
      ["l", "r"],
    );
    expect(t).toBe(
      ["| system | p50 ms |", "|--------|-------:|", "| ours   |   12.5 |", "| a\\|b   |  1,234 |"].join(
        "\n",
      ),
    );
  });
  it("fills missing cells", () => {
    expect(mdTable(["a", "b"], [["x"]])).toBe(["| a   | b   |", "|-----|-----|", "| x   |     |"].join("\n"));
  });
});

describe("formats", () => {
  it("milliseconds", () => {
    expect(fmtMs(1234.6)).toBe("1,235");
    expect(fmtMs(12.345)).toBe("12.3");
    expect(fmtMs(1.2345)).toBe("1.23");
    expect(fmtMs(undefined)).toBe("–");
    expect(fmtMs(NaN)).toBe("–");
  });
  it("bytes, rates, ratios, percentages", () => {
    expect(fmtMiB(3 * 2 ** 20)).toBe("3.0 MiB");
    expect(fmtRate(86.64e9)).toBe("86.6 G/s");
    expect(fmtRatio(0.254)).toBe("0.25×");
    expect(fmtPct(0.505)).toBe("51%");
  });
});
