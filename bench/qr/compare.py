"""Prints the benchmark table (markdown) from the JSON results of scan_set and zxing_run.

    python3 bench/qr/compare.py SET_DIR RESULTS_DIR
"""
import csv
import json
import os
import sys


def main():
    folder, results = sys.argv[1], sys.argv[2]
    with open(os.path.join(folder, "manifest.csv")) as f:
        rows = list(csv.DictReader(f))
    runs = [json.load(open(os.path.join(results, n))) for n in ("ours.json", "zxing.json", "rqrr.json")]
    kinds = list(dict.fromkeys(r["kind"] for r in rows))
    head = ["damage", "images"] + [r["decoder"] for r in runs]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for kind in kinds:
        files = [r["file"] for r in rows if r["kind"] == kind]
        counts = [sum(run["results"].get(f, False) for f in files) for run in runs]
        print(f"| {kind} | {len(files)} | " + " | ".join(map(str, counts)) + " |")
    totals = [sum(run["results"].values()) for run in runs]
    print(f"| **total decoded** | {len(rows)} | " + " | ".join(f"**{t}**" for t in totals) + " |")
    print(f"| **total time (s)** | | " + " | ".join(f"**{run['seconds']:.2f}**" for run in runs) + " |")
    ours, zxing = runs[0], runs[1]
    ok_count = sum(ours["results"].values()) >= sum(zxing["results"].values())
    ok_time = ours["seconds"] <= zxing["seconds"]
    print(f"\ngoal: decoded at least zxing-cpp's: {'met' if ok_count else 'NOT met'}; "
          f"time at most zxing-cpp's: {'met' if ok_time else 'NOT met'}")


if __name__ == "__main__":
    main()
