// Which files of the repo make a model folder: the configs, the tokenizer and the four fp32 graphs
// (with their external-data files when a graph is over protobuf's 2 GB limit). The repo also holds fp16,
// q4, q8, ... variants of each graph; those are not fetched (quant/ makes our own from fp32).
import type { ListFileEntry } from "@huggingface/hub";
import { HubNotFoundError } from "./errors";

export const DEFAULT_REPO = "onnx-community/Florence-2-base-ft";
export const DEFAULT_REVISION = "main";

/** Without these the runtime cannot load the model. */
export const REQUIRED_FILES = [
  "config.json",
  "generation_config.json",
  "preprocessor_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
] as const;

/** tokenizer.json already carries the added tokens; added_tokens.json is kept when present for tools that
 * read it, and its absence is reported, not fatal. */
export const OPTIONAL_FILES = ["added_tokens.json"] as const;

export const ONNX_GRAPHS = [
  "vision_encoder",
  "embed_tokens",
  "encoder_model",
  "decoder_model_merged",
] as const;

/** A file as the Hub lists it, with what we can verify it against. */
export interface RemoteFile {
  path: string;
  size: number;
  /** sha256 of the content (LFS files: the LFS oid). */
  sha256?: string;
  /** git blob sha1 (non-LFS files: the tree entry's oid). */
  gitOid?: string;
}

export interface FilePlan {
  files: RemoteFile[];
  missingOptional: string[];
}

/** `onnx/x.onnx_data`, `onnx/x.onnx_data_1`, ...: the external-data naming of onnx/optimum exports. */
function isExternalDataOf(path: string, graph: string): boolean {
  const prefix = `onnx/${graph}.onnx_data`;
  return path === prefix || (path.startsWith(`${prefix}_`) && /^\d+$/.test(path.slice(prefix.length + 1)));
}

export function isWanted(path: string): boolean {
  return (
    (REQUIRED_FILES as readonly string[]).includes(path) ||
    (OPTIONAL_FILES as readonly string[]).includes(path) ||
    ONNX_GRAPHS.some((g) => path === `onnx/${g}.onnx` || isExternalDataOf(path, g))
  );
}

export function toRemoteFile(entry: ListFileEntry): RemoteFile {
  // LFS pointers in git have their own oid; the content's sha256 is the LFS oid. Xet-backed files keep
  // their LFS pointer (and so `lfs`); should one come without it, its `oid` would be the pointer's, not the
  // content's, so only its size can be checked (the xet hash is a chunk Merkle hash, not a file digest).
  if (entry.lfs) return { path: entry.path, size: entry.lfs.size, sha256: entry.lfs.oid };
  if (entry.xetHash || !entry.oid) return { path: entry.path, size: entry.size };
  return { path: entry.path, size: entry.size, gitOid: entry.oid };
}

/** Picks the wanted files from a recursive listing; throws HubNotFoundError naming every missing required file. */
export function planFiles(listing: readonly RemoteFile[], repo: string, revision: string): FilePlan {
  const byPath = new Map(listing.map((f) => [f.path, f]));
  const required = [...REQUIRED_FILES, ...ONNX_GRAPHS.map((g) => `onnx/${g}.onnx`)];
  const missing = required.filter((p) => !byPath.has(p));
  if (missing.length > 0) {
    throw new HubNotFoundError(
      `${repo}@${revision} lacks required file${missing.length > 1 ? "s" : ""} ${missing.join(", ")} ` +
        `(is it a Florence-2 export in the onnx-community layout?)`,
      "file",
    );
  }
  return {
    files: listing.filter((f) => isWanted(f.path)).sort((a, b) => a.path.localeCompare(b.path)),
    missingOptional: OPTIONAL_FILES.filter((p) => !byPath.has(p)),
  };
}
