// What GET / on a stage Worker reports (tests and operators read it; see index.ts).
import type { StageLoadInfo } from "./stage-host";

export interface StageStatus {
  stageId: string | undefined;
  loaded: boolean;
  /** Load attempts in this isolate (failed ones included). */
  attempts: number;
  info?: StageLoadInfo;
  error?: string;
}
