// Fetches a Florence-2 ONNX folder from the Hub (or HF_ENDPOINT) into `dest`: list the repo, check what is
// already there, download the rest one file at a time (resumable, verified), and record what was verified.
// When the Hub cannot be reached but a previous run completed this repo@revision in `dest`, that copy is
// used as is.
import { listFiles } from "@huggingface/hub";
import { mkdirSync } from "node:fs";
import { stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { downloadFile, type DownloadContext } from "./download-file";
import { HubAuthError, HubUnreachableError, IntegrityError } from "./errors";
import type { FetchEventHandler } from "./events";
import { emptyState, readState, writeState, type FetchState } from "./fetch-state";
import { DEFAULT_REPO, DEFAULT_REVISION, planFiles, toRemoteFile, type RemoteFile } from "./files";
import { classifyHubError, type HubErrorContext } from "./hub-errors";
import { createHubFetch } from "./hub-fetch";
import { checkLocal } from "./local-check";
import { lockDir } from "./lock";
import { createProgressLog } from "./progress-log";
import { identityOf } from "./verify";

export const PUBLIC_HUB_URL = "https://huggingface.co";
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export interface FetchModelOptions {
  /** Default onnx-community/Florence-2-base-ft. */
  repo?: string;
  /** Branch, tag or commit; default "main". */
  revision?: string;
  /** Destination folder; default defaultModelDir(repo). */
  dest?: string;
  /** Default $HF_ENDPOINT, else https://huggingface.co. */
  hubUrl?: string;
  /** Default $HF_TOKEN. */
  accessToken?: string;
  /** Each request must get response headers within this; default 10 s. */
  connectTimeoutMs?: number;
  /** A transfer with no bytes for this long is dropped and resumed; default 30 s. */
  stallTimeoutMs?: number;
  /** Retries per file after a dropped connection or 5xx; default 4. */
  retries?: number;
  /** First retry backoff (doubles per attempt); default 1 s. */
  retryDelayMs?: number;
  /** Make no request (use a complete earlier copy or fail with HubUnreachableError); default $HF_HUB_OFFLINE. */
  offline?: boolean;
  /** Re-hash complete files even when .fetch-state.json vouches for them. */
  rehash?: boolean;
  /** Default: plain progress lines on stderr. */
  onEvent?: FetchEventHandler;
  signal?: AbortSignal;
}

export interface FetchModelResult {
  dir: string;
  repo: string;
  revision: string;
  hubUrl: string;
  /** Every file of the model folder, as the Hub listed it (or as recorded, when offline). */
  files: RemoteFile[];
  missingOptional: string[];
  /** Paths fetched over the network in this run. */
  downloaded: string[];
  downloadedBytes: number;
  seconds: number;
  /** The Hub was unreachable and a previously completed download was used. */
  offline: boolean;
}

/** models/<owner>__<name> in this repository. */
export function defaultModelDir(repo: string = DEFAULT_REPO): string {
  return join(REPO_ROOT, "models", repo.replaceAll("/", "__"));
}

export function hubUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return (env.HF_ENDPOINT || PUBLIC_HUB_URL).replace(/\/+$/, "");
}

/** huggingface_hub's switch for "never touch the network". */
export function offlineFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return ["1", "true", "yes", "on"].includes((env.HF_HUB_OFFLINE ?? "").toLowerCase());
}

