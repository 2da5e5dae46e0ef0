"""Flattens the core's test vectors (core/tests/vectors/*.json) into files the JVM test reads
without a JSON library: vectors.tsv (one case a line) and the trust lists and signed lists.

    python3 flatten_vectors.py VECTORS_DIR OUT_DIR
"""
import json
import sys
from datetime import datetime
from pathlib import Path


def ms(rfc3339):
    return str(int(datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp() * 1000))


def fields(kind, decoded):
    if kind == "venue":
        out = {k: decoded[k] for k in ["id", "name", "door", "division", "address", "key_id", "prefix"]}
        out["venue_type"] = decoded["type"]
        out["issued_at_ms"] = ms(decoded["issued_at"])
        out["valid_until_ms"] = ms(decoded["valid_until"]) if decoded.get("valid_until") else ""
    else:
        out = {k: str(decoded[k]) for k in ["name", "id_number", "profile", "generation"]}
        out["issued_at_ms"] = ms(decoded["issued_at"])
        out["valid_until_ms"] = ms(decoded["valid_until"])
        out["colour"] = decoded["status"]["colour"] if decoded.get("status") else ""
    # Unit separators between pairs: names and addresses may hold any printable character.
    return "\x1f".join(f"{k}={v}" for k, v in sorted(out.items()))


def main(src, out):
    src, out = Path(src), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for kind in ["venue", "personal"]:
        v = json.loads((src / f"{kind}.json").read_text(encoding="utf-8"))
        (out / f"{kind}_trust.json").write_text(json.dumps(v["trust_list"]), encoding="utf-8")
        for c in v["cases"]:
            decoded = fields(kind, c["decoded"]) if c["expect"] == "valid" else ""
            rev = "1" if c.get("with_revocations") else "0"
            rows.append("\t".join([kind, c["name"], c["text"], ms(c["at"]), c["expect"], rev, decoded]))
        if kind == "personal":
            (out / "revocations.hex").write_text(v["revocations"])
            (out / "status_list.hex").write_text(v["status_list"])
    (out / "vectors.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:])
