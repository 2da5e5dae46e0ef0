"""Times zxing-cpp (QR only, image loading included) on a set made by make_set.py and writes JSON:
{"decoder": ..., "seconds": total, "results": {file: decoded_ok}}.

    python3 bench/qr/zxing_run.py SET_DIR OUT.json
"""
import csv
import json
import os
import sys
import time

import cv2
import zxingcpp
from importlib.metadata import version


def main():
    folder, out = sys.argv[1], sys.argv[2]
    with open(os.path.join(folder, "manifest.csv")) as f:
        rows = list(csv.DictReader(f))
    results = {}
    start = time.perf_counter()
    for row in rows:
        img = cv2.imread(os.path.join(folder, row["file"]), cv2.IMREAD_GRAYSCALE)
        found = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)
        results[row["file"]] = any(b.text == row["text"] for b in found)
    seconds = time.perf_counter() - start
    with open(out, "w") as f:
        json.dump({"decoder": "zxing-cpp " + version("zxing-cpp"), "seconds": seconds, "results": results}, f)


if __name__ == "__main__":
    main()
