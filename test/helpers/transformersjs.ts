// transformers.js (the peer implementation) on a model folder on disk: local files only, never the Hub.
import { basename, dirname } from "node:path";
import {
  AutoProcessor,
  env,
  Florence2ForConditionalGeneration,
  type Florence2Processor,
} from "@huggingface/transformers";

export const LOCAL_ONLY = { local_files_only: true } as const;

/** Points transformers.js at the folder's parent with remote models off; returns the model id (the folder's name). */
export function useLocalFolder(dir: string): string {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${dirname(dir)}/`;
  return basename(dir);
}

/** The model in fp32 on onnxruntime-node (device 'cpu'), from a folder made known by useLocalFolder. */
export async function peerModel(id: string): Promise<Florence2ForConditionalGeneration> {
  return (await Florence2ForConditionalGeneration.from_pretrained(id, {
    ...LOCAL_ONLY,
    dtype: "fp32",
    device: "cpu",
  })) as Florence2ForConditionalGeneration;
}

export async function peerProcessor(id: string): Promise<Florence2Processor> {
  return (await AutoProcessor.from_pretrained(id, LOCAL_ONLY)) as Florence2Processor;
}
