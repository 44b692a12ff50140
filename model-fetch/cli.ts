// `npm run model:fetch -- [--repo R] [--revision REV] [--out DIR] [--rehash]`: download a Florence-2 ONNX
// folder from the Hub (HF_ENDPOINT and HF_TOKEN are honoured). Exit codes let scripts tell the cases apart:
// 2 Hub unreachable, 3 auth, 4 not found, 5 integrity, 1 anything else.
import { Command } from "commander";
import {
  DEFAULT_REPO,
  DEFAULT_REVISION,
  defaultModelDir,
  fetchModel,
  HubAuthError,
  HubNotFoundError,
  HubUnreachableError,
  hubUrlFromEnv,
  IntegrityError,
} from "./index";

const program = new Command()
  .name("model:fetch")
  .description(
    "Download a Florence-2 ONNX model folder (fp32 graphs, configs, tokenizer) from the Hugging Face Hub",
  )
  .option("--repo <id>", "model repo", DEFAULT_REPO)
  .option("--revision <rev>", "branch, tag or commit", DEFAULT_REVISION)
  .option("--out <dir>", "destination folder (default models/<owner>__<name>)")
  .option("--endpoint <url>", "Hub URL (default $HF_ENDPOINT, else https://huggingface.co)")
  .option("--rehash", "re-hash complete files even when .fetch-state.json vouches for them")
  .parse();

const opts = program.opts<{
  repo: string;
  revision: string;
  out?: string;
  endpoint?: string;
  rehash?: boolean;
}>();
const ac = new AbortController();
process.once("SIGINT", () =>
  ac.abort(new Error("interrupted (the partial file is kept; run again to resume)")),
);

try {
  const result = await fetchModel({
    repo: opts.repo,
    revision: opts.revision,
    dest: opts.out ?? defaultModelDir(opts.repo),
    hubUrl: opts.endpoint ?? hubUrlFromEnv(),
    rehash: opts.rehash ?? false,
    signal: ac.signal,
  });
  console.log(result.dir);
} catch (e) {
  const err = e instanceof Error ? e : new Error(String(e));
  console.error(`model-fetch: ${err.message}`);
  process.exitCode =
    err instanceof HubUnreachableError
      ? 2
      : err instanceof HubAuthError
        ? 3
        : err instanceof HubNotFoundError
          ? 4
          : err instanceof IntegrityError
            ? 5
            : 1;
}
