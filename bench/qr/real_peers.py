"""Runs zxing-cpp (PyPI zxing-cpp) and zbar (Debian libzbar0 through PyPI pyzbar) on a set of real
photos with labelled corners, image loading included, one image after another on one core, and
writes one JSON file each for real_score.py: {"decoder", "seconds", "found": {file: [[cx, cy]]}}.

    python3 bench/qr/real_peers.py SET_DIR OUT_DIR
"""
import json
import os
import sys
import time
from importlib.metadata import version

import cv2
import zxingcpp


def centre(points):
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return [sum(xs) / len(xs), sum(ys) / len(ys)]


def zxing(path):
    img = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if img is None:
        return []
    out = []
    for b in zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode):
        p = b.position
        out.append(centre([(q.x, q.y) for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)]))
    return out


def zbar(path):
    from pyzbar import pyzbar
    from pyzbar.pyzbar import ZBarSymbol

    img = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    if img is None:
        return []
    return [centre([(p.x, p.y) for p in d.polygon]) for d in pyzbar.decode(img, symbols=[ZBarSymbol.QRCODE]) if d.polygon]


def main():
    folder, out = sys.argv[1], sys.argv[2]
    with open(os.path.join(folder, "manifest.json")) as f:
        files = [e["file"] for e in json.load(f)]
    decoders = [("zxing-cpp " + version("zxing-cpp"), "zxing", zxing)]
    try:
        import pyzbar  # noqa: F401

        decoders.append(("zbar (pyzbar " + version("pyzbar") + ")", "zbar", zbar))
    except ImportError:
        print("pyzbar missing: zbar skipped", file=sys.stderr)
    for name, short, run in decoders:
        found = {}
        start = time.process_time()
        for file in files:
            found[file] = run(os.path.join(folder, file))
        seconds = time.process_time() - start
        with open(os.path.join(out, short + ".json"), "w") as f:
            json.dump({"decoder": name, "seconds": seconds, "found": found}, f)
        print(f"{name}: {len(files)} images in {seconds:.1f} s")


if __name__ == "__main__":
    main()
