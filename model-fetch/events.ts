// What fetchModel reports while it works; progress-log.ts turns these into lines, `npm start` may render
// its own.
import type { IntegrityError } from "./errors";
import type { RemoteFile } from "./files";
import type { Check } from "./verify";

export type FetchEvent =
  | {
      type: "plan";
      repo: string;
      revision: string;
      hubUrl: string;
      dest: string;
      files: RemoteFile[];
      missingOptional: string[];
      toDownload: number;
    }
  | { type: "file-skip"; path: string; size: number; why: "verified earlier" | "hash matches" }
  | { type: "file-start"; path: string; size: number; resumeFrom: number }
  /** After every chunk written; `fileDone` counts bytes of this file on disk, including a resumed prefix. */
  | { type: "progress"; path: string; fileDone: number; fileSize: number; chunk: number }
  | { type: "retry"; path: string; attempt: number; resumeFrom: number; error: string }
  | { type: "file-done"; path: string; size: number; downloaded: number; seconds: number; check: Check }
  | { type: "corrupt"; path: string; error: IntegrityError; redownload: boolean }
  | { type: "offline"; reason: string }
  | { type: "done"; downloadedBytes: number; seconds: number };

export type FetchEventHandler = (event: FetchEvent) => void;
