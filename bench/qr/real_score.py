"""Scores decoders on a set of real photos with labelled corners, as the BoofCV set's README says:
a labelled code counts as read when a decoded code's corner centroid lies inside its quad, or
within 0.3 x sqrt(quad area) of its centre. Prints codes read per folder and in all, and seconds.

    python3 bench/qr/real_score.py SET_DIR RESULT.json...
"""
import json
import math
import os
import sys
from collections import defaultdict


def inside(p, quad):
    sign = 0
    for i in range(4):
        (x1, y1), (x2, y2) = quad[i], quad[(i + 1) % 4]
        cross = (x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1)
        if cross != 0:
            if sign == 0:
                sign = 1 if cross > 0 else -1
            elif (cross > 0) != (sign > 0):
                return False
    return True


def area(quad):
    return abs(sum(quad[i][0] * quad[(i + 1) % 4][1] - quad[(i + 1) % 4][0] * quad[i][1] for i in range(4))) / 2


def read(quad, found):
    cx = sum(p[0] for p in quad) / 4
    cy = sum(p[1] for p in quad) / 4
    near = 0.3 * math.sqrt(area(quad))
    return any(inside(p, quad) or math.hypot(p[0] - cx, p[1] - cy) <= near for p in found)


def main():
    folder, results = sys.argv[1], sys.argv[2:]
    with open(os.path.join(folder, "manifest.json")) as f:
        manifest = json.load(f)
    labelled = defaultdict(int)
    for e in manifest:
        labelled[e["file"].split("/")[0]] += len(e["quads"])
    runs = []
    for path in results:
        with open(path) as f:
            r = json.load(f)
        counts = defaultdict(int)
        for e in manifest:
            found = r["found"].get(e["file"], [])
            counts[e["file"].split("/")[0]] += sum(read(q, found) for q in e["quads"])
        runs.append((r["decoder"], r["seconds"], counts))
    names = [n for n, _, _ in runs]
    print("| folder | labelled | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for folder_name in sorted(labelled):
        print(f"| {folder_name} | {labelled[folder_name]} | " + " | ".join(str(c[folder_name]) for _, _, c in runs) + " |")
    total = sum(labelled.values())
    print(f"| **all** | {total} | " + " | ".join(f"**{sum(c.values())}**" for _, _, c in runs) + " |")
    print("| seconds | | " + " | ".join(f"{s:.1f}" for _, s, _ in runs) + " |")


if __name__ == "__main__":
    main()
