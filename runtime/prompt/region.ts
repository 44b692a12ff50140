import type { ImageSize } from "./image-size";
import { LOC_BINS, quantizeCoordinate } from "./loc-bins";
import { PromptError } from "./prompt-error";

/** A region in pixels of the original image: [x1, y1, x2, y2]. */
export type PixelBox = readonly [number, number, number, number];

/** What a region task accepts: `<loc_x1><loc_y1><loc_x2><loc_y2>` or a pixel box. */
export type RegionInput = string | PixelBox;

// Canonical spellings only: `<loc_007>` or `<loc_1000>` are not tokens in the vocabulary and would be
// tokenized as plain text, silently changing the prompt.
const BIN = "(0|[1-9][0-9]{0,2})";
const LOC_REGION = new RegExp(`^<loc_${BIN}><loc_${BIN}><loc_${BIN}><loc_${BIN}>$`);

function invalid(message: string): never {
  throw new PromptError("invalid_region", message);
}

/**
 * Pixel box → the four bins, exactly as the reference's BoxQuantizer('floor').quantize does it (float32,
 * floor, clamp to 0..999). No validation: coordinates outside the image clamp to the edge bins.
 */
export function quantizeBox(box: PixelBox, imageSize: ImageSize): [number, number, number, number] {
  const [x1, y1, x2, y2] = box;
  return [
    quantizeCoordinate(x1, imageSize.width),
    quantizeCoordinate(y1, imageSize.height),
    quantizeCoordinate(x2, imageSize.width),
    quantizeCoordinate(y2, imageSize.height),
  ];
}

export function formatRegion(bins: readonly number[]): string {
  return bins.map((b) => `<loc_${b}>`).join("");
}

function checkCorners(x1: number, y1: number, x2: number, y2: number): void {
  if (x1 > x2 || y1 > y2)
    invalid(`Region corners are reversed: [${x1}, ${y1}, ${x2}, ${y2}] needs x1≤x2 and y1≤y2.`);
}

/**
 * Validates a region input and returns its `<loc_…>` text. The reference validates nothing (it pastes the
 * text into the prompt and its quantizer clamps); we refuse what would make the model answer a question
 * that was not asked: malformed tokens, bins outside 0..999, reversed corners, non-finite pixels.
 */
export function regionToLocText(region: RegionInput, imageSize?: ImageSize): string {
  if (typeof region === "string") {
    const m = LOC_REGION.exec(region);
    if (m === null)
      invalid(`A region is four tokens <loc_x1><loc_y1><loc_x2><loc_y2> with values 0..${LOC_BINS - 1}.`);
    const [x1, y1, x2, y2] = m.slice(1, 5).map(Number) as [number, number, number, number];
    checkCorners(x1, y1, x2, y2);
    return region;
  }
  if (
    !Array.isArray(region) ||
    region.length !== 4 ||
    !region.every((v) => typeof v === "number" && Number.isFinite(v))
  ) {
    invalid("A pixel region is [x1, y1, x2, y2] with four finite numbers.");
  }
  if (imageSize === undefined || !(imageSize.width > 0 && imageSize.height > 0)) {
    invalid("A pixel region needs the original image's width and height (both > 0).");
  }
  if (!Number.isFinite(imageSize.width) || !Number.isFinite(imageSize.height))
    invalid("Image size must be finite.");
  const [x1, y1, x2, y2] = region;
  checkCorners(x1, y1, x2, y2);
  return formatRegion(quantizeBox(region, imageSize));
}
