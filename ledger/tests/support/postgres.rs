//! A fresh database for a test, on the test server that `VENUECODE_TEST_POSTGRES` names
//! (`scripts/postgres`; scripts/test-all sets it for its PostgreSQL round).

#![allow(clippy::unwrap_used, dead_code, unreachable_pub)]

/// A new, empty database named `prefix` and random hex digits, as a libpq connection string
/// with the test server's TLS settings (`VENUECODE_TEST_POSTGRES_TLS`: the server's certificate
/// verified); `None` when no test server is set (the tests then run on SQLite only).
pub async fn database(prefix: &str) -> Option<String> {
    let server = std::env::var("VENUECODE_TEST_POSTGRES").ok()?;
    let mut name = [0u8; 8];
    getrandom::fill(&mut name).unwrap();
    let name = format!("{prefix}_{}", hex::encode(name));
    admin(&format!("CREATE DATABASE {name}")).await;
    let tls = std::env::var("VENUECODE_TEST_POSTGRES_TLS").unwrap_or_default();
    Some(format!("{server} dbname={name} {tls}").trim().to_owned())
}

/// The name of the database of a connection string that [`database`] made.
pub fn name_of(url: &str) -> &str {
    url.split_ascii_whitespace()
        .find_map(|pair| pair.strip_prefix("dbname="))
        .unwrap()
}

/// Runs `sql` as the test server's administrator (on its `postgres` database): what a test
/// does to the server under a service, as an operator or an outage would.
pub async fn admin(sql: &str) {
    administrator().await.batch_execute(sql).await.unwrap();
}

/// The first column of the first row `sql` gives, as text, run as the administrator.
pub async fn admin_value(sql: &str) -> String {
    let rows = administrator().await.simple_query(sql).await.unwrap();
    rows.iter()
        .find_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
            _ => None,
        })
        .unwrap()
}

/// A connection of the test's own (without TLS) to the database of `url`, which [`database`]
/// made: to read what a store wrote, as the store does not.
pub async fn reader(url: &str) -> tokio_postgres::Client {
    let server = std::env::var("VENUECODE_TEST_POSTGRES").unwrap();
    let (client, connection) = tokio_postgres::connect(
        &format!("{server} dbname={}", name_of(url)),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    client
}

async fn administrator() -> tokio_postgres::Client {
    let server = std::env::var("VENUECODE_TEST_POSTGRES").unwrap();
    let (client, connection) =
        tokio_postgres::connect(&format!("{server} dbname=postgres"), tokio_postgres::NoTls)
            .await
            .unwrap();
    tokio::spawn(connection);
    client
}
