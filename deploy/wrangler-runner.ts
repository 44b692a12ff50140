// Runs the wrangler CLI of this repository (node_modules/wrangler, the pinned 4.86) as a child process. Deploy
// logic takes a WranglerRunner, so tests hand it a fake that records the calls instead.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface WranglerResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type WranglerRunner = (args: string[]) => Promise<WranglerResult>;

export function wranglerBin(): string {
  return join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");
}

/** Environment for every wrangler call: no telemetry prompt or upload (also keeps CI runs quiet). */
export function wranglerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, WRANGLER_SEND_METRICS: "false" };
}

/** A runner that spawns wrangler; `echo` gets its output lines as they come (default: discarded). */
export function spawnWrangler(opts: { cwd: string; echo?: (line: string) => void }): WranglerRunner {
  return (args) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [wranglerBin(), ...args], {
        cwd: opts.cwd,
        env: wranglerEnv(),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      const echo = (chunk: Buffer) => {
        if (!opts.echo) return;
        for (const line of chunk.toString().split("\n")) if (line.trim()) opts.echo(line);
      };
      child.stdout.on("data", (c: Buffer) => {
        stdout += c.toString();
        echo(c);
      });
      child.stderr.on("data", (c: Buffer) => {
        stderr += c.toString();
        echo(c);
      });
      child.on("error", reject);
      child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
}
