// The same Hono app as the Worker, in Node: onnxruntime-web with WASM threads (the package's Node build),
// photon's Node entry, a folder cache instead of KV, and image_url hosts checked after DNS resolution.
import { photonWasmModule } from "@cf-wasm/photon/node";
import { serve, type ServerType } from "@hono/node-server";
import { join } from "node:path";
import { readModelFolder } from "../runtime/model-folder";
import { installPhoton } from "../runtime/pixels";
import { createNodeEngine } from "../runtime-node/load-florence2";
import { fileLoader } from "../runtime-node/load-file";
import { REPO_ROOT } from "../synthetic-model/generate";
import { createApp, type AppType } from "../worker/app";
import { configFromVars, type ConfigVars } from "../worker/config";
import { ModelProvider } from "../worker/model-provider";
import { FsStore } from "./fs-store";
import { publicHostCheck } from "./host-check";

export interface NodeAppOptions {
  modelDir: string;
  /** WASM threads for onnxruntime-web (default 2). */
  threads?: number;
  /** Same variables as the Worker's (default process.env). */
  vars?: ConfigVars;
  /** Cache folder (default models/cache; entries go under features/ and results/). */
  cacheDir?: string;
}

export interface NodeApp {
  app: AppType;
  model: ModelProvider;
}

export function createNodeApp(opts: NodeAppOptions): NodeApp {
  installPhoton(photonWasmModule);
  const config = configFromVars(opts.vars ?? process.env);
  const model = new ModelProvider({
    loadFolder: () => readModelFolder(fileLoader(opts.modelDir), opts.modelDir),
    loadEngine: () =>
      createNodeEngine({ modelDir: opts.modelDir, backend: "ort-web", threads: opts.threads ?? 2 }),
  });
  const store = new FsStore(opts.cacheDir ?? join(REPO_ROOT, "models", "cache"));
  const app = createApp({
    config,
    model,
    featureLevels: [store],
    resultLevels: [store],
    checkHost: publicHostCheck(config.allowPrivateUrls),
  });
  return { app, model };
}

export interface RunningServer extends NodeApp {
  url: string;
  server: ServerType;
  close(): Promise<void>;
}

export async function startServer(
  opts: NodeAppOptions & { port?: number; hostname?: string },
): Promise<RunningServer> {
  const nodeApp = createNodeApp(opts);
  const hostname = opts.hostname ?? "127.0.0.1";
  return new Promise((resolvePromise, reject) => {
    const server = serve({ fetch: nodeApp.app.fetch, port: opts.port ?? 8787, hostname }, (info) => {
      resolvePromise({
        ...nodeApp,
        server,
        url: `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Idle keep-alive sockets would hold close() open.
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
    server.once("error", reject);
  });
}
