// Each preparation step of `npm start` prints what it does and how long it took, and is recorded for the
// summary at the end (and .wrangler/deploy/local/start-timings.json).

export type StepStatus = "ran" | "skipped" | "failed";

export interface StepTiming {
  step: string;
  status: StepStatus;
  seconds: number;
  note?: string;
}

export interface StepOutcome<T> {
  value: T;
  /** The output already existed (keyed by its inputs), nothing was done. */
  skipped?: boolean;
  note?: string;
}

export class StepClock {
  readonly timings: StepTiming[] = [];

  constructor(private readonly log: (line: string) => void = (l) => console.log(l)) {}

  async run<T>(step: string, work: () => Promise<StepOutcome<T>> | StepOutcome<T>): Promise<T> {
    this.log(`▶ ${step}`);
    const t0 = performance.now();
    try {
      const out = await work();
      const seconds = (performance.now() - t0) / 1000;
      this.timings.push({ step, status: out.skipped ? "skipped" : "ran", seconds, note: out.note });
      this.log(
        `${out.skipped ? "↷" : "✓"} ${step}: ${out.skipped ? "up to date, skipped" : "done"} in ${seconds.toFixed(1)} s${out.note ? ` (${out.note})` : ""}`,
      );
      return out.value;
    } catch (e) {
      const seconds = (performance.now() - t0) / 1000;
      this.timings.push({
        step,
        status: "failed",
        seconds,
        note: e instanceof Error ? e.message : String(e),
      });
      this.log(`✗ ${step}: failed after ${seconds.toFixed(1)} s`);
      throw e;
    }
  }

  /** Records a step timed elsewhere (e.g. a fetch attempt that ended in the fallback). */
  record(t: StepTiming): void {
    this.timings.push(t);
  }

  summary(): string {
    const w = Math.max(...this.timings.map((t) => t.step.length), 4);
    return this.timings
      .map(
        (t) =>
          `  ${t.step.padEnd(w)}  ${t.status.padEnd(7)}  ${t.seconds.toFixed(1).padStart(7)} s${t.note ? `  ${t.note}` : ""}`,
      )
      .join("\n");
  }
}
