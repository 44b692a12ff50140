// The florence-edge command line.
import { Command } from "commander";
import { registerRun } from "./run";

const program = new Command("florence-edge").description("Florence-2 at the edge: tools and a local runner");
registerRun(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  const e = err as { code?: string; message?: string };
  process.stderr.write(`florence-edge: ${e.code ? `${e.code}: ` : ""}${e.message ?? String(err)}\n`);
  process.exitCode = 1;
});
