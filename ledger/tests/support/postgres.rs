//! A fresh database for a test, on the test server that `VENUECODE_TEST_POSTGRES` names
//! (`scripts/postgres`; scripts/test-all sets it for its PostgreSQL round).

#![allow(clippy::unwrap_used, dead_code, unreachable_pub)]

/// A new, empty database named `prefix` and random hex digits, as a libpq connection string;
/// `None` when no test server is set (the tests then run on SQLite only).
pub async fn database(prefix: &str) -> Option<String> {
    let server = std::env::var("VENUECODE_TEST_POSTGRES").ok()?;
    let (client, connection) =
        tokio_postgres::connect(&format!("{server} dbname=postgres"), tokio_postgres::NoTls)
            .await
            .unwrap();
    tokio::spawn(connection);
    let mut name = [0u8; 8];
    getrandom::fill(&mut name).unwrap();
    let name = format!("{prefix}_{}", hex::encode(name));
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    Some(format!("{server} dbname={name}"))
}
