// model-fetch: a Florence-2 ONNX folder from the Hugging Face Hub (or HF_ENDPOINT), resumable and verified.
export {
  fetchModel,
  defaultModelDir,
  hubUrlFromEnv,
  offlineFromEnv,
  PUBLIC_HUB_URL,
  type FetchModelOptions,
  type FetchModelResult,
} from "./fetch-model";
export {
  HubUnreachableError,
  HubAuthError,
  HubNotFoundError,
  IntegrityError,
  type NotFoundKind,
} from "./errors";
export {
  DEFAULT_REPO,
  DEFAULT_REVISION,
  REQUIRED_FILES,
  OPTIONAL_FILES,
  ONNX_GRAPHS,
  planFiles,
  isWanted,
  type RemoteFile,
  type FilePlan,
} from "./files";
export { createProgressLog, formatBytes, formatDuration, type ProgressLogOptions } from "./progress-log";
export { STATE_FILE, readState, type FetchState } from "./fetch-state";
export type { FetchEvent, FetchEventHandler } from "./events";
