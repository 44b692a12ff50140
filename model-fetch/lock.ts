// One fetch per destination folder at a time: two `npm start`s writing the same `.incomplete` file would
// interleave bytes. The lock holds the owner's pid; a lock whose process is gone is taken over.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

export const LOCK_FILE = ".fetch.lock";

/** Locks this process holds (a pid check cannot tell two calls in one process apart). */
const held = new Set<string>();

/** Takes the lock on `dir` or throws naming the process that holds it; returns the release function. */
export function lockDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  if (held.has(path)) throw new Error(`a model fetch into ${dir} is already running in this process`);
  for (let tries = 0; tries < 2; tries++) {
    if (tryCreate(path)) {
      held.add(path);
      return () => {
        held.delete(path);
        rmSync(path, { force: true });
      };
    }
    const owner = ownerOf(path);
    if (owner !== undefined && owner !== process.pid && isAlive(owner)) {
      throw new Error(
        `another model fetch (pid ${owner}) is downloading into ${dir}; wait for it or stop it`,
      );
    }
    rmSync(path, { force: true }); // stale: its process died without releasing it
  }
  throw new Error(`cannot take the lock ${path}`);
}

function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  }
  writeSync(fd, String(process.pid));
  closeSync(fd);
  return true;
}

function ownerOf(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
