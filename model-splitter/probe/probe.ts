// Runs a probe scenario in a fresh Node process (its own onnxruntime-web instance and WASM memory, which
// never shrinks) and returns what it measured.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ProbeResult, Scenario } from "./child";
import type { StageScenario } from "./stage-scenario";

const CHILD = fileURLToPath(new URL("./child.ts", import.meta.url));

export function runProbe(scenario: Scenario, opts: { timeoutMs?: number } = {}): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--expose-gc", "--import", "tsx", CHILD, JSON.stringify(scenario)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    const timer = opts.timeoutMs ? setTimeout(() => p.kill("SIGKILL"), opts.timeoutMs) : undefined;
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("close", (code) => {
      if (timer) clearTimeout(timer);
      const line = out.split("\n").find((l) => l.startsWith("PROBE_RESULT "));
      const why = err
        .split("\n")
        .filter((l) => /Error|error:/.test(l))
        .map((l) => l.slice(0, 400));
      if (code !== 0 || !line)
        return reject(
          new Error(
            `probe failed (exit ${code}): ${why.slice(0, 3).join("\n") || err.trim().split("\n").slice(-5).join("\n")}`,
          ),
        );
      resolve(JSON.parse(line.slice("PROBE_RESULT ".length)) as ProbeResult);
    });
  });
}

/** Measures one stage: its inputs are prepared in one fresh process, the stage runs alone in another. */
export async function probeStage(sc: StageScenario, opts: { timeoutMs?: number } = {}): Promise<ProbeResult> {
  const dir = mkdtempSync(join(tmpdir(), "split-probe-"));
  try {
    const inputs = join(dir, "inputs.bin");
    await runProbe({ kind: "prepare", stage: sc, out: inputs }, opts);
    return await runProbe({ ...sc, inputs }, opts);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
