//! Helpers shared by the CLI's integration tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

pub const ISSUED: &str = "2022-04-01T08:00:00+08:00";
pub const UNTIL: &str = "2023-04-01T00:00:00+08:00";
pub const DURING: &str = "2022-06-01T10:00:00+08:00";

/// The CLI, with the public tracing key of `tests/data/trace.pub` for the commands that
/// store records (its secret half is not kept: tests that trace make their own key), reading
/// the tests' unsigned trust lists (`VENUECODE_INSECURE_UNSIGNED_TRUST`; the signed ones are
/// tested in tests/lists.rs, with `signed()`).
pub fn venuecode() -> Command {
    let mut cmd = signed();
    cmd.env("VENUECODE_INSECURE_UNSIGNED_TRUST", "1");
    cmd
}

/// The CLI as a gate runs it: trust lists only signed.
pub fn signed() -> Command {
    let mut cmd = Command::cargo_bin("venuecode").unwrap();
    cmd.env("VENUECODE_TRACE_PUB", trace_pub());
    cmd.env_remove("VENUECODE_INSECURE_UNSIGNED_TRUST");
    cmd.env_remove("VENUECODE_ROOT_KID");
    cmd.env_remove("VENUECODE_STATE");
    // English human output whatever the machine's locale; tests of Chinese say --lang zh.
    cmd.env_remove("LC_ALL");
    cmd.env_remove("LC_MESSAGES");
    cmd.env("LANG", "C.UTF-8");
    cmd
}

/// `trust add --usage USAGE --prefix (its prefix) --trust`, the list's path to follow.
pub fn trust_add(usage: &str) -> Command {
    let mut cmd = venuecode();
    cmd.args([
        "trust",
        "add",
        "--usage",
        usage,
        "--prefix",
        prefix_of(usage),
        "--trust",
    ]);
    cmd
}

/// The prefix the tests' keys of `usage` sign under.
pub fn prefix_of(usage: &str) -> &'static str {
    match usage {
        "venue" => "HTTPS://VC.SH.GOV.CN/1/",
        _ => "HTTPS://VC.SH.GOV.CN/P/",
    }
}

/// The public tracing key every test's records are sealed to unless the test gives its own.
pub fn trace_pub() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/trace.pub")
}

pub struct Setup {
    pub dir: tempfile::TempDir,
}

impl Setup {
    pub fn new() -> Self {
        Setup {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A new key trusted for `usage`; returns its key id.
    pub fn key(&self, name: &str, usage: &str) -> String {
        let out = venuecode()
            .args(["keygen", "--out"])
            .arg(self.path(name))
            .arg("--trust")
            .arg(self.path("trust.json"))
            .args(["--usage", usage])
            .args(
                ["venue", "personal"]
                    .contains(&usage)
                    .then(|| ["--prefix", prefix_of(usage)])
                    .into_iter()
                    .flatten(),
            )
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone())
            .unwrap()
            .trim()
            .to_owned()
    }

    pub fn issue(&self, key: &str, extra: &[&str]) -> String {
        let out = venuecode()
            .args(["venue", "issue", "--key"])
            .arg(self.path(key))
            .args(FIELDS)
            .args(["--prefix", "HTTPS://VC.SH.GOV.CN/1/"])
            .args(extra)
            .assert()
            .success();
        String::from_utf8(out.get_output().stdout.clone())
            .unwrap()
            .trim()
            .to_owned()
    }

    /// Runs `venue verify --json` and gives (exit code, JSON).
    pub fn verify(&self, text: &str, at: &str) -> (i32, Value) {
        let out = venuecode()
            .args(["venue", "verify", "--json", "--trust"])
            .arg(self.path("trust.json"))
            .args(["--at", at, text])
            .output()
            .unwrap();
        let json = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code().unwrap(), json)
    }
}

/// The holder of the personal codes in the tests: a valid GB 11643 number.
pub const HOLDER_ID: &str = "11010519491231002X";

impl Setup {
    /// Writes a holder-token key to `tk`.
    pub fn token_key(&self) {
        venuecode()
            .arg("token-key")
            .arg("--out")
            .arg(self.path("tk"))
            .assert()
            .success();
    }

    /// Runs `person issue` with the key file `key` and the token key `tk`.
    pub fn person(
        &self,
        key: &str,
        name: &str,
        id: &str,
        issued: &str,
        extra: &[&str],
    ) -> assert_cmd::assert::Assert {
        venuecode()
            .args(["person", "issue", "--key"])
            .arg(self.path(key))
            .arg("--token-key")
            .arg(self.path("tk"))
            .args(["--name", name, "--id-number", id, "--issued", issued])
            .args(["--prefix", "HTTPS://VC.SH.GOV.CN/P/"])
            .args(extra)
            .assert()
    }
}

impl Setup {
    /// A venue key, a personal key and a token key, trusted; gives the setup and the door's
    /// venue code (the reference venue's east door).
    pub fn with_door() -> (Setup, String) {
        let s = Setup::new();
        s.key("v.pem", "venue");
        s.key("p.pem", "personal");
        s.token_key();
        let venue = s.issue("v.pem", &[]);
        (s, venue)
    }

    /// The text of a personal code for 张三丰 with ID number `id`, signed by `p.pem`.
    pub fn code(&self, id: &str, issued: &str, extra: &[&str]) -> String {
        stdout_of(&self.person("p.pem", "张三丰", id, issued, extra).code(0))
            .trim()
            .to_owned()
    }

    /// A dynamic code of `colour` for the test holder.
    pub fn dynamic(&self, colour: &str, issued: &str) -> String {
        self.code(
            HOLDER_ID,
            issued,
            &["--profile", "dynamic", "--colour", colour],
        )
    }
}

/// The reference venue's fields on a command line.
pub const FIELDS: [&str; 16] = [
    "--id",
    "SH-PT-0018",
    "--type",
    "religious-venue",
    "--name",
    "上海玉佛禅寺",
    "--division",
    "310107",
    "--address",
    "安远路170号",
    "--door",
    "东门",
    "--issued",
    ISSUED,
    "--valid-until",
    UNTIL,
];

/// What `zbarimg` (Debian zbar-tools) reads in an image: one text per line.
pub fn zbarimg(path: &Path) -> Vec<String> {
    let out = std::process::Command::new("zbarimg")
        // QR only: zbar also reads 1D symbologies, and a poster's border and lettering can make
        // a spurious one.
        .args(["-q", "--raw", "-Sdisable", "-Sqrcode.enable"])
        .arg(path)
        .output()
        .expect("zbarimg must be installed (scripts/test-all installs zbar-tools)");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// What `ZXingReader` (Debian zxing-cpp-tools) reads in an image.
pub fn zxing_reader(path: &Path) -> Vec<String> {
    let out = std::process::Command::new("ZXingReader")
        .args(["-format", "QRCode"])
        .arg(path)
        .output()
        .expect("ZXingReader must be installed (scripts/test-all installs zxing-cpp-tools)");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("Text:"))
        .map(|t| t.trim().trim_matches('"').to_owned())
        .collect()
}

/// Asserts that both reference decoders read exactly `text` from the PNG at `path`.
pub fn assert_interop(path: &Path, text: &str) {
    assert_eq!(
        zbarimg(path),
        vec![text.to_owned()],
        "zbarimg on {}",
        path.display()
    );
    assert_eq!(
        zxing_reader(path),
        vec![text.to_owned()],
        "ZXingReader on {}",
        path.display()
    );
}

pub fn stdout_of(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(assert.get_output().stdout.clone()).unwrap()
}

pub fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
