// Which objects to send: those whose key has no ledger record with the same sha256 (or all, with force).
// Order is kept (manifest.json last).
import { recorded, type Ledger } from "./ledger";
import type { ModelObject } from "./model-objects";

export interface UploadPlan {
  upload: ModelObject[];
  unchanged: ModelObject[];
  uploadBytes: number;
}

export function planUploads(
  objects: ModelObject[],
  ledger: Ledger,
  store: string,
  force = false,
): UploadPlan {
  const upload: ModelObject[] = [];
  const unchanged: ModelObject[] = [];
  for (const o of objects) {
    const r = recorded(ledger, store, o.key);
    if (!force && r?.sha256 === o.sha256 && r.bytes === o.bytes) unchanged.push(o);
    else upload.push(o);
  }
  return { upload, unchanged, uploadBytes: upload.reduce((s, o) => s + o.bytes, 0) };
}
