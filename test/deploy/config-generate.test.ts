// The config generator on the tiny split: one Worker per manifest stage plus the API Worker, names as the
// contract (helper-notes S2-CONTRACT) spells them, bindings that match the manifest's stages, and files that
// wrangler 4.86's own config reader accepts with the same bindings.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { unstable_readConfig } from "wrangler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBaseConfig, BASE_CONFIG_PATH, type BaseConfig } from "../../deploy/config/base-config";
import { generateConfigs, type GeneratedWorker } from "../../deploy/config/generate";
import { writeConfigs } from "../../deploy/config/render";
import { contentPrefix } from "../../deploy/model-objects";
import { makeTinySplit, type TinySplit } from "./tiny-split";

let split: TinySplit;
let base: BaseConfig;
let out: string;
let workers: GeneratedWorker[];

/** The contract's spelling, written out here rather than imported: "vision-3" → STAGE_VISION_3. */
const upper = (id: string) => id.toUpperCase().replaceAll("-", "_");
/** Roles called per generated token (the contract's "decoder-side": embed, decoder-k, lm_head). */
const PER_TOKEN = new Set(["embed", "decoder", "lm_head"]);

beforeAll(() => {
  split = makeTinySplit();
  base = readBaseConfig();
  out = mkdtempSync(join(tmpdir(), "deploy-configs-"));
  workers = generateConfigs(split.manifest, {
    deployment: "fe-test",
    store: { kind: "r2", bucket: "florence-edge-models" },
    prefix: contentPrefix(split.manifest),
    base,
    configDir: out,
  });
});
afterAll(() => {
  split?.cleanup();
  if (out) rmSync(out, { recursive: true, force: true });
});

