/**
 * Timing of the pixel path's stages on a photo-sized input (dev script, not part of `npm test`).
 *
 *   npm run pixels:bench [-- path/to/photo.jpg]
 *
 * Without an argument it times the resize alone on a synthetic 4000×3000 RGBA buffer (orientation 1
 * and 6), which needs no Python; with a file it also times photon's decode and reports photon's WASM
 * memory. Reports the median of 5 runs, wall clock and process CPU time (the machine may be shared).
 */
import { photonWasmModule } from "@cf-wasm/photon/node";
import { readFileSync } from "node:fs";
import {
  decodeImage,
  installPhoton,
  interleavedView,
  normalizeToChw,
  orientView,
  photonMemoryBytes,
  resizeBicubicView,
} from "../../runtime/pixels";

installPhoton(photonWasmModule);

function time(label: string, f: () => void, runs = 5): void {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  const med = (a: number[]): number => a.sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  console.log(
    `${label.padEnd(44)} wall ${med(wall).toFixed(0).padStart(5)} ms   cpu ${med(cpu).toFixed(0).padStart(5)} ms`,
  );
}

const W = 4000;
const H = 3000;
const rgba = new Uint8Array(W * H * 4);
for (let i = 0; i < rgba.length; i++) rgba[i] = (i * 2654435761) >>> 24;
const view = interleavedView(rgba, W, H, 4);
time(`resize ${W}x${H} RGBA -> 768x768`, () => resizeBicubicView(view, 768, 768));
time(`resize ${W}x${H} RGBA, EXIF 6 -> 768x768`, () => resizeBicubicView(orientView(view, 6), 768, 768));
const small = interleavedView(rgba.subarray(0, 640 * 480 * 4), 640, 480, 4);
time("resize 640x480 RGBA -> 768x768", () => resizeBicubicView(small, 768, 768));
const rgb768 = resizeBicubicView(view, 768, 768);
time("normalise 768x768 -> CHW float32", () => normalizeToChw(rgb768, 768, 768));

const file = process.argv[2];
if (file !== undefined) {
  const bytes = new Uint8Array(readFileSync(file));
  let d = decodeImage(bytes);
  console.log(`${file}: ${d.width}x${d.height} ${d.format}, ${(bytes.length / 1e6).toFixed(1)} MB`);
  time("photon decode", () => {
    d = decodeImage(bytes);
  });
  time("resize decoded -> 768x768", () =>
    resizeBicubicView(orientView(interleavedView(d.rgba, d.width, d.height, 4), d.orientation), 768, 768),
  );
  console.log(`photon WASM memory after decoding: ${((await photonMemoryBytes()) / 2 ** 20).toFixed(0)} MiB`);
}
