//! Codes as images, posters, batch issuing and scanning, end to end; every PNG we write is read
//! back by zbarimg and ZXingReader.

#![allow(clippy::unwrap_used)]

mod common;
use common::*;

#[test]
fn issued_code_images_decode_in_zbar_and_zxing() {
    let s = Setup::new();
    s.key("k.pem", "venue");
    let text = s.issue(
        "k.pem",
        &[
            "--svg",
            s.path("c.svg").to_str().unwrap(),
            "--png",
            s.path("c.png").to_str().unwrap(),
        ],
    );
    assert_interop(&s.path("c.png"), &text);
    let svg = std::fs::read_to_string(s.path("c.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("<path"));
    // Higher error correction gives a bigger code that still reads.
    let high = s.issue(
        "k.pem",
        &["--ec", "H", "--png", s.path("h.png").to_str().unwrap()],
    );
    assert_eq!(high, text);
    assert_interop(&s.path("h.png"), &text);
    let (small, big) = (
        std::fs::metadata(s.path("c.png")).unwrap().len(),
        std::fs::metadata(s.path("h.png")).unwrap().len(),
    );
    assert!(big > small, "{big} <= {small}");
}

#[test]
fn posters_in_svg_and_png() {
    let s = Setup::new();
    s.key("k.pem", "venue");
    let poster = |out: &str| {
        let a = venuecode()
            .args(["poster", "--prefix", "HTTPS://VC.SH.GOV.CN/1/", "--key"])
            .arg(s.path("k.pem"))
            .args(FIELDS)
            .arg("--out")
            .arg(s.path(out))
            .assert()
            .code(0);
        stdout_of(&a).trim().to_owned()
    };
    let text = poster("p.png");
    assert_interop(&s.path("p.png"), &text);
    let (code, json) = s.verify(&text, DURING);
    assert_eq!((code, json["valid"].as_bool()), (0, Some(true)));
    poster("p.svg");
    let svg = std::fs::read_to_string(s.path("p.svg")).unwrap();
    for needle in [
        "上海玉佛禅寺",
        "东门",
        "请使用随申办、微信或支付宝扫码",
        "width=\"210mm\"",
    ] {
        assert!(svg.contains(needle), "{needle}");
    }
    // `-` is standard output, wherever a file is written: the SVG poster alone, or the PNG.
    let to_stdout = |png: bool| {
        let mut cmd = venuecode();
        cmd.args(["poster", "--prefix", "HTTPS://VC.SH.GOV.CN/1/", "--key"])
            .arg(s.path("k.pem"))
            .args(FIELDS)
            .args(["--out", "-"]);
        if png {
            cmd.arg("--png");
        }
        cmd.assert().code(0).get_output().stdout.clone()
    };
    let piped = String::from_utf8(to_stdout(false)).unwrap();
    assert!(piped.trim_start().starts_with('<') && piped.trim_end().ends_with("</svg>"));
    assert!(piped.contains("上海玉佛禅寺"));
    let png = to_stdout(true);
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    std::fs::write(s.path("piped.png"), &png).unwrap();
    assert_interop(&s.path("piped.png"), &text);
    // An unknown extension is a usage error, and a font that is not one too.
    venuecode()
        .args(["poster", "--prefix", "HTTPS://VC.SH.GOV.CN/1/", "--key"])
        .arg(s.path("k.pem"))
        .args(FIELDS)
        .arg("--out")
        .arg(s.path("p.pdf"))
        .assert()
        .code(2);
    std::fs::write(s.path("font.ttf"), "nope").unwrap();
    venuecode()
        .args(["poster", "--prefix", "HTTPS://VC.SH.GOV.CN/1/", "--key"])
        .arg(s.path("k.pem"))
        .args(FIELDS)
        .arg("--font")
        .arg(s.path("font.ttf"))
        .arg("--out")
        .arg(s.path("q.png"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid_input"));
}

#[test]
fn batch_issues_every_good_row_and_reports_bad_ones_by_line() {
    let s = Setup::new();
    s.key("k.pem", "venue");
    let csv = "id,type,name,division,address,door,valid_until,contact\n\
               SH-PT-0018,religious-venue,上海玉佛禅寺,310107,安远路170号,东门,2099-04-01T00:00:00+08:00,ignored\n\
               SH-PT-0018,religious-venue,上海玉佛禅寺,310107,安远路170号,北门,,\n\
               SH-XX-0001,religious-venue,某寺,3101,某路1号,南门,,\n\
               SH-PT-0101,church,某教堂,310107,某路2号,正门,,\n\
               \"SH/QP-7\",muslim-cemetery,示例回民公墓,310118,示例公路88号,东门,,\n";
    std::fs::write(s.path("venues.csv"), csv).unwrap();
    let a = venuecode()
        .args([
            "poster",
            "--png",
            "--prefix",
            "HTTPS://VC.SH.GOV.CN/1/",
            "--key",
        ])
        .arg(s.path("k.pem"))
        .arg("--batch")
        .arg(s.path("venues.csv"))
        .arg("--out")
        .arg(s.path("out"))
        .assert()
        .code(1);
    let stderr = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.contains("line 4") && stderr.contains("division"),
        "{stderr}"
    );
    assert!(
        stderr.contains("line 5") && stderr.contains("type"),
        "{stderr}"
    );
    assert!(stdout_of(&a).contains("3 of 5 doors issued"));

    let mut summary = csv::Reader::from_path(s.path("out/summary.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = summary.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5);
    let statuses: Vec<&str> = rows.iter().map(|r| &r[3]).collect();
    assert_eq!(statuses, ["ok", "ok", "error", "error", "ok"]);
    // A failed row still names its venue and door.
    assert_eq!((&rows[2][1], &rows[2][2]), ("SH-XX-0001", "南门"));
    for row in rows.iter().filter(|r| &r[3] == "ok") {
        let text = &row[5];
        for file in [&row[7], &row[9]] {
            assert_interop(&s.path(&format!("out/{file}")), text);
        }
        assert!(s.path(&format!("out/{}", &row[6])).is_file());
        assert!(s.path(&format!("out/{}", &row[8])).is_file());
        // Issued now (no `issued` column): valid from now on.
        assert_eq!(s.verify(text, "2098-01-01T00:00:00Z").0, 0);
    }
    // Unsafe characters in the id do not reach the file name.
    assert!(rows[4][7].starts_with("SH_QP-7-L6"), "{}", &rows[4][7]);
}

#[test]
fn scan_decodes_and_verifies_with_exit_codes() {
    let s = Setup::new();
    s.key("k.pem", "venue");
    let text = s.issue("k.pem", &["--png", s.path("c.png").to_str().unwrap()]);
    std::fs::write(s.path("not.png"), "not an image").unwrap();

    let a = venuecode()
        .args(["scan", "--json", "--at", DURING, "--trust"])
        .arg(s.path("trust.json"))
        .arg(s.path("c.png"))
        .assert()
        .code(0);
    let lines = json_lines(&stdout_of(&a));
    assert_eq!(lines[0]["codes"][0]["text"], text.as_str());
    assert_eq!(lines[0]["codes"][0]["valid"], true);
    assert_eq!(lines[0]["codes"][0]["venue"]["door"], "东门");
    assert_eq!(lines[0]["codes"][0]["corners"].as_array().unwrap().len(), 4);

    // After expiry: rejected, exit 1, with the code.
    let a = venuecode()
        .args(["scan", "--json", "--at", UNTIL, "--trust"])
        .arg(s.path("trust.json"))
        .arg(s.path("c.png"))
        .assert()
        .code(1);
    assert_eq!(json_lines(&stdout_of(&a))[0]["codes"][0]["code"], "expired");

    // Raw: no verification fields. An unreadable image: exit 2, reported in its line.
    let a = venuecode()
        .args(["scan", "--raw", "--json"])
        .arg(s.path("c.png"))
        .arg(s.path("not.png"))
        .assert()
        .code(2);
    let lines = json_lines(&stdout_of(&a));
    assert!(lines[0]["codes"][0].get("valid").is_none());
    assert_eq!(lines[1]["error"], "invalid_image");
    venuecode()
        .args(["scan", "--raw", "--trust", "x.json", "a.png"])
        .assert()
        .code(2);
}
