// /proc/<pid>/stat parsing against proc(5)'s field layout, and descendant CPU time against a child process that
// burns a known amount of CPU.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { descendantsCpuMs, parseStat, processCpuMs } from "../../bench/e2e/cpu-time";

describe("parseStat", () => {
  it("reads ppid, utime and stime after a name with spaces and parentheses", () => {
    // Fields: pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime ...
    const line =
      "4242 (Web Content (x) y) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 9 0 12345 0 0";
    expect(parseStat(line)).toEqual({ pid: 4242, ppid: 17, ticks: 280 });
  });
});

describe("CPU time", () => {
  it("process CPU grows with work, as Node's own process.cpuUsage() counts it", () => {
    // Spin for 200 ms of CPU (not wall time: the machine may be loaded), measured by Node independently.
    const cpu = () => {
      const c = process.cpuUsage();
      return (c.user + c.system) / 1000;
    };
    const t0 = processCpuMs();
    const c0 = cpu();
    let x = 0;
    while (cpu() - c0 < 200) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    const used = processCpuMs() - t0;
    // /proc counts in clock ticks (10 ms) and includes other threads of this process.
    expect(used).toBeGreaterThan(150);
    expect(used).toBeLessThan(2000);
  });
  it("descendants' CPU counts a child that spins for 400 ms of CPU", async () => {
    const before = descendantsCpuMs();
    const child = spawn(
      process.execPath,
      [
        "-e",
        "const u=()=>{const c=process.cpuUsage();return (c.user+c.system)/1000};while(u()<400){} setTimeout(()=>{},5000)",
      ],
      { stdio: "ignore" },
    );
    await new Promise((r) => setTimeout(r, 100));
    let used = 0;
    for (let i = 0; i < 100 && used < 350; i++) {
      await new Promise((r) => setTimeout(r, 100));
      used = descendantsCpuMs() - before;
    }
    child.kill();
    expect(used).toBeGreaterThanOrEqual(350);
    expect(used).toBeLessThan(2000);
  }, 20_000);
});
