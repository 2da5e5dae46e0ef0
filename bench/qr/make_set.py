"""Writes the damaged-image QR benchmark set: 24 texts of 150 to 260 QR-alphanumeric characters,
each rendered once per kind of damage, and manifest.csv (file, kind, text).

    python3 bench/qr/make_set.py OUT_DIR

Deterministic: the same seed gives the same set.
"""
import csv
import os
import random
import sys

import cv2
import numpy as np
import segno

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ$*+-."
KINDS = ["clean", "small", "rotation", "perspective", "blur", "noise", "low_contrast",
         "jpeg", "inverted", "poster", "uneven_light", "phone"]


def texts(rng, n=24):
    out = []
    for i in range(n):
        length = 150 + (110 * i) // (n - 1)
        prefix = "HTTPS://VC.SH.GOV.CN/1/"
        out.append(prefix + "".join(rng.choice(ALPHABET) for _ in range(length - len(prefix))))
    return out


def render(text, scale):
    qr = segno.make_qr(text, error="m")
    rows = list(qr.matrix_iter(scale=scale, border=4))
    return np.where(np.array(rows, dtype=bool), 0, 255).astype(np.uint8)


def place(code, w, h, rng, bg=255):
    canvas = np.full((h, w), bg, np.uint8)
    ch, cw = code.shape
    x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
    canvas[y:y + ch, x:x + cw] = code
    return canvas


def clutter(w, h, rng):
    img = np.full((h, w), 235, np.uint8)
    for _ in range(60):
        x, y = rng.randint(0, w), rng.randint(0, h)
        cv2.rectangle(img, (x, y), (x + rng.randint(20, 400), y + rng.randint(20, 300)),
                      rng.randint(30, 220), -1 if rng.random() < 0.5 else rng.randint(1, 6))
    for _ in range(80):
        cv2.putText(img, "".join(rng.choice("ABCDEFGH 0123456789") for _ in range(rng.randint(4, 18))),
                    (rng.randint(0, w), rng.randint(0, h)), cv2.FONT_HERSHEY_SIMPLEX,
                    rng.uniform(0.8, 3.0), rng.randint(0, 120), rng.randint(1, 5))
    return img


def rotate(img, angle, bg=255):
    h, w = img.shape
    side = int((w * w + h * h) ** 0.5) + 4
    big = np.full((side, side), bg, np.uint8)
    big[(side - h) // 2:(side - h) // 2 + h, (side - w) // 2:(side - w) // 2 + w] = img
    m = cv2.getRotationMatrix2D((side / 2, side / 2), angle, 1.0)
    return cv2.warpAffine(big, m, (side, side), borderValue=bg, flags=cv2.INTER_LINEAR)


def perspective(img, rng, amount=0.18, bg=255):
    h, w = img.shape
    pad = int(max(w, h) * 0.25)
    big = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=bg)
    H, W = big.shape
    src = np.float32([[pad, pad], [pad + w, pad], [pad + w, pad + h], [pad, pad + h]])
    d = amount * w
    dst = src + np.float32([[rng.uniform(-d, d), rng.uniform(-d, d)] for _ in range(4)])
    m = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(big, m, (W, H), borderValue=bg, flags=cv2.INTER_LINEAR)


def noise(img, rng, sigma):
    n = np.random.default_rng(rng.randint(0, 2**31)).normal(0, sigma, img.shape)
    return np.clip(img.astype(np.float32) + n, 0, 255).astype(np.uint8)


def jpeg(img, quality):
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)


def uneven(img, rng):
    h, w = img.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx / w + np.sin(angle) * yy / h)
    ramp = (ramp - ramp.min()) / (ramp.max() - ramp.min() + 1e-6)
    light = 0.22 + 0.78 * ramp
    cx, cy = rng.uniform(0, w), rng.uniform(0, h)
    shadow = 1 - 0.35 * np.exp(-(((xx - cx) / (0.3 * w)) ** 2 + ((yy - cy) / (0.3 * h)) ** 2))
    return np.clip(img.astype(np.float32) * light * shadow, 0, 255).astype(np.uint8)


def damage(kind, text, rng):
    if kind == "clean":
        return place(render(text, 6), 640, 640, rng), "png"
    if kind == "small":
        return place(render(text, 2), 320, 320, rng), "png"
    if kind == "rotation":
        return rotate(render(text, 5), rng.uniform(10, 80)), "png"
    if kind == "perspective":
        return perspective(render(text, 5), rng), "png"
    if kind == "blur":
        return cv2.GaussianBlur(render(text, 5), (0, 0), rng.uniform(1.6, 2.0)), "png"
    if kind == "noise":
        return noise(render(text, 5), rng, 45), "png"
    if kind == "low_contrast":
        code = render(text, 5)
        lo = rng.randint(100, 120)
        return np.where(code == 0, lo, lo + 35).astype(np.uint8), "png"
    if kind == "jpeg":
        return jpeg(render(text, 4), rng.randint(8, 12)), "jpg"
    if kind == "inverted":
        return 255 - render(text, 5), "png"
    if kind == "poster":
        img = clutter(2400, 3200, rng)
        code = render(text, 6)
        h, w = code.shape
        x, y = rng.randint(0, 2400 - w), rng.randint(0, 3200 - h)
        img[y:y + h, x:x + w] = code
        return jpeg(img, 85), "jpg"
    if kind == "uneven_light":
        return uneven(place(render(text, 5), 800, 800, rng), rng), "png"
    if kind == "phone":
        img = clutter(1280, 960, rng)
        code = perspective(render(text, 5), rng, 0.12, bg=235)
        h, w = code.shape
        scale = min(1.0, 900 / max(h, w))
        code = cv2.resize(code, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)
        h, w = code.shape
        x, y = rng.randint(0, 1280 - w), rng.randint(0, 960 - h)
        img[y:y + h, x:x + w] = code
        img = cv2.GaussianBlur(img, (0, 0), 1.0)
        img = uneven(noise(img, rng, 10), rng)
        return jpeg(img, 40), "jpg"
    raise ValueError(kind)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20221)
    rows = []
    for i, text in enumerate(texts(rng)):
        for kind in KINDS:
            img, ext = damage(kind, text, rng)
            name = f"{kind}-{i:02}.{ext}"
            if ext == "png":
                cv2.imwrite(os.path.join(out, name), img)
            else:
                cv2.imwrite(os.path.join(out, name), img, [cv2.IMWRITE_JPEG_QUALITY, 95])
            rows.append((name, kind, text))
    with open(os.path.join(out, "manifest.csv"), "w", newline="") as f:
        csv.writer(f).writerows([("file", "kind", "text")] + rows)
    print(f"{len(rows)} images in {out}")


if __name__ == "__main__":
    main()
