//! The Python the tests run peers in (DuckDB, jsonschema, pyhpke): `VENUECODE_PYTHON`, else the
//! venv `scripts/test-all` makes in `target/py`, else `python3`. Included by path from the core's,
//! the ledger's and the CLI's tests (each crate sits one level below the workspace).

/// The interpreter to run.
pub(crate) fn python() -> String {
    std::env::var("VENUECODE_PYTHON").unwrap_or_else(|_| {
        let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/py/bin/python");
        if std::path::Path::new(venv).exists() {
            venv.to_owned()
        } else {
            "python3".to_owned()
        }
    })
}

/// Runs `script` (`python -c`) with `args`; gives its standard output, and fails the test with
/// its standard error if it failed.
#[allow(dead_code)]
pub(crate) fn run<S: AsRef<std::ffi::OsStr>>(script: &str, args: &[S]) -> String {
    let out = std::process::Command::new(python())
        .args(["-c", script])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
