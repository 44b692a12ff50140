// Command-line arguments of `npm run bench`.
import { DEFAULT_FP32_DIR } from "./prep";

export interface Args {
  quick: boolean;
  only?: string[];
  tokens: number;
  model: string;
  int8: boolean;
  tag?: string;
  /** A split model folder for the edge job (default: the cached split of the fp32 model, prep-split.ts). */
  split?: string;
}

export function parseArgs(argv: readonly string[]): Args {
  const a: Args = { quick: false, tokens: 20, model: DEFAULT_FP32_DIR, int8: true };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i]!;
    const next = () => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${v} needs a value`);
      return x;
    };
    if (v === "--quick") a.quick = true;
    else if (v === "--only") a.only = next().split(",");
    else if (v === "--tokens") a.tokens = Number(next());
    else if (v === "--model") a.model = next();
    else if (v === "--no-int8") a.int8 = false;
    else if (v === "--tag") a.tag = next();
    else if (v === "--split") a.split = next();
    else throw new Error(`unknown argument ${v}`);
  }
  if (!Number.isInteger(a.tokens) || a.tokens < 2) throw new Error("--tokens must be an integer ≥ 2");
  return a;
}
