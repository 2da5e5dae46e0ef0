//! Shared by the benchmarks: reading criterion's estimates after a run, to print ratios.

/// A statistic (`mean`, `median`) of a benchmark's last run, in nanoseconds, from criterion's
/// `target/criterion/GROUP/BENCH/new/estimates.json`.
pub(crate) fn estimate_ns(group: &str, bench: &str, statistic: &str) -> Option<f64> {
    let path = format!(
        "{}/../target/criterion/{group}/{bench}/new/estimates.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    json[statistic]["point_estimate"].as_f64()
}

/// Whether criterion runs in `--test` mode (each benchmark once, no estimates worth printing).
pub(crate) fn test_mode() -> bool {
    std::env::args().any(|a| a == "--test")
}
