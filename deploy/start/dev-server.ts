// Runs every Worker of the staged deployment locally: one `wrangler dev` with a -c per Worker (the API first, so
// it gets the port; the stages are reached through its bindings only), local state in --persist-to, no
// account and no telemetry. Ready when the API answers /healthz.
import { spawn, type ChildProcess } from "node:child_process";
import { wranglerBin, wranglerEnv } from "../wrangler-runner";

export interface DevServer {
  url: string;
  child: ChildProcess;
  /** Resolves with the exit code when wrangler exits. */
  exited: Promise<number>;
  stop(): void;
}

export interface DevServerOptions {
  /** API config first, then the stages. */
  configs: string[];
  persistDir: string;
  port: number;
  host: string;
  cwd: string;
  /** Give up waiting for /healthz after this long. */
  timeoutMs: number;
  log?: (line: string) => void;
}

/**
 * Lines not echoed: the binding table of every Worker (≈ 6 lines × 28 Workers; the generated configs say the
 * same) and wrangler's "Request.cf unavailable" complaint when offline (a cause and a stack, every start).
 */
const NOISE = [
  /has access to the following bindings:$/,
  /^Binding\s+Resource\s+Mode/,
  /^env\.\S+ /,
  /^Service bindings, Durable Object bindings, and Tail consumers connect/,
  /^─+$/,
  /Unable to fetch the `Request\.cf` object/,
  /getaddrinfo ENOTFOUND workers\.cloudflare\.com/,
  /^at .*(node:dns|node:internal)/,
];

export async function startDevServer(o: DevServerOptions): Promise<DevServer> {
  const log = o.log ?? ((l: string) => console.log(l));
  const args = [wranglerBin(), "dev", ...o.configs.flatMap((c) => ["-c", c])];
  args.push(
    "--persist-to",
    o.persistDir,
    "--port",
    String(o.port),
    "--ip",
    o.host,
    "--show-interactive-dev-session=false",
  );
  // Its own process group: bin/wrangler.js runs the CLI in a child process and does not pass SIGTERM on, so
  // stopping means signalling the whole group (and a Ctrl-C in the terminal reaches us, not wrangler, first).
  const child = spawn(process.execPath, args, {
    cwd: o.cwd,
    env: wranglerEnv(),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const stop = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
  };
  process.once("exit", stop);
  const tail: string[] = [];
  const echo = (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n")) {
      const text = line.trim();
      if (!text || NOISE.some((n) => n.test(text))) continue;
      tail.push(line);
      if (tail.length > 30) tail.shift();
      log(`  [wrangler] ${line}`);
    }
  };
  child.stdout!.on("data", echo);
  child.stderr!.on("data", echo);
  const exited = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? 1)));
  let done = false;
  void exited.then(() => (done = true));

  const url = `http://${o.host === "0.0.0.0" ? "127.0.0.1" : o.host}:${o.port}`;
  const deadline = Date.now() + o.timeoutMs;
  // wrangler's proxy listens early and holds requests until workerd is ready: one long request, not a
  // stream of short ones (each abandoned one is logged by workerd as a broken pipe).
  while (!done) {
    const left = deadline - Date.now();
    if (left <= 0) {
      stop();
      throw new Error(`the API did not answer ${url}/healthz within ${o.timeoutMs / 1000} s`);
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(Math.min(left, 120_000)) });
      await res.body?.cancel();
      if (res.ok) return { url, child, exited, stop };
    } catch {
      // Not listening yet, or still starting.
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(
    `wrangler dev exited with code ${await exited} before the API answered:\n${tail.join("\n")}`,
  );
}
