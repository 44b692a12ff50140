/** Width and height of the ORIGINAL image in pixels (before the 768×768 resize). */
export interface ImageSize {
  readonly width: number;
  readonly height: number;
}
