// The Kotlin bindings on the JVM (JNA) against the built library: the core's vectors give the
// same results and error codes as in Rust, a CLI-made poster PNG scans, and a full gate flow
// (venue code, personal code, decision, masks) works.
//
//   java ... GateTestKt DATA_DIR      (DATA_DIR from scripts/mobile: flattened vectors, venue.png)
import java.io.File
import javax.imageio.ImageIO
import org.venuecode.*

private var checks = 0
private val failures = mutableListOf<String>()

private fun check(ok: Boolean, what: () -> String) {
    checks++
    if (!ok) failures += what()
}

private fun hex(s: String): ByteArray = s.trim().chunked(2).map { it.toInt(16).toByte() }.toByteArray()

private fun errorCode(block: () -> Unit): String? =
    try {
        block()
        null
    } catch (e: VenuecodeException) {
        e.code()
    }

private fun vectors(dir: File) {
    val trust = mapOf(
        "venue" to File(dir, "venue_trust.json").readText(),
        "personal" to File(dir, "personal_trust.json").readText(),
    )
    val revocations = hex(File(dir, "revocations.hex").readText())
    var valid = 0
    var rejected = 0
    for (line in File(dir, "vectors.tsv").readLines().filter { it.isNotEmpty() }) {
        val c = line.split('\t')
        val (kind, name, text) = Triple(c[0], c[1], c[2])
        val at = c[3].toLong()
        val expect = c[4]
        val options = GateOptions(revocations = if (c[5] == "1") revocations else null)
        val fields = if (c.size > 6 && c[6].isNotEmpty()) {
            c[6].split('\u001f').associate { it.substringBefore('=') to it.substringAfter('=') }
        } else emptyMap()
        if (expect == "valid") {
            valid++
            if (kind == "venue") {
                val v = verifyVenueCode(text, trust.getValue(kind), at)
                val got = mapOf(
                    "id" to v.id, "name" to v.name, "door" to v.door, "division" to v.division,
                    "address" to v.address, "key_id" to v.keyId, "prefix" to v.prefix,
                    "venue_type" to v.venueType, "issued_at_ms" to v.issuedAtMs.toString(),
                    "valid_until_ms" to (v.validUntilMs?.toString() ?: ""),
                )
                check(got == fields) { "$name: $got != $fields" }
            } else {
                val p = verifyPersonalCode(text, trust.getValue(kind), at, options)
                val got = mapOf(
                    "name" to p.name, "id_number" to p.idNumber, "profile" to p.profile.name.lowercase(),
                    "generation" to p.generation.toString(), "issued_at_ms" to p.issuedAtMs.toString(),
                    "valid_until_ms" to p.validUntilMs.toString(),
                    "colour" to (p.status?.colour?.name?.lowercase() ?: ""),
                )
                check(got == fields) { "$name: $got != $fields" }
            }
        } else {
            rejected++
            val code = errorCode {
                if (kind == "venue") verifyVenueCode(text, trust.getValue(kind), at)
                else verifyPersonalCode(text, trust.getValue(kind), at, options)
            }
            check(code == expect) { "$name: expected $expect, got $code" }
        }
    }
    check(valid >= 6 && rejected >= 20) { "too few vectors: $valid valid, $rejected rejected" }
}

