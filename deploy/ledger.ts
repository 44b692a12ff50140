// What was uploaded where: object key → sha256 and size, per store ("r2:<bucket>", "kv:<namespace id>",
// "local-r2:<bucket>"). A file whose sha256 is recorded for its key is not sent again. The file is rewritten
// after every upload (write + rename), so an interrupted run keeps what it finished.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export interface LedgerEntry {
  sha256: string;
  bytes: number;
  /** ISO time of the upload. */
  at: string;
}

export interface Ledger {
  version: 1;
  /** store id → object key → entry */
  stores: Record<string, Record<string, LedgerEntry>>;
}

export function emptyLedger(): Ledger {
  return { version: 1, stores: {} };
}

export function readLedger(path: string): Ledger {
  if (!existsSync(path)) return emptyLedger();
  const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<Ledger>;
  if (parsed.version !== 1 || typeof parsed.stores !== "object" || parsed.stores === null) {
    throw new Error(
      `${path} is not an upload ledger this version understands (delete it to upload everything again)`,
    );
  }
  return { version: 1, stores: parsed.stores };
}

export function writeLedger(path: string, ledger: Ledger): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(ledger, null, 1)}\n`);
  renameSync(tmp, path);
}

export function recordUpload(
  ledger: Ledger,
  store: string,
  key: string,
  sha256: string,
  bytes: number,
): void {
  (ledger.stores[store] ??= {})[key] = { sha256, bytes, at: new Date().toISOString() };
}

export function recorded(ledger: Ledger, store: string, key: string): LedgerEntry | undefined {
  return ledger.stores[store]?.[key];
}
