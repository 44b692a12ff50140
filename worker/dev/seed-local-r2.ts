// `npm run worker:seed [-- --model DIR] [-- --prefix florence-2/]`: copies a model folder into the local R2
// state that `wrangler dev` uses (.wrangler/state/v3), through wrangler's getPlatformProxy with the same
// wrangler.toml, so no Cloudflare account is involved. Default model: as `npm run start:node` chooses it
// (server-node/model-dir.ts), i.e. the synthetic base model if generated, else the tiny one.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { Command } from "commander";
import { getPlatformProxy } from "wrangler";
import { chooseModelDir } from "../../server-node/model-dir";
import { REPO_ROOT } from "../../synthetic-model/generate";

interface BucketLike {
  put(key: string, value: Uint8Array): Promise<unknown>;
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

const opts = new Command()
  .option("--model <dir>", "model folder (default: as npm run start:node chooses)")
  .option("--prefix <prefix>", "key prefix (must match MODEL_PREFIX in wrangler.toml)", "florence-2/")
  .parse()
  .opts<{ model?: string; prefix: string }>();

const choice = chooseModelDir(opts.model);
const proxy = await getPlatformProxy<{ MODEL: BucketLike }>({ configPath: join(REPO_ROOT, "wrangler.toml") });
try {
  for (const path of files(choice.dir)) {
    const key = opts.prefix + relative(choice.dir, path).split("\\").join("/");
    const bytes = readFileSync(path);
    await proxy.env.MODEL.put(key, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
    console.log(`${key}  ${(bytes.length / 1e6).toFixed(1)} MB`);
  }
  console.log(
    `seeded local R2 bucket MODEL from ${choice.dir} (${choice.reason}); now run: npx wrangler dev`,
  );
} finally {
  await proxy.dispose();
}