private fun gateFlow(dir: File) {
    // The door's poster: a PNG made by the CLI, read with ImageIO, scanned, verified.
    val png = ImageIO.read(File(dir, "venue.png"))
    val rgba = ByteArray(png.width * png.height * 4)
    for (y in 0 until png.height) for (x in 0 until png.width) {
        val argb = png.getRGB(x, y)
        val i = (y * png.width + x) * 4
        rgba[i] = (argb shr 16).toByte(); rgba[i + 1] = (argb shr 8).toByte()
        rgba[i + 2] = argb.toByte(); rgba[i + 3] = (argb ushr 24).toByte()
    }
    val found = scanFrame(rgba, png.width.toUInt(), png.height.toUInt())
    check(found.size == 1 && found[0].corners.size == 4) { "scan: $found" }
    check(found[0].bytes.decodeToString() == found[0].text && found[0].sequence == null) { "scan bytes" }
    val posterTrust = File(dir, "cli_trust.json").readText()
    val now = File(dir, "now_ms").readText().trim().toLong()
    check(codeKind(found[0].text) == CodeKind.VENUE) { "kind of the poster" }
    val venue = verifyVenueCode(found[0].text, posterTrust, now)
    check(venue.name == "上海玉佛禅寺" && venue.door == "东门") { "venue: $venue" }
    val cls = venueClass(venue.venueType)
    check(cls == "religious") { "class: $cls" }

    // Visitors, with the vectors' personal codes: dynamic green admitted, red denied and reported,
    // an offline card resolved from the status list.
    val trust = File(dir, "personal_trust.json").readText()
    val cases = File(dir, "vectors.tsv").readLines().map { it.split('\t') }.associateBy { it[1] }
    val green = cases.getValue("valid-dynamic")
    val d = decide(green[2], trust, green[3].toLong(), cls, GateOptions())
    check(d.decision == Decision.ADMIT && !d.report && d.code == "valid") { "green: $d" }
    check(d.reasons.single().zh.isNotEmpty() && d.policy == "sh-2022-04-01") { "green reasons: $d" }
    val red = cases.getValue("valid-dynamic-red")
    val r = decide(red[2], trust, red[3].toLong(), "public", GateOptions(builtin = "sh-2022-public-48h"))
    check(r.decision == Decision.DENY && r.report) { "red: $r" }
    val offline = cases.getValue("valid-offline")
    val statusList = hex(File(dir, "status_list.hex").readText())
    val revocations = hex(File(dir, "revocations.hex").readText())
    // Without a revocation list a lost card is not caught: staff check the ID card.
    val unchecked = decide(offline[2], trust, offline[3].toLong(), "public", GateOptions(statusList = statusList))
    check(unchecked.decision == Decision.MANUAL && unchecked.rule == "no-revocation-list") { "unchecked: $unchecked" }
    val reissued = cases.getValue("valid-reissued")
    val lists = GateOptions(statusList = statusList, revocations = revocations)
    val o = decide(reissued[2], trust, reissued[3].toLong(), "public", lists)
    check(o.decision == Decision.ADMIT && o.status.state == StatusState.FRESH) { "offline: $o" }
    val none = decide(offline[2], trust, offline[3].toLong(), "public", GateOptions())
    check(none.decision == Decision.MANUAL && none.rule == "no-status") { "offline without list: $none" }
    val replay = cases.getValue("expired-replay")
    check(decide(replay[2], trust, replay[3].toLong(), "public", GateOptions()).code == "expired") { "replay" }
    check(errorCode { decide(green[2], trust, green[3].toLong(), "stadium", GateOptions()) } == "invalid_input") { "class" }
    check(errorCode { decide(green[2], trust, green[3].toLong(), "public", GateOptions(builtin = "nope")) } == "invalid_policy") { "builtin" }
    check(errorCode { verifyVenueCode(found[0].text, "{", now) } == "invalid_trust_list") { "trust list" }

    // A gate device keeps its lists loaded: the same decisions through a DoorGate, closed by use {}.
    DoorGate(trust, lists, offline[3].toLong()).use { gate ->
        val at = offline[3].toLong()
        check(gate.decide(reissued[2], at, "public").decision == Decision.ADMIT) { "DoorGate offline" }
        check(gate.verifyPersonalCode(reissued[2], at).resolved.state == StatusState.FRESH) { "DoorGate status" }
        check(gate.decide(green[2], green[3].toLong(), cls).decision == Decision.ADMIT) { "DoorGate green" }
        check(errorCode { gate.decide(replay[2], replay[3].toLong(), "stadium") } == "invalid_input") { "DoorGate class" }
        // The door from its own venue code, then admissions there.
        check(errorCode { gate.admit(green[2], at) } == "invalid_input") { "DoorGate admit without a door" }
        val door = gate.setDoor(cases.getValue("valid-reference")[2], at)
        check(door.id == "SH-PT-0018" && door.door == "东门") { "DoorGate door: $door" }
        val a = gate.admit(green[2], green[3].toLong())
        check(a.decision == Decision.ADMIT && a.venueId == "SH-PT-0018" && a.door == "东门" &&
            a.venueClass == "religious" && a.holder?.name?.contains('*') == true) { "DoorGate admit: $a" }
        // The door is bound once; the same dynamic code 15 s later is a screenshot.
        check(errorCode { gate.setDoor(cases.getValue("valid-reference")[2], at) } == "invalid_input") { "door once" }
        val again = gate.admit(green[2], green[3].toLong() + 15_000)
        check(again.decision == Decision.DENY && again.report && again.code == "replayed") { "replayed: $again" }
        // Its state carries that memory into the next gate.
        DoorGate(trust, GateOptions(statusList = statusList, revocations = revocations, state = gate.state()), at).use { next ->
            next.setDoor(cases.getValue("valid-reference")[2], at)
            check(next.admit(green[2], green[3].toLong() + 20_000).code == "replayed") { "state kept" }
        }
    }
    check(errorCode { DoorGate(trust, GateOptions(statusList = ByteArray(3)), now) } == "malformed") { "DoorGate bad list" }

    // Typed errors one can switch on.
    try {
        verifyVenueCode(found[0].text, trust, now)
        check(false) { "a venue code verified against a list without its key" }
    } catch (e: VenuecodeException.UnknownKey) {
        check(e.code() == "unknown_key") { "code of UnknownKey" }
    }

    check(maskName("张三丰") == "张*丰") { "maskName" }
    check(maskIdNumber("11010519491231002X") == "110105********00**") { "maskIdNumber" }
    check(maskPhone("13812345678") == "138****5678") { "maskPhone" }
    try {
        maskIdNumber("110105194912310021")
        check(false) { "a wrong check character accepted" }
    } catch (e: VenuecodeException.InvalidInput) {
        check(!e.detail.contains("19491231")) { "the error echoes the ID number: ${e.detail}" }
    }
    check(renderSvg(found[0].text).startsWith("<svg")) { "renderSvg" }
    check(errorCodes().containsAll(listOf("bad_signature", "superseded"))) { "errorCodes" }
}

fun main(args: Array<String>) {
    val dir = File(args[0])
    vectors(dir)
    gateFlow(dir)
    if (failures.isNotEmpty()) {
        failures.forEach { System.err.println("FAIL: $it") }
        System.err.println("kotlin: ${failures.size} of $checks checks failed")
        kotlin.system.exitProcess(1)
    }
    println("kotlin: all $checks checks passed")
}
