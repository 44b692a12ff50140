/**
 * Walks the marker segments of a JPEG header (everything before the first scan), which is where the
 * frame size (SOFn) and the EXIF block (APP1) live. Shared by header.ts and exif-orientation.ts.
 */
import { ImageDecodeError } from "./errors";

/**
 * Calls `visit(marker, payloadStart, payloadLength)` for each segment with a length field, in file
 * order, until `visit` returns false or the scan data (SOS) / end of image is reached.
 * Throws `undecodable_image` if the segment chain runs past the end of the bytes.
 */
export function forEachJpegSegment(
  b: Uint8Array,
  visit: (marker: number, payloadStart: number, payloadLength: number) => boolean,
): void {
  let i = 2; // after SOI
  for (;;) {
    if (i >= b.length)
      throw new ImageDecodeError("undecodable_image", "jpeg: truncated before the scan data");
    if (b[i] !== 0xff) throw new ImageDecodeError("undecodable_image", "jpeg: expected a marker");
    // Any number of 0xFF fill bytes may precede a marker.
    while (i < b.length && b[i] === 0xff) i++;
    if (i >= b.length) throw new ImageDecodeError("undecodable_image", "jpeg: truncated marker");
    const marker = b[i]!;
    i++;
    if (marker === 0xd9 || marker === 0xda) return; // EOI, SOS: the header is over
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue; // TEM, RSTn, stray SOI: no length
    if (i + 2 > b.length) throw new ImageDecodeError("undecodable_image", "jpeg: truncated segment length");
    const length = (b[i]! << 8) | b[i + 1]!; // includes the two length bytes
    if (length < 2 || i + length > b.length) {
      throw new ImageDecodeError("undecodable_image", "jpeg: segment runs past the end of the data");
    }
    if (!visit(marker, i + 2, length - 2)) return;
    i += length;
  }
}