describe("generateConfigs on the tiny split", () => {
  it("makes one stage Worker per manifest stage, in manifest order, then the API Worker", () => {
    const stageIds = split.manifest.stages.map((s) => s.id);
    expect(stageIds.length).toBeGreaterThanOrEqual(4);
    expect(workers.filter((w) => w.kind === "stage").map((w) => w.stageId)).toEqual(stageIds);
    expect(workers.at(-1)?.kind).toBe("api");
    expect(workers.at(-1)?.config.name).toBe("fe-test-api");
  });

  it("names every Worker validly: prefixed, lowercase letters/digits/dashes, ≤ 63 characters, unique", () => {
    const names = workers.map((w) => w.config.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) {
      expect(n.startsWith("fe-test-")).toBe(true);
      expect(n).toMatch(/^[a-z0-9][a-z0-9-]*[a-z0-9]$/);
      expect(n.length).toBeLessThanOrEqual(63);
    }
    // Stage ids with an underscore (lm_head-0) get a dash in the Worker name.
    expect(names).toContain("fe-test-stage-lm-head-0");
    expect(names).toContain("fe-test-stage-vision-0");
  });

  it("binds the sequence stages to the API by service binding, the per-token stages by Durable Object binding", () => {
    const api = workers.at(-1)!.config;
    const nameOf = new Map(workers.map((w) => [w.stageId, w.config.name]));
    const sequence = split.manifest.stages.filter((s) => !PER_TOKEN.has(s.role));
    expect(sequence.length).toBeGreaterThan(0);
    expect(api.services).toEqual(
      sequence.map((s) => ({ binding: `STAGE_${upper(s.id)}`, service: nameOf.get(s.id) })),
    );
    const perToken = split.manifest.stages.filter((s) => PER_TOKEN.has(s.role));
    expect(perToken.length).toBeGreaterThan(0);
    expect(api.durable_objects?.bindings).toEqual(
      perToken.map((s) => ({
        name: `STAGE_OBJ_${upper(s.id)}`,
        class_name: "StageObject",
        script_name: nameOf.get(s.id),
      })),
    );
    // The class is declared (migration) exactly in the scripts that are bound as Durable Objects.
    for (const w of workers.filter((x) => x.kind === "stage")) {
      const role = split.manifest.stages.find((s) => s.id === w.stageId)!.role;
      expect(w.config.migrations ?? []).toEqual(
        PER_TOKEN.has(role) ? [{ tag: "v1", new_sqlite_classes: ["StageObject"] }] : [],
      );
    }
  });

  it("gives stages their id, the model store and prefix; the API staged mode, the same prefix and wrangler.toml's vars", () => {
    const prefix = contentPrefix(split.manifest);
    for (const w of workers.filter((x) => x.kind === "stage")) {
      expect(w.config.vars).toEqual({ STAGE_ID: w.stageId, MODEL_PREFIX: prefix, MODEL_STORE: "r2" });
      expect(w.config.r2_buckets).toEqual([{ binding: "MODEL", bucket_name: "florence-edge-models" }]);
      expect(w.config.workers_dev).toBe(false);
    }
    const api = workers.at(-1)!.config;
    expect(api.vars).toMatchObject({ MODEL_LAYOUT: "staged", MODEL_PREFIX: prefix, CORS_ORIGINS: "*" });
    expect(api.r2_buckets).toEqual([{ binding: "MODEL", bucket_name: "florence-edge-models" }]);
    expect(api.kv_namespaces).toEqual([{ binding: "FEATURES", id: "florence-edge-features-local" }]);
  });

  it("takes the compatibility date and CPU limit from wrangler.toml", () => {
    const toml = readFileSync(BASE_CONFIG_PATH, "utf8");
    const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
    const cpu = Number(/^cpu_ms\s*=\s*(\d+)/m.exec(toml)?.[1]);
    expect(date).toBeDefined();
    for (const w of workers) {
      expect(w.config.compatibility_date).toBe(date);
      expect(w.config.limits.cpu_ms).toBe(cpu);
    }
  });

  it("writes JSONC files wrangler reads back with the same names, bindings and entry points", () => {
    const paths = writeConfigs(out, workers, ["test"]);
    expect(paths.stages).toHaveLength(split.manifest.stages.length);
    const text = readFileSync(paths.api, "utf8");
    expect(text).toContain("nodejs_compat becomes the default");
    // wrangler's published types leave these loosely typed: name what is read.
    const api = unstable_readConfig({ config: paths.api }) as unknown as {
      name: string;
      services?: { binding: string }[];
      durable_objects: { bindings: { script_name?: string }[] };
    };
    expect(api.name).toBe("fe-test-api");
    expect(api.services?.map((s) => s.binding)).toEqual(
      workers.at(-1)!.config.services!.map((s) => s.binding),
    );
    expect(api.durable_objects.bindings.map((b) => b.script_name)).toEqual(
      workers.at(-1)!.config.durable_objects!.bindings.map((b) => b.script_name),
    );
    expect(resolve(dirname(paths.api), workers.at(-1)!.config.main)).toBe(resolve("worker/index.ts"));
    const stage = unstable_readConfig({ config: paths.stages[0]! }) as unknown as {
      vars: Record<string, unknown>;
    };
    expect(stage.vars.STAGE_ID).toBe(split.manifest.stages[0]!.id);
    expect(existsSync(resolve(dirname(paths.stages[0]!), workers[0]!.config.main))).toBe(true);
    expect(resolve(dirname(paths.stages[0]!), workers[0]!.config.main)).toBe(
      resolve("stage-worker/index.ts"),
    );
  });

  it("binds the stages to a KV namespace instead of R2 with --store kv (the API keeps R2 for its files)", () => {
    const kv = generateConfigs(split.manifest, {
      deployment: "fe-test",
      store: { kind: "kv", namespaceId: "0123abcd", bucket: "bkt" },
      prefix: "p/",
      base,
      configDir: out,
      featuresKvId: "feat",
    });
    expect(kv[0]!.config.r2_buckets).toBeUndefined();
    expect(kv[0]!.config.kv_namespaces).toEqual([{ binding: "MODEL_KV", id: "0123abcd" }]);
    expect(kv[0]!.config.vars.MODEL_STORE).toBe("kv");
    expect(kv.at(-1)!.config.kv_namespaces).toEqual([{ binding: "FEATURES", id: "feat" }]);
    expect(kv.at(-1)!.config.r2_buckets).toEqual([{ binding: "MODEL", bucket_name: "bkt" }]);
  });

  it("refuses deployment names that would make invalid Worker names", () => {
    const o = { store: { kind: "r2", bucket: "b" } as const, prefix: "p/", base, configDir: out };
    expect(() => generateConfigs(split.manifest, { ...o, deployment: "Florence_Edge" })).toThrow(/lowercase/);
    expect(() => generateConfigs(split.manifest, { ...o, deployment: "-x" })).toThrow(/lowercase/);
    expect(() => generateConfigs(split.manifest, { ...o, deployment: "x".repeat(50) })).toThrow(/63/);
    expect(() => generateConfigs(split.manifest, { ...o, deployment: "ok", prefix: "no-slash" })).toThrow(
      /end in/,
    );
  });
});
