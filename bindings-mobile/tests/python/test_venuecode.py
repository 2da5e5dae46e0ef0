"""The Python bindings against the built library, through pytest: the core's vectors give the
same results and error codes as in Rust, and a full gate flow (verify the venue code, verify the
personal code, decide, mask) works. Run by scripts/mobile against the `venuecode` wheel (maturin)
installed into a fresh venv, with the data folder in VENUECODE_MOBILE_DATA."""
import json
import os
from datetime import datetime
from pathlib import Path

import pytest

import venuecode as vc

ROOT = Path(__file__).resolve().parents[3]
DATA = Path(os.environ["VENUECODE_MOBILE_DATA"])


def test_the_package_is_the_installed_wheel():
    # Not a module lying next to the tests: the one pip installed, with its library inside.
    package = Path(vc.__file__).parent
    assert "site-packages" in package.parts
    assert (package / "libvenuecode_mobile.so").is_file()


def vectors(kind):
    return json.loads((ROOT / "core/tests/vectors" / f"{kind}.json").read_text(encoding="utf-8"))


def ms(rfc3339):
    return int(datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp() * 1000)


def error_code(call):
    with pytest.raises(vc.VenuecodeError) as e:
        call()
    return e.value.code()


def test_venue_vectors():
    v = vectors("venue")
    trust = json.dumps(v["trust_list"])
    for c in v["cases"]:
        verify = lambda: vc.verify_venue_code(c["text"], trust, ms(c["at"]))  # noqa: E731
        if c["expect"] == "valid":
            got, want = verify(), c["decoded"]
            assert (got.id, got.name, got.door, got.venue_type) == (want["id"], want["name"], want["door"], want["type"])
            assert (got.division, got.address, got.key_id, got.prefix) == (
                want["division"], want["address"], want["key_id"], want["prefix"])
            assert got.issued_at_ms == ms(want["issued_at"])
            assert got.valid_until_ms == (ms(want["valid_until"]) if want.get("valid_until") else None)
        else:
            assert error_code(verify) == c["expect"], c["name"]


def test_personal_vectors():
    v = vectors("personal")
    trust = json.dumps(v["trust_list"])
    revocations = bytes.fromhex(v["revocations"])
    for c in v["cases"]:
        options = vc.GateOptions(revocations=revocations if c.get("with_revocations") else None)
        verify = lambda: vc.verify_personal_code(c["text"], trust, ms(c["at"]), options)  # noqa: E731
        if c["expect"] == "valid":
            got, want = verify(), c["decoded"]
            assert (got.name, got.id_number, got.generation) == (want["name"], want["id_number"], want["generation"])
            assert got.profile.name.lower() == want["profile"]
            assert got.valid_until_ms == ms(want["valid_until"])
            assert (got.status.colour.name.lower() if got.status else None) == (
                want["status"]["colour"] if want.get("status") else None)
        else:
            assert error_code(verify) == c["expect"], c["name"]


def test_gate_flow():
    venue_trust = (DATA / "cli_trust.json").read_text()
    poster = (DATA / "poster.txt").read_text().strip()
    now = int((DATA / "now_ms").read_text())
    assert vc.code_kind(poster) == vc.CodeKind.VENUE
    venue = vc.verify_venue_code(poster, venue_trust, now)
    assert (venue.name, venue.door) == ("上海玉佛禅寺", "东门")
    cls = vc.venue_class(venue.venue_type)
    assert cls == "religious"

    v = vectors("personal")
    trust = json.dumps(v["trust_list"])
    cases = {c["name"]: c for c in v["cases"]}
    green = cases["valid-dynamic"]
    assert vc.code_kind(green["text"]) == vc.CodeKind.PERSONAL
    person = vc.verify_personal_code(green["text"], trust, ms(green["at"]), vc.GateOptions())
    assert person.name == "欧阳*娜" and person.resolved.state == vc.StatusState.FRESH
    d = vc.decide(green["text"], trust, ms(green["at"]), cls, vc.GateOptions())
    assert (d.decision, d.report, d.code, d.policy) == (vc.Decision.ADMIT, False, "valid", "sh-2022-04-01")
    red = cases["valid-dynamic-red"]
    r = vc.decide(red["text"], trust, ms(red["at"]), "public", vc.GateOptions(builtin="sh-2022-public-48h"))
    assert (r.decision, r.report) == (vc.Decision.DENY, True)
    offline = cases["valid-offline"]
    # Without a revocation list a lost card is not caught: staff check the ID card.
    unchecked = vc.decide(offline["text"], trust, ms(offline["at"]), "public",
                          vc.GateOptions(status_list=bytes.fromhex(v["status_list"])))
    assert (unchecked.decision, unchecked.rule) == (vc.Decision.MANUAL, "no-revocation-list")
    lists = vc.GateOptions(status_list=bytes.fromhex(v["status_list"]), revocations=bytes.fromhex(v["revocations"]))
    reissued = cases["valid-reissued"]
    o = vc.decide(reissued["text"], trust, ms(reissued["at"]), "public", lists)
    assert (o.decision, o.status.state) == (vc.Decision.ADMIT, vc.StatusState.FRESH)
    stale = vc.decide(offline["text"], trust, ms(offline["at"]) + 2 * 3_600_000, "public",
                      vc.GateOptions(status_list=bytes.fromhex(v["status_list"]), max_status_age_hours=1))
    assert stale.status.state == vc.StatusState.STALE
    assert stale.decision != vc.Decision.ADMIT
    assert error_code(lambda: vc.decide(green["text"], trust, ms(green["at"]), "stadium", vc.GateOptions())) == "invalid_input"

    gate = vc.DoorGate(trust, lists, ms(offline["at"]))
    assert gate.decide(reissued["text"], ms(offline["at"]), "public").decision == vc.Decision.ADMIT
    assert gate.verify_personal_code(green["text"], ms(green["at"])).name == "欧阳*娜"

    assert vc.mask_name("张三丰") == "张*丰"
    assert vc.mask_id_number("11010519491231002X") == "110105********00**"
    assert vc.mask_phone("13812345678") == "138****5678"
    with pytest.raises(vc.VenuecodeError.InvalidInput) as e:
        vc.mask_id_number("110105194912310021")
    assert "19491231" not in str(e.value)
    assert vc.render_svg(poster).startswith("<svg")
    assert set(vc.error_codes()) >= {"bad_signature", "superseded", "invalid_image"}