export async function fetchModel(opts: FetchModelOptions = {}): Promise<FetchModelResult> {
  const t0 = performance.now();
  const repo = opts.repo ?? DEFAULT_REPO;
  const revision = opts.revision ?? DEFAULT_REVISION;
  const hubUrl = (opts.hubUrl ?? hubUrlFromEnv()).replace(/\/+$/, "");
  const accessToken = opts.accessToken ?? (process.env.HF_TOKEN || undefined);
  if (accessToken && !accessToken.startsWith("hf_")) {
    throw new HubAuthError("HF_TOKEN is not a Hugging Face access token (those start with hf_)", 0);
  }
  const dest = resolve(opts.dest ?? defaultModelDir(repo));
  const onEvent = opts.onEvent ?? createProgressLog();
  const errors: HubErrorContext = {
    hubUrl,
    repo,
    revision,
    hasToken: accessToken !== undefined,
    errorCodes: new Map(),
  };
  const fetch = createHubFetch({
    hubUrl,
    connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
    errorCodes: errors.errorCodes,
  });

  let listing: RemoteFile[];
  try {
    if (opts.offline ?? offlineFromEnv())
      throw new HubUnreachableError(hubUrl, "HF_HUB_OFFLINE is set, so no request was made");
    listing = await listRepo({ repo, revision, hubUrl, accessToken, fetch });
  } catch (e) {
    const err = classifyHubError(e, errors);
    const previous = readState(dest);
    if (
      err instanceof HubUnreachableError &&
      previous &&
      (await completeCopyIntact(previous, dest, repo, revision))
    ) {
      onEvent({
        type: "offline",
        reason: `${err.message}; using the copy in ${dest} verified by an earlier run`,
      });
      const files = Object.entries(previous.files).map(([path, f]) => ({ path, size: f.size }));
      return {
        dir: dest,
        repo,
        revision,
        hubUrl,
        files,
        missingOptional: [],
        downloaded: [],
        downloadedBytes: 0,
        seconds: elapsed(t0),
        offline: true,
      };
    }
    throw err;
  }

  // The folder is made only once the Hub answered, so a failed start leaves no empty model folder behind.
  mkdirSync(dest, { recursive: true });
  const unlock = lockDir(dest);
  try {
    const previous = readState(dest);
    const plan = planFiles(listing, repo, revision);
    // Old records stay: a file is trusted only if its recorded identity equals what the Hub lists now.
    const state: FetchState = {
      ...(previous ?? emptyState(repo, revision)),
      repo,
      revision,
      complete: false,
    };

    const todo: { file: RemoteFile; resumeFrom: number }[] = [];
    for (const file of plan.files) {
      const local = await checkLocal(file, dest, state, opts.rehash ?? false, onEvent);
      if (local.kind === "verified") {
        state.files[file.path] = { identity: identityOf(file), size: local.size, mtimeMs: local.mtimeMs };
        onEvent({ type: "file-skip", path: file.path, size: file.size, why: local.why });
      } else todo.push({ file, resumeFrom: local.resumeFrom });
    }
    writeState(dest, state);
    const toDownload = todo.reduce((s, t) => s + t.file.size - t.resumeFrom, 0);
    onEvent({
      type: "plan",
      repo,
      revision,
      hubUrl,
      dest,
      files: plan.files,
      missingOptional: plan.missingOptional,
      toDownload,
    });

    const ctx: DownloadContext = {
      hubUrl,
      repo,
      revision,
      ...(accessToken ? { accessToken } : {}),
      fetch,
      errors,
      retries: opts.retries ?? 4,
      retryDelayMs: opts.retryDelayMs ?? 1000,
      stallTimeoutMs: opts.stallTimeoutMs ?? 30_000,
      ...(opts.signal ? { signal: opts.signal } : {}),
      onEvent,
    };
    let downloadedBytes = 0;
    for (const { file, resumeFrom } of todo) {
      delete state.files[file.path];
      state.partial[file.path] = identityOf(file);
      writeState(dest, state);
      const result = await downloadVerified(file, dest, ctx, resumeFrom > 0, state);
      downloadedBytes += result.downloaded;
      const st = await stat(join(dest, file.path));
      state.files[file.path] = { identity: identityOf(file), size: st.size, mtimeMs: st.mtimeMs };
      delete state.partial[file.path];
      writeState(dest, state);
      onEvent({
        type: "file-done",
        path: file.path,
        size: file.size,
        downloaded: result.downloaded,
        seconds: result.seconds,
        check: checkOf(file),
      });
    }

    // Only the planned files belong to a complete copy (records of files the repo dropped go).
    const wanted = new Set(plan.files.map((f) => f.path));
    for (const path of Object.keys(state.files)) if (!wanted.has(path)) delete state.files[path];
    writeState(dest, { ...state, complete: true });
    const seconds = elapsed(t0);
    onEvent({ type: "done", downloadedBytes, seconds });
    return {
      dir: dest,
      repo,
      revision,
      hubUrl,
      files: plan.files,
      missingOptional: plan.missingOptional,
      downloaded: todo.map((t) => t.file.path),
      downloadedBytes,
      seconds,
      offline: false,
    };
  } finally {
    unlock();
  }
}

/** A resumed file that fails its hash may owe that to its old prefix: it gets one fresh download. */
async function downloadVerified(
  file: RemoteFile,
  dest: string,
  ctx: DownloadContext,
  resume: boolean,
  state: FetchState,
) {
  try {
    return await downloadFile(file, dest, ctx, resume);
  } catch (e) {
    if (!(e instanceof IntegrityError)) throw e;
    ctx.onEvent({ type: "corrupt", path: file.path, error: e, redownload: resume });
    if (!resume) {
      delete state.partial[file.path];
      writeState(dest, state);
      throw e;
    }
    return await downloadFile(file, dest, ctx, false);
  }
}

async function listRepo(p: {
  repo: string;
  revision: string;
  hubUrl: string;
  accessToken: string | undefined;
  fetch: typeof fetch;
}): Promise<RemoteFile[]> {
  const files: RemoteFile[] = [];
  for await (const entry of listFiles({
    repo: p.repo,
    revision: p.revision,
    recursive: true,
    hubUrl: p.hubUrl,
    fetch: p.fetch,
    ...(p.accessToken ? { accessToken: p.accessToken } : {}),
  })) {
    if (entry.type === "file") files.push(toRemoteFile(entry));
  }
  return files;
}

/** The earlier run finished this repo@revision and no recorded file changed since (size and mtime). */
async function completeCopyIntact(
  state: FetchState,
  dest: string,
  repo: string,
  revision: string,
): Promise<boolean> {
  if (!state.complete || state.repo !== repo || state.revision !== revision) return false;
  for (const [path, rec] of Object.entries(state.files)) {
    const st = await stat(join(dest, path)).catch(() => undefined);
    if (!st || st.size !== rec.size || st.mtimeMs !== rec.mtimeMs) return false;
  }
  return Object.keys(state.files).length > 0;
}

function checkOf(file: RemoteFile) {
  return file.sha256 ? ("sha256" as const) : file.gitOid ? ("git-sha1" as const) : ("size" as const);
}

function elapsed(t0: number): number {
  return (performance.now() - t0) / 1000;
}
