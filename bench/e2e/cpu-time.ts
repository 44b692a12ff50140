// CPU time, the measure that survives a shared machine better than wall time: other processes delay a request
// (wall time grows) but do not make it execute more instructions. In Node, process.cpuUsage() covers every
// thread of the process (onnxruntime's and the WASM worker threads). For the browser peer the work happens in
// Chromium's processes (renderer with its Web Worker threads, GPU and utility processes): their utime + stime
// from /proc, summed over every descendant of this process. Spin-waiting thread pools count as CPU time too,
// so under contention CPU time also grows somewhat; it stays far steadier than wall time.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** CPU milliseconds used so far by this process (all threads). */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** pid, ppid and utime + stime (ticks) from the text of /proc/<pid>/stat (the name may hold spaces and parens). */
export function parseStat(text: string): { pid: number; ppid: number; ticks: number } {
  const close = text.lastIndexOf(")");
  const pid = Number(text.slice(0, text.indexOf(" ")));
  const rest = text.slice(close + 2).split(" ");
  // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return { pid, ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) };
}

/** CPU milliseconds used so far by all live descendants of `root` (not `root` itself); Linux only. */
export function descendantsCpuMs(root = process.pid): number {
  const procs: { pid: number; ppid: number; ticks: number }[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      procs.push(parseStat(readFileSync(`/proc/${d}/stat`, "utf8")));
    } catch {
      // exited meanwhile
    }
  }
  const children = new Map<number, number[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const ticks = new Map(procs.map((p) => [p.pid, p.ticks]));
  let total = 0;
  const stack = [...(children.get(root) ?? [])];
  while (stack.length) {
    const pid = stack.pop()!;
    total += ticks.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return (total * 1000) / clockTicks();
}
