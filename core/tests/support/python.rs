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
