// Plain progress lines (no cursor movement), so logs from CI, `npm start` under a process manager or a
// pipe read the same as a terminal: one line per file event and, while bytes flow, a total line every
// `intervalMs` with percentage, bytes/s over the last few seconds, and the ETA.
import type { FetchEvent, FetchEventHandler } from "./events";

export interface ProgressLogOptions {
  write?: (line: string) => void;
  intervalMs?: number;
  now?: () => number;
}

/** Rate window: long enough to smooth TCP bursts, short enough to follow a changing link. */
const WINDOW_MS = 10_000;

export function createProgressLog(opts: ProgressLogOptions = {}): FetchEventHandler {
  const write = opts.write ?? ((line: string) => process.stderr.write(line + "\n"));
  const intervalMs = opts.intervalMs ?? 3000;
  const now = opts.now ?? (() => performance.now());
  let total = 0;
  let done = 0;
  let lastLine = 0;
  let samples: { t: number; done: number }[] = [];
  // Files vouched for by the state file are summed into one line (a routine restart would print one per file).
  let skipped = { files: 0, bytes: 0 };

  return (e: FetchEvent) => {
    switch (e.type) {
      case "plan": {
        total = e.toDownload;
        const size = e.files.reduce((s, f) => s + f.size, 0);
        write(
          `model-fetch: ${e.repo}@${e.revision} from ${e.hubUrl} into ${e.dest}: ${e.files.length} file${e.files.length === 1 ? "" : "s"}, ${formatBytes(size)}, ${formatBytes(e.toDownload)} to download`,
        );
        if (skipped.files > 0)
          write(
            `  ${skipped.files} file${skipped.files > 1 ? "s" : ""} (${formatBytes(skipped.bytes)}) verified by an earlier run`,
          );
        skipped = { files: 0, bytes: 0 };
        if (e.missingOptional.length > 0)
          write(`  (optional, not in the repo: ${e.missingOptional.join(", ")})`);
        break;
      }
      case "file-skip":
        if (e.why === "verified earlier")
          skipped = { files: skipped.files + 1, bytes: skipped.bytes + e.size };
        else write(`  ${e.path}: already there, ${e.why} (${formatBytes(e.size)})`);
        break;
      case "file-start":
        write(
          `  ${e.path}: ${e.resumeFrom > 0 ? `resuming at ${formatBytes(e.resumeFrom)} of` : "downloading"} ${formatBytes(e.size)}`,
        );
        samples = [{ t: now(), done }];
        lastLine = now();
        break;
      case "progress": {
        done += e.chunk;
        const t = now();
        if (t - lastLine < intervalMs) break;
        lastLine = t;
        samples.push({ t, done });
        while (samples.length > 2 && t - samples[0]!.t > WINDOW_MS) samples.shift();
        const first = samples[0]!;
        const rate = t > first.t ? ((done - first.done) * 1000) / (t - first.t) : 0;
        const eta = rate > 0 ? (total - done) / rate : Infinity;
        const pct = total > 0 ? ((100 * done) / total).toFixed(1).padStart(5) : "  ?  ";
        write(
          `  [${pct}%] ${formatBytes(done)} / ${formatBytes(total)}  ${formatBytes(rate)}/s  ETA ${formatDuration(eta)}` +
            `  (${e.path} ${Math.floor((100 * e.fileDone) / Math.max(1, e.fileSize))}%)`,
        );
        break;
      }
      case "retry":
        write(`  ${e.path}: interrupted (${e.error}); retry ${e.attempt} from ${formatBytes(e.resumeFrom)}`);
        break;
      case "file-done":
        write(
          `  ${e.path}: done, ${formatBytes(e.downloaded)} in ${e.seconds.toFixed(1)} s` +
            `${e.seconds > 0 ? ` (${formatBytes(e.downloaded / e.seconds)}/s)` : ""}, ${e.check === "size" ? "size" : e.check} ok`,
        );
        break;
      case "corrupt":
        write(`  ${e.error.message}${e.redownload ? "; downloading it again" : ""}`);
        break;
      case "offline":
        write(`model-fetch: ${e.reason}`);
        break;
      case "done":
        write(`model-fetch: done, ${formatBytes(e.downloadedBytes)} downloaded in ${e.seconds.toFixed(1)} s`);
        break;
    }
  };
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