def test_door_gate_admits_at_the_door_it_was_set_to():
    v = vectors("personal")
    trust = json.dumps(v["trust_list"])
    cases = {c["name"]: c for c in v["cases"]}
    door = next(c for c in vectors("venue")["cases"] if c["name"] == "valid-reference")
    now = ms(cases["valid-dynamic"]["at"])
    lists = vc.GateOptions(status_list=bytes.fromhex(v["status_list"]), revocations=bytes.fromhex(v["revocations"]))
    gate = vc.DoorGate(trust, lists, now)
    assert error_code(lambda: gate.admit(cases["valid-dynamic"]["text"], now)) == "invalid_input"
    info = gate.set_door(door["text"], now)
    assert (info.id, info.door) == ("SH-PT-0018", "东门")
    a = gate.admit(cases["valid-dynamic"]["text"], now)
    assert a.venue_class == "religious"
    assert (a.decision, a.code, a.venue_id, a.door) == (vc.Decision.ADMIT, "valid", "SH-PT-0018", "东门")
    assert a.holder.name == cases["valid-dynamic"]["decoded"]["name"]
    offline = gate.admit(cases["valid-reissued"]["text"], now)
    assert (offline.decision, offline.status.state) == (vc.Decision.ADMIT, vc.StatusState.FRESH)
    once = vc.admit(door["text"], cases["valid-dynamic"]["text"], trust, now, lists)
    assert once == a
    # The door is bound once; the same dynamic code 15 s later is a screenshot, also after a restart.
    assert error_code(lambda: gate.set_door(door["text"], now)) == "invalid_input"
    again = gate.admit(cases["valid-dynamic"]["text"], now + 15_000)
    assert (again.decision, again.report, again.code) == (vc.Decision.DENY, True, "replayed")
    lists.state = gate.state()
    restarted = vc.DoorGate(trust, lists, now)
    restarted.set_door(door["text"], now)
    assert restarted.admit(cases["valid-dynamic"]["text"], now + 20_000).code == "replayed"


def test_a_city_list_and_its_delta():
    import hashlib
    v = vectors("personal")
    city = bytes.fromhex(v["city_list"])
    # The delta of the list to itself (SPEC.md §10.2), written by hand: it rebuilds the list.
    same = b"VCSD\x01" + hashlib.sha256(city).digest() + city[:25] + city[25:29] + bytes(4) + city[-64:]
    assert vc.apply_status_delta(city, same) == city
    # One changed slot: the rebuilt list no longer carries a valid signature.
    changed = same[: 5 + 32 + 25 + 4] + (1).to_bytes(4, "big") + bytes([1, 74]) + city[-64:]
    rebuilt = vc.apply_status_delta(city, changed)
    assert rebuilt != city and len(rebuilt) == len(city)
    trust = json.dumps(v["trust_list"])
    at = ms(v["slot_lookups"][1]["at"])
    with pytest.raises(vc.VenuecodeError.BadSignature):
        vc.DoorGate(trust, vc.GateOptions(status_list=rebuilt), at)
    # A delta made from another list is refused before anything is rebuilt.
    with pytest.raises(vc.VenuecodeError.Malformed):
        vc.apply_status_delta(rebuilt, same)
    # The city list itself resolves an offline code's slot through a DoorGate.
    vc.DoorGate(trust, vc.GateOptions(status_list=city), at)


def test_a_visitor_checks_in():
    v = vectors("personal")
    cases = {c["name"]: c for c in v["cases"]}
    door = next(c for c in vectors("venue")["cases"] if c["name"] == "valid-reference")
    now = ms(cases["valid-dynamic"]["at"])
    gate = vc.DoorGate(json.dumps(v["trust_list"]), vc.GateOptions(), now)
    p = gate.check_in(door["text"], cases["valid-dynamic"]["text"], "phone-7", now)
    assert (p.venue_name, p.door, p.decision, p.colour) == ("上海玉佛禅寺", "东门", vc.Decision.ADMIT, vc.Colour.GREEN)
    assert p.local_time.endswith("+08:00")
    request = json.loads(p.request_json)
    assert (request["device"], request["personal_code"]) == ("phone-7", cases["valid-dynamic"]["text"])
    assert error_code(lambda: gate.check_in(door["text"], cases["valid-dynamic"]["text"], "", now)) == "invalid_input"
