/**
 * The one error type the pixel path throws for bad input. The API layer maps `code` to a problem+json
 * response (415 for unsupported_media_type, 422 for the others, or whatever it chooses); `code` is
 * stable, `message` is for humans and may change.
 */
export type ImageDecodeErrorCode =
  /** Not one of the formats we decode (sniffed from magic bytes, never from Content-Type). */
  | "unsupported_media_type"
  /** Recognised format, but the bytes are truncated or corrupt. */
  | "undecodable_image"
  /** Width or height outside the allowed range, or more pixels than the configured cap. */
  | "image_dimensions_out_of_range";

export class ImageDecodeError extends Error {
  override readonly name = "ImageDecodeError";
  readonly code: ImageDecodeErrorCode;

  constructor(code: ImageDecodeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isImageDecodeError(e: unknown): e is ImageDecodeError {
  return e instanceof ImageDecodeError;
}
