// Loads a split model into the local R2 state that `wrangler dev --persist-to <dir>` serves, through wrangler's
// getPlatformProxy (miniflare with the same storage layout; no account). wrangler dev keeps its state in
// <dir>/v3, getPlatformProxy uses the path as given, hence the /v3 here. A ledger next to the state skips
// objects already stored with the same sha256 (and still there with the same size).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getPlatformProxy } from "wrangler";
import { readLedger, recordUpload, writeLedger } from "../ledger";
import type { ModelObject } from "../model-objects";
import { planUploads } from "../upload-plan";

interface BucketLike {
  put(key: string, value: Uint8Array): Promise<unknown>;
  head(key: string): Promise<{ size: number } | null>;
}

export interface LocalLoadResult {
  uploaded: number;
  uploadedBytes: number;
  unchanged: number;
}

export async function loadLocalR2(opts: {
  persistDir: string;
  bucket: string;
  objects: ModelObject[];
  /** Folder for the minimal config getPlatformProxy reads. */
  configDir: string;
  compatibilityDate: string;
  log?: (line: string) => void;
}): Promise<LocalLoadResult> {
  const log = opts.log ?? (() => {});
  mkdirSync(opts.configDir, { recursive: true });
  const configPath = join(opts.configDir, "wrangler.jsonc");
  writeFileSync(
    configPath,
    `${JSON.stringify({ name: "florence-edge-seed", compatibility_date: opts.compatibilityDate, r2_buckets: [{ binding: "MODEL", bucket_name: opts.bucket }] }, null, 2)}\n`,
  );
  const ledgerPath = join(opts.persistDir, "florence-edge-local-ledger.json");
  const ledger = readLedger(ledgerPath);
  const store = `local-r2:${opts.bucket}`;
  const proxy = await getPlatformProxy<{ MODEL: BucketLike }>({
    configPath,
    persist: { path: join(opts.persistDir, "v3") },
  });
  try {
    const plan = planUploads(opts.objects, ledger, store);
    // The ledger outlives a deleted v3 folder: trust it only for objects that are still there.
    const missing: ModelObject[] = [];
    for (const o of plan.unchanged)
      if ((await proxy.env.MODEL.head(o.key))?.size !== o.bytes) missing.push(o);
    const todo = opts.objects.filter((o) => plan.upload.includes(o) || missing.includes(o));
    const total = todo.reduce((s, o) => s + o.bytes, 0);
    let done = 0;
    let next = 0.1;
    for (const o of todo) {
      const bytes = readFileSync(o.file);
      await proxy.env.MODEL.put(o.key, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length));
      recordUpload(ledger, store, o.key, o.sha256, o.bytes);
      done += o.bytes;
      if (done / total >= next || o === todo.at(-1)) {
        log(
          `${Math.round((100 * done) / total)}%  ${(done / 2 ** 20).toFixed(0)}/${(total / 2 ** 20).toFixed(0)} MiB`,
        );
        next += 0.1;
      }
    }
    writeLedger(ledgerPath, ledger);
    return { uploaded: todo.length, uploadedBytes: total, unchanged: opts.objects.length - todo.length };
  } finally {
    await proxy.dispose();
  }
}
