#!/usr/bin/env python3
"""PIL reference for florence-edge's pixel path (runtime/pixels).

Needs Debian's Pillow and NumPy:  apt-get install -y python3-pil python3-numpy
(use /usr/bin/python3: a pyenv python does not see Debian's packages).

Subcommands (all output goes to files or stdout; nothing is installed or downloaded):
  pipeline IN OUT_PREFIX [--no-exif]
      What the reference Florence-2 processor does to an image file: PIL open, EXIF transpose
      (ImageOps.exif_transpose, like transformers' load_image; skipped with --no-exif), convert("RGB"),
      resize((768, 768), BICUBIC, reducing_gap=None), rescale 1/255, normalise with the CLIP/ImageNet
      mean/std, CHW float32. Writes OUT_PREFIX.rgb (768*768*3 uint8, HWC) and OUT_PREFIX.f32
      (3*768*768 float32 little-endian, CHW), and prints the oriented size as JSON.
  decoded IN OUT [--no-exif]
      The RGB image before resizing (after transpose and convert) as raw uint8 HWC; prints its size.
  synth W H OUT_W OUT_H OUT
      Resize the deterministic synthetic image (same formula as test/pixels/synth.ts) with PIL.
  gen DIR
      Write the extra comparison images (large photo-like JPEG/PNG/WebP, tiny upscale, non-square,
      EXIF orientation 6) into DIR, built from the shared test images in $SHARED_IMAGES.
"""
import json
import os
import sys

import numpy as np
from PIL import Image, ImageOps

SIZE = 768
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def hash32(n):
    """Integer hash on uint32 (vectorised over a uint64 array so the products do not overflow)."""
    n = n.astype(np.uint64) & 0xFFFFFFFF
    n = (((n >> 16) ^ n) * 0x45D9F3B) & 0xFFFFFFFF
    n = (((n >> 16) ^ n) * 0x45D9F3B) & 0xFFFFFFFF
    return (n >> 16) ^ n


def synth(w, h):
    """Checkered gradient in R, vertical gradient in G, hashed noise in B (sharp edges exercise clamping)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.int64)
    gx = (x * 255) // max(w - 1, 1)
    a = np.zeros((h, w, 3), dtype=np.uint8)
    a[..., 0] = np.where(((x >> 3) + (y >> 3)) & 1, gx, 255 - gx)
    a[..., 1] = (y * 255) // max(h - 1, 1)
    a[..., 2] = hash32(y * w + x) & 255
    return Image.fromarray(a, "RGB")


def photo_like(w, h, shared):
    """A photo-sized image: the ihc micrograph tiled and resized, plus mild noise (deterministic)."""
    src = Image.open(os.path.join(shared, "ihc.png")).convert("RGB")
    big = src.resize((w, h), resample=Image.BICUBIC)
    rng = np.random.default_rng(1234)
    a = np.asarray(big).astype(np.int16) + rng.integers(-6, 7, size=(h, w, 3), dtype=np.int16)
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "RGB")


def gen(out):
    shared = os.environ.get("SHARED_IMAGES", "/work/shared/fixtures/images")
    os.makedirs(out, exist_ok=True)
    photo = photo_like(4000, 3000, shared)
    photo.save(os.path.join(out, "photo_4000x3000_q90.jpg"), quality=90)
    photo.save(os.path.join(out, "photo_4000x3000_q95_444.jpg"), quality=95, subsampling=0)
    photo.resize((3000, 2000), resample=Image.BICUBIC).save(os.path.join(out, "photo_3000x2000.png"))
    photo.resize((1600, 1200), resample=Image.BICUBIC).save(os.path.join(out, "photo_1600x1200_q90.webp"), quality=90)
    photo.resize((1600, 1200), resample=Image.BICUBIC).save(os.path.join(out, "photo_1600x1200_lossless.webp"), lossless=True)
    photo.resize((1200, 300), resample=Image.BICUBIC).save(os.path.join(out, "wide_1200x300.png"))
    photo.resize((20, 15), resample=Image.BICUBIC).save(os.path.join(out, "tiny_20x15.png"))
    ex = Image.Exif()
    ex[0x0112] = 6
    photo.resize((1200, 900), resample=Image.BICUBIC).save(os.path.join(out, "exif6_1200x900.jpg"), quality=90, exif=ex.tobytes())
    Image.open(os.path.join(shared, "page.png")).convert("L").save(os.path.join(out, "page_gray_q90.jpg"), quality=90)
    Image.open(os.path.join(shared, "coins.png")).save(os.path.join(out, "coins.gif"))
    Image.open(os.path.join(shared, "logo.png")).save(os.path.join(out, "logo_rgba.bmp"))


def load_rgb(path, exif=True):
    im = Image.open(path)
    if exif:
        im = ImageOps.exif_transpose(im)
    if im.mode != "RGB":
        im = im.convert("RGB")
    return im


def normalise(rgb):
    """transformers' rescale (float64 multiply, cast to float32) then normalize (float32 arithmetic)."""
    x = (rgb.astype(np.float64) * (1 / 255)).astype(np.float32)
    x = (x - np.array(MEAN, dtype=np.float32)) / np.array(STD, dtype=np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1)).astype("<f4")


def main(argv):
    cmd = argv[1]
    if cmd == "pipeline":
        src, prefix = argv[2], argv[3]
        im = load_rgb(src, exif="--no-exif" not in argv)
        size = im.size
        out = np.asarray(im.resize((SIZE, SIZE), resample=Image.BICUBIC, reducing_gap=None))
        out.tofile(prefix + ".rgb")
        normalise(out).tofile(prefix + ".f32")
        print(json.dumps({"width": size[0], "height": size[1]}))
    elif cmd == "decoded":
        im = load_rgb(argv[2], exif="--no-exif" not in argv)
        np.asarray(im).tofile(argv[3])
        print(json.dumps({"width": im.size[0], "height": im.size[1]}))
    elif cmd == "gen":
        gen(argv[2])
    elif cmd == "synth":
        w, h, ow, oh = map(int, argv[2:6])
        np.asarray(synth(w, h).resize((ow, oh), resample=Image.BICUBIC, reducing_gap=None)).tofile(argv[6])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
