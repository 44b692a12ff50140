// Checks of an /v1/analyze answer against the response contract and the reference processor's output
// shapes (REFERENCE.md §3), independent of the server's own schemas.
import { expect } from "vitest";
import { TASKS, type TaskToken } from "../../runtime/prompt/tasks";

/** The paths the OpenAPI document lists, sorted: the in-process app and the Worker in workerd serve the same. */
export const API_PATHS = ["/healthz", "/v1/alt-text", "/v1/analyze", "/v1/stats", "/v1/tasks"];
export interface AnalyzeBody {
  task: string;
  result: Record<string, unknown>;
  image: { width: number; height: number; sha256: string };
  model: { id: string; version: string; quantization: string; synthetic: boolean };
  cache: { features: string; result: string };
  timings: Record<string, number>;
}

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** Every x within [0, width] and y within [0, height] (coordinates alternate x, y). */
function expectPointsInside(points: unknown, width: number, height: number, what: string): void {
  expect(Array.isArray(points), what).toBe(true);
  const p = points as unknown[];
  expect(p.length % 2, `${what} has an odd number of coordinates`).toBe(0);
  p.forEach((v, i) => {
    expect(isNum(v), `${what}[${i}] is a number`).toBe(true);
    expect(v as number).toBeGreaterThanOrEqual(0);
    expect(v as number).toBeLessThanOrEqual(i % 2 === 0 ? width : height);
  });
}

const expectLabels = (labels: unknown, n: number, what: string) => {
  expect(Array.isArray(labels) && labels.every((l) => typeof l === "string"), `${what} are strings`).toBe(
    true,
  );
  expect((labels as unknown[]).length, `${what} count`).toBe(n);
};

function expectBoxes(bboxes: unknown, labels: unknown, w: number, h: number): void {
  expect(Array.isArray(bboxes)).toBe(true);
  for (const box of bboxes as unknown[]) {
    expect((box as unknown[]).length).toBe(4);
    expectPointsInside(box, w, h, "bbox");
  }
  expectLabels(labels, (bboxes as unknown[]).length, "bbox labels");
}

function expectPolygons(polygons: unknown, labels: unknown, w: number, h: number): void {
  expect(Array.isArray(polygons)).toBe(true);
  for (const parts of polygons as unknown[]) {
    expect(Array.isArray(parts)).toBe(true);
    for (const poly of parts as unknown[]) expectPointsInside(poly, w, h, "polygon");
  }
  expectLabels(labels, (polygons as unknown[]).length, "polygon labels");
}

/** The response shape of the issue, the answer keyed by the task token, and its parser's output shape. */
export function expectAnalyzeShape(body: AnalyzeBody, task: TaskToken): void {
  expect(Object.keys(body).sort()).toEqual(["cache", "image", "model", "result", "task", "timings"]);
  expect(body.task).toBe(task);
  expect(Object.keys(body.result)).toEqual([task]);
  expect(body.image.sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(body.model).toMatchObject({
    id: expect.any(String),
    version: expect.any(String),
    quantization: expect.any(String),
    synthetic: true,
  });
  expect(["hit", "miss", "skipped"]).toContain(body.cache.features);
  expect(["hit", "miss"]).toContain(body.cache.result);
  expect(isNum(body.timings.total)).toBe(true);
  const { width: w, height: h } = body.image;
  const answer = body.result[task] as Record<string, unknown>;
  switch (TASKS[task].parser) {
    case "pure_text":
      expect(typeof answer).toBe("string");
      expect(answer as unknown as string).not.toMatch(/<\/?s>|<pad>/);
      break;
    case "ocr":
      expect(Object.keys(answer).sort()).toEqual(["labels", "quad_boxes"]);
      for (const quad of answer.quad_boxes as unknown[]) {
        expect((quad as unknown[]).length).toBe(8);
        expectPointsInside(quad, w, h, "quad");
      }
      expectLabels(answer.labels, (answer.quad_boxes as unknown[]).length, "quad labels");
      break;
    case "description_with_bboxes":
    case "bboxes":
    case "phrase_grounding":
      expect(Object.keys(answer).sort()).toEqual(["bboxes", "labels"]);
      expectBoxes(answer.bboxes, answer.labels, w, h);
      break;
    case "polygons":
      expect(Object.keys(answer).sort()).toEqual(["labels", "polygons"]);
      expectPolygons(answer.polygons, answer.labels, w, h);
      break;
    case "description_with_bboxes_or_polygons":
      expect(Object.keys(answer).sort()).toEqual(["bboxes", "bboxes_labels", "polygons", "polygons_labels"]);
      expectBoxes(answer.bboxes, answer.bboxes_labels, w, h);
      expectPolygons(answer.polygons, answer.polygons_labels, w, h);
      break;
  }
}

/** Parses a Server-Timing header into name → duration. */
export function serverTiming(header: string | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of (header ?? "").split(",")) {
    const [name, ...params] = part.trim().split(";");
    const dur = params.map((p) => /^dur=([\d.]+)$/.exec(p.trim())).find(Boolean);
    if (name && dur) out[name] = Number(dur[1]);
  }
  return out;
}
