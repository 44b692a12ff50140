#!/usr/bin/env python3
"""Generate the small test images (test/fixtures/images/) and PIL's golden outputs for them
(test/pixels/golden/), once, so that `npm test` can check PIL-equality without Python.

Run from the repository root:  /usr/bin/python3 scripts/pil-compare/make_fixtures.py
Needs: apt-get install -y python3-pil python3-numpy. Deterministic: re-running rewrites the same files
(for a given Pillow/libjpeg/libwebp), so a diff after re-running means the reference changed.
"""
import hashlib
import io
import json
import os
import shutil
import struct
import sys
import zlib

import numpy as np
from PIL import Image, ImageOps, features
import PIL

sys.path.insert(0, os.path.dirname(__file__))
from pil_ref import normalise, synth  # noqa: E402

IMAGES = "test/fixtures/images"
GOLDEN = "test/pixels/golden"
SHARED = os.environ.get("SHARED_IMAGES", "/work/shared/fixtures/images")
SIZE = 768


def base(w, h):
    """Asymmetric test picture: x/y gradients, a checker, a white top-left marker, a dark disc."""
    y, x = np.mgrid[0:h, 0:w]
    a = np.zeros((h, w, 3), dtype=np.uint8)
    a[..., 0] = x * 255 // (w - 1)
    a[..., 1] = y * 255 // (h - 1)
    a[..., 2] = np.where(((x // 4) + (y // 4)) % 2 == 0, 220, 30)
    a[: h // 5, : w // 5] = 255
    disc = (x - w * 0.65) ** 2 + (y - h * 0.6) ** 2 < (min(w, h) * 0.22) ** 2
    a[disc] = (40, 10, 90)
    return a


def alpha(w, h):
    y, x = np.mgrid[0:h, 0:w]
    return ((x + y) * 255 // (w + h - 2)).astype(np.uint8)  # 0 (fully transparent) at the top-left


def exif_bytes(orientation):
    ex = Image.Exif()
    ex[0x0112] = orientation
    return ex.tobytes()


def gif_with_offset_frame(gif, screen_w, screen_h, left, top):
    """Enlarge a single-frame GIF's logical screen and move its frame to (left, top)."""
    b = bytearray(gif)
    b[6:10] = struct.pack("<HH", screen_w, screen_h)
    i = 13 + (3 << ((b[10] & 7) + 1) if b[10] & 0x80 else 0)
    while b[i] == 0x21:  # skip extensions
        i += 2
        while b[i]:
            i += b[i] + 1
        i += 1
    assert b[i] == 0x2C
    b[i + 1 : i + 5] = struct.pack("<HH", left, top)
    return bytes(b)


def png16_rgb(a):
    """Minimal 16-bit RGB PNG writer (PIL cannot save 16-bit RGB)."""
    h, w, _ = a.shape
    raw = b"".join(b"\x00" + a[r].astype(">u2").tobytes() for r in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def make_images():
    os.makedirs(IMAGES, exist_ok=True)
    w, h = 40, 30
    rgb = Image.fromarray(base(w, h), "RGB")
    rgba = rgb.copy()
    rgba.putalpha(Image.fromarray(alpha(w, h), "L"))
    grey = rgb.convert("L")
    la = grey.copy()
    la.putalpha(Image.fromarray(alpha(w, h), "L"))
    pal = rgb.convert("P", palette=Image.ADAPTIVE, colors=16)
    pal_t = pal.copy()
    pal_t.info["transparency"] = 3
    out = {}

    def save(name, im, **kw):
        path = os.path.join(IMAGES, name)
        im.save(path, **kw)
        out[name] = kw

    save("png_rgb.png", rgb)
    save("png_rgba.png", rgba)
    save("png_l.png", grey)
    save("png_la.png", la)
    save("png_p.png", pal)
    save("png_p_trns.png", pal_t, transparency=3)
    save("png_1bit.png", grey.convert("1"))
    save("jpeg_420.jpg", rgb, quality=90)
    save("jpeg_444.jpg", rgb, quality=90, subsampling=0)
    save("jpeg_gray.jpg", grey, quality=90)
    save("jpeg_progressive.jpg", rgb, quality=90, progressive=True)
    save("webp_lossless.webp", rgb, lossless=True)
    save("webp_lossless_rgba.webp", rgba, lossless=True)
    save("webp_lossy.webp", rgb, quality=90)
    save("webp_lossy_alpha.webp", rgba, quality=90)
    save("bmp_24.bmp", rgb)
    save("bmp_8.bmp", pal)
    save("bmp_32.bmp", rgba)
    # Animated GIF: the first frame must win; the second is the negative so a wrong frame shows.
    frame0 = rgb.convert("P", palette=Image.ADAPTIVE, colors=32)
    frame1 = ImageOps.invert(rgb).convert("P", palette=Image.ADAPTIVE, colors=32)
    frame0.save(os.path.join(IMAGES, "gif_anim.gif"), save_all=True, append_images=[frame1], duration=100, loop=0)
    out["gif_anim.gif"] = {}
    # GIF first-frame corner cases: transparency in frame 0; a first frame smaller than the screen, whose
    # surroundings PIL paints with the transparency index (or index 0 without one).
    gif_p = rgb.convert("P", palette=Image.ADAPTIVE, colors=16)
    save("gif_trns.gif", gif_p, transparency=2)
    for name, kw in (("gif_small_frame.gif", {"transparency": 2}), ("gif_small_frame_opaque.gif", {})):
        buf = io.BytesIO()
        gif_p.save(buf, format="GIF", **kw)
        open(os.path.join(IMAGES, name), "wb").write(gif_with_offset_frame(buf.getvalue(), 56, 44, 9, 7))
        out[name] = kw
    # CMYK JPEG (PIL writes Adobe-inverted CMYK) and a 16-bit RGB PNG (PIL keeps the high byte).
    save("jpeg_cmyk.jpg", rgb.convert("CMYK"), quality=95)
    with open(os.path.join(IMAGES, "png_rgb16.png"), "wb") as f:
        y, x = np.mgrid[0:h, 0:w]
        f.write(png16_rgb(base(w, h).astype(np.uint16) * 257 + ((x * 37 + y * 11) % 257)[..., None].astype(np.uint16)))
    out["png_rgb16.png"] = {}
    # EXIF orientation 1..8 on a non-square picture: PNG (eXIf, exact) and JPEG (APP1), one WebP.
    ow, oh = 48, 32
    orient_src = Image.fromarray(base(ow, oh), "RGB")
    for o in range(1, 9):
        save(f"orient_{o}.png", orient_src, exif=exif_bytes(o))
        save(f"orient_{o}.jpg", orient_src, quality=95, exif=exif_bytes(o))
    save("orient_6.webp", orient_src, lossless=True, exif=exif_bytes(6))
    # Shared test images small enough to keep a copy (both are below the 16-pixel default minimum).
    for name in ("palette_color.png", "no_time_for_that_tiny.gif"):
        shutil.copyfile(os.path.join(SHARED, name), os.path.join(IMAGES, name))
        out[name] = {}
    return sorted(out)


LOSSY = (".jpg", ".webp")
# Lossless files that photon nevertheless decodes slightly differently from PIL (16-bit → 8-bit: PIL
# keeps the high byte, the image crate rounds).
NEAR = ("png_rgb16.png",)


def sha(a):
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def golden_for(name):
    path = os.path.join(IMAGES, name)
    src = Image.open(path)
    entry = {"mode": src.mode, "n_frames": getattr(src, "n_frames", 1)}
    for exif in (True, False):
        im = Image.open(path)
        if exif:
            im = ImageOps.exif_transpose(im)
        im = im.convert("RGB")
        dec = np.asarray(im)
        res = np.asarray(im.resize((SIZE, SIZE), resample=Image.BICUBIC, reducing_gap=None))
        key = "" if exif else "NoExif"
        entry["width" + key] = im.size[0]
        entry["height" + key] = im.size[1]
        entry["decodedSha256" + key] = sha(dec)
        entry["resizedSha256" + key] = sha(res)
        entry["resizedSum" + key] = [int(res[..., c].sum()) for c in range(3)]
        if exif:
            entry["pixelValuesSha256"] = sha(normalise(res))
            lossy = name in NEAR or (name.endswith(LOSSY) and not name.startswith("webp_lossless") and name != "orient_6.webp")
            entry["lossy"] = lossy
            if lossy:
                # Decoders differ on lossy formats; keep PIL's decoded pixels to measure the difference.
                dec.tofile(os.path.join(GOLDEN, name + ".rgb"))
    return entry


SYNTH_CASES = [
    (5, 7, 768, 768),  # extreme upscale
    (300, 200, 768, 768),  # upscale, non-square
    (2000, 1500, 768, 768),  # downscale: antialiasing support
    (1000, 20, 768, 768),  # down in x, up in y
    (768, 500, 768, 768),  # vertical pass only
    (500, 768, 768, 768),  # horizontal pass only
    (768, 768, 768, 768),  # no pass: copy
    (769, 767, 768, 768),  # near-identity
    (37, 53, 11, 97),  # odd sizes both ways
    (16, 16, 768, 768),
]


def main():
    os.makedirs(GOLDEN, exist_ok=True)
    names = make_images()
    golden = {
        "generator": "scripts/pil-compare/make_fixtures.py",
        "pillow": PIL.__version__,
        "libjpeg": features.version("jpg"),
        "libwebp": features.version("webp"),
        "images": {n: golden_for(n) for n in names},
        "synthResize": [],
    }
    for w, h, ow, oh in SYNTH_CASES:
        res = np.asarray(synth(w, h).resize((ow, oh), resample=Image.BICUBIC, reducing_gap=None))
        golden["synthResize"].append({"w": w, "h": h, "outW": ow, "outH": oh, "sha256": sha(res)})
    # Every possible byte through transformers' rescale + normalize, per channel.
    ramp = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)  # 1 x 256 x 3
    golden["normalizeLut"] = [[float(v) for v in normalise(ramp)[c, 0]] for c in range(3)]
    with open(os.path.join(GOLDEN, "pil-golden.json"), "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    print(f"{len(names)} images, {len(SYNTH_CASES)} resize cases -> {IMAGES}, {GOLDEN}")


if __name__ == "__main__":
    main()
