// The demo page in a real browser: Debian's chromium driven by playwright-core against the Node server with
// the tiny model. Upload a picture, run <OD>, and check the overlay canvas got the boxes the API returned;
// the screenshot is saved as test-artifacts/demo-od.png. Skipped (with a message) where chromium is absent:
// `apt-get install -y chromium` provides /usr/bin/chromium.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type RunningServer } from "../../server-node/server";
import { REPO_ROOT } from "../../synthetic-model/generate";
import { tinyModelDir } from "../helpers/tiny-model";
import { picturePng } from "../worker/images";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`SKIPPED test/browser: ${CHROMIUM} not found (install it with: apt-get install -y chromium)`);

const ARTIFACTS = join(REPO_ROOT, "test-artifacts");

describe.skipIf(!hasChromium)("demo page in chromium", () => {
  let server: RunningServer;
  let browser: Browser;
  const work = mkdtempSync(join(tmpdir(), "demo-page-"));

  beforeAll(async () => {
    server = await startServer({
      modelDir: tinyModelDir(),
      port: 0,
      threads: 2,
      cacheDir: join(work, "cache"),
      vars: {},
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("uploads a picture, runs <OD> and draws the returned boxes over it", async () => {
    // A 640×480 picture on which the tiny model's greedy <OD> names boxes within 64 tokens.
    const imagePath = join(work, "picture.png");
    writeFileSync(imagePath, picturePng(640, 480, 1));
    const page = await browser.newPage({ viewport: { width: 1200, height: 1100 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(String(e)));

    await page.goto(`${server.url}/`);
    await page.waitForSelector('#task option[value="<OD>"]', { state: "attached" });
    await page.setInputFiles("#file", imagePath);
    await page.waitForFunction(() => (document.getElementById("image") as HTMLCanvasElement).width === 640);
    await page.selectOption("#task", "<OD>");
    await page.selectOption("#num_beams", "1");
    await page.fill("#max_new_tokens", "64");
    await page.click("#run");
    await page.waitForFunction(() => document.getElementById("raw")!.textContent !== "", undefined, {
      timeout: 120_000,
    });

    const raw = JSON.parse((await page.textContent("#raw"))!) as {
      task: string;
      result: { "<OD>": { bboxes: number[][]; labels: string[] } };
    };
    expect(raw.task).toBe("<OD>");
    const boxes = raw.result["<OD>"].bboxes;
    expect(boxes.length).toBeGreaterThan(0);
    expect(await page.getAttribute("#overlay", "data-shapes")).toBe(String(boxes.length));

    // The overlay has stroked pixels at the first box's left edge and none far from every box.
    const probe = await page.evaluate(([x1, y1, , y2]) => {
      const ctx = (document.getElementById("overlay") as HTMLCanvasElement).getContext("2d")!;
      const all = ctx.getImageData(0, 0, 640, 480).data;
      let painted = 0;
      for (let i = 3; i < all.length; i += 4) if (all[i]! > 0) painted++;
      const edge = ctx.getImageData(Math.round(x1!), Math.round((y1! + y2!) / 2), 1, 1).data[3]!;
      return { painted, edge };
    }, boxes[0]!);
    expect(probe.painted).toBeGreaterThan(100);
    expect(probe.edge).toBeGreaterThan(0);
    expect(await page.textContent("#status")).toMatch(
      /^<OD> in \d+ ms · features miss · result miss · synthetic model/,
    );
    expect(errors).toEqual([]);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "demo-od.png"), fullPage: true });
    await page.close();
  });
});
