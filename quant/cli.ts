// npm run quant -- --in DIR --out DIR [--mode int8] [--exclude PATTERN...] [--report]
//   [--min-elements N] [--conv dequantize|fp32] [--split-above N] [--split-block N] [--split-files REGEX]
//   [--split-form concat|stacked] [--split-concat REGEX] [--range-block-min-height N] [--inline]
// Quantizes the four Florence-2 graphs of a model folder (README.md explains the choices and their numbers).
import { Command, InvalidArgumentError, Option } from "commander";
import { DEFAULT_OPTIONS } from "./options";
import { quantizeFolder } from "./quantize-folder";
import { formatReport } from "./report";

function parseCount(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("expected a non-negative integer");
  return n;
}

function parsePattern(v: string, prev: RegExp[] = []): RegExp[] {
  try {
    return [...prev, new RegExp(v)];
  } catch {
    throw new InvalidArgumentError(`not a regular expression: ${v}`);
  }
}

interface CliOptions {
  in: string;
  out: string;
  mode: "int8";
  exclude: RegExp[];
  report: boolean;
  minElements: number;
  conv: "dequantize" | "fp32";
  splitAbove: number;
  splitBlock: number;
  splitFiles: RegExp[];
  splitForm: "concat" | "stacked";
  splitConcat: RegExp[];
  inline: boolean;
  rangeBlockMinHeight: number;
}

const program = new Command()
  .name("quant")
  .description("int8 quantization of a Florence-2 model folder for onnxruntime-web")
  .requiredOption("--in <dir>", "fp32 model folder (config files + onnx/)")
  .requiredOption("--out <dir>", "output folder")
  .addOption(
    new Option(
      "--mode <mode>",
      "quantization mode (4-bit was measured and is not offered; see quant/README.md)",
    )
      .choices(["int8"])
      .default("int8"),
  )
  .option(
    "--exclude <pattern...>",
    "keep weights fp32 whose initializer or node name matches (regular expression)",
    parsePattern,
    [],
  )
  .option("--report", "print sizes, rewrites and the weights kept in fp32", false)
  .option(
    "--min-elements <n>",
    "weights smaller than this stay fp32",
    parseCount,
    DEFAULT_OPTIONS.minElements,
  )
  .addOption(
    new Option("--conv <how>", "dense Conv weights")
      .choices(["dequantize", "fp32"])
      .default(DEFAULT_OPTIONS.conv),
  )
  .option(
    "--split-above <n>",
    "split MatMul weights wider than this into column blocks (0: never)",
    parseCount,
    DEFAULT_OPTIONS.splitAbove,
  )
  .option("--split-block <n>", "columns per block of a split weight", parseCount, DEFAULT_OPTIONS.splitBlock)
  .option(
    "--split-files <pattern>",
    `model files whose weights may be split (regular expression, default ${DEFAULT_OPTIONS.splitFiles.source})`,
    (v: string) => parsePattern(v),
    [DEFAULT_OPTIONS.splitFiles],
  )
  .addOption(
    new Option("--split-form <form>", "blocks of a split weight: one op each + Concat, or stacked in one op")
      .choices(["concat", "stacked"])
      .default(DEFAULT_OPTIONS.splitForm),
  )
  .option(
    "--split-concat <pattern>",
    `split weights (node names) that keep the Concat form when stacked (default ${DEFAULT_OPTIONS.splitConcat.source})`,
    (v: string) => parsePattern(v),
    [DEFAULT_OPTIONS.splitConcat],
  )
  .option(
    "--range-block-min-height <rows>",
    "DaViT maps with at least this many rows get one int8 activation range per band of rows (0: per map)",
    parseCount,
    DEFAULT_OPTIONS.rangeBlockMinHeight,
  )
  .option(
    "--inline",
    "keep weights inside the .onnx files instead of <file>_data (costs ~2× WASM memory at load)",
    false,
  )
  .action((o: CliOptions) => {
    const r = quantizeFolder(
      o.in,
      o.out,
      {
        mode: o.mode,
        exclude: o.exclude,
        minElements: o.minElements,
        conv: o.conv,
        splitAbove: o.splitAbove,
        splitBlock: Math.max(1, o.splitBlock),
        splitFiles: o.splitFiles[0]!,
        splitForm: o.splitForm,
        splitConcat: o.splitConcat[0]!,
        externalData: !o.inline,
        rangeBlockMinHeight: o.rangeBlockMinHeight,
      },
      (line) => process.stderr.write(`${line}\n`),
    );
    if (o.report) process.stdout.write(`${formatReport(r)}\n`);
  });

try {
  program.parse();
} catch (e) {
  process.stderr.write(`quant: ${(e as Error).message}\n`);
  process.exitCode = 1;
}
