/**
 * Dev check (not part of `npm test`): our pixel path against PIL + transformers' arithmetic, on the shared
 * test images, the committed test fixtures and generated photo-sized images.
 *
 *   apt-get install -y python3-pil python3-numpy     # once; nothing is installed by this script
 *   npm run pixels:pil-compare [-- --keep DIR] [-- --only SUBSTRING]
 *
 * Python: $PYTHON, else /usr/bin/python3 (Debian's, which sees python3-pil), else python3.
 * Prints per image the mean and max absolute difference of the 768×768 uint8 RGB after resizing
 * (in 1/255 units, i.e. raw byte differences) and of the final normalised float32 tensor.
 * Exits 1 if any lossless input is not bit-identical (that would be a regression in our code);
 * lossy inputs are decoded by different libraries on the two sides and are only reported.
 */
import { photonWasmModule } from "@cf-wasm/photon/node";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { imageToPixelValues, imageToResizedRgb, installPhoton } from "../../runtime/pixels";
import { absDiff } from "../../test/pixels/abs-diff";

installPhoton(photonWasmModule);

const ROOT = resolve(import.meta.dirname, "../..");
const PY_SCRIPT = join(ROOT, "scripts/pil-compare/pil_ref.py");
const SHARED = process.env.SHARED_IMAGES ?? resolve(ROOT, "../shared/fixtures/images");
const PYTHON = process.env.PYTHON ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
const GOAL = { mean: 0.5, max: 2 };

const args = process.argv.slice(2);
const keep = args.includes("--keep") ? args[args.indexOf("--keep") + 1] : undefined;
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
const work = keep ?? join(tmpdir(), `florence-pil-compare-${process.pid}`);
const genDir = join(work, "generated");
mkdirSync(genDir, { recursive: true });

function py(...a: string[]): string {
  return execFileSync(PYTHON, [PY_SCRIPT, ...a], {
    encoding: "utf8",
    env: { ...process.env, SHARED_IMAGES: SHARED },
  });
}

const isLossy = (name: string): boolean => /\.jpe?g$/i.test(name) || /q\d+\.webp$|lossy.*\.webp$/i.test(name);
/** Lossless inputs that photon cannot decode exactly as PIL does, and why. */
const KNOWN_DIVERGENT: Record<string, string> = {
  "png_rgb16.png": "16-bit to 8-bit: PIL keeps the high byte, image-rs rounds",
};

if (!existsSync(join(genDir, "tiny_20x15.png"))) {
  process.stdout.write(`generating comparison images in ${genDir} ... `);
  py("gen", genDir);
  console.log("done");
}

const inputs: string[] = [];
const addDir = (dir: string): void => {
  if (!existsSync(dir)) return console.warn(`(skipping missing ${dir})`);
  for (const f of readdirSync(dir).sort())
    if (/\.(png|jpe?g|gif|webp|bmp)$/i.test(f)) inputs.push(join(dir, f));
};
addDir(SHARED);
addDir(join(ROOT, "test/fixtures/images"));
addDir(genDir);

console.log(
  `PIL: ${execFileSync(PYTHON, ["-c", "import PIL; print(PIL.__version__)"], { encoding: "utf8" }).trim()}`,
);
const header = ["image", "size", "rgb768 mean", "max", "tensor mean", "max", "ours ms", "verdict"];
console.log(header.join("\t"));

let regressions = 0;
for (const path of inputs) {
  const name = path.slice(path.lastIndexOf("/") + 1);
  if (only !== undefined && !path.includes(only)) continue;
  const prefix = join(work, name);
  const ref = JSON.parse(py("pipeline", path, prefix)) as { width: number; height: number };
  const refRgb = new Uint8Array(readFileSync(prefix + ".rgb"));
  const refF32 = new Float32Array(new Uint8Array(readFileSync(prefix + ".f32")).buffer);
  const bytes = new Uint8Array(readFileSync(path));
  const t0 = performance.now();
  const ours = await imageToPixelValues(bytes, { minSide: 1 });
  const ms = performance.now() - t0;
  const rgb = imageToResizedRgb(bytes, { minSide: 1 }).rgb;
  const r = absDiff(rgb, refRgb);
  const t = absDiff(ours.pixelValues, refF32);
  const sizeOk = ours.width === ref.width && ours.height === ref.height;
  const exact = r.max === 0 && t.max === 0 && sizeOk;
  let verdict = exact ? "exact" : r.mean <= GOAL.mean && r.max <= GOAL.max ? "within goal" : "OVER GOAL";
  if (!sizeOk) verdict += ` SIZE ${ours.width}x${ours.height} vs ${ref.width}x${ref.height}`;
  if (!exact && KNOWN_DIVERGENT[name] !== undefined) verdict += ` (known: ${KNOWN_DIVERGENT[name]})`;
  else if (!exact && !isLossy(name)) {
    verdict += " (lossless input: REGRESSION)";
    regressions++;
  }
  console.log(
    [
      name,
      `${ref.width}x${ref.height}`,
      r.mean.toFixed(4),
      r.max,
      t.mean.toExponential(2),
      t.max.toFixed(4),
      ms.toFixed(0),
      verdict,
    ].join("\t"),
  );
}
if (keep === undefined) rmSync(work, { recursive: true, force: true });
console.log(
  regressions === 0
    ? "lossless inputs: all bit-identical to PIL (apart from the known divergences listed)"
    : `${regressions} lossless input(s) differ from PIL`,
);
process.exit(regressions === 0 ? 0 : 1);
