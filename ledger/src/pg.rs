//! What both PostgreSQL tables (the records store's and the directory's) need: a pool of
//! connections that replaces one the server closed, TLS as the connection string's `sslmode`
//! asks, tables created once whatever number of nodes start at once, errors as the ledger's.

use crate::LedgerError;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use rustls::RootCertStore;
use std::time::Duration;
use tokio_postgres::Client;
use tokio_postgres::config::SslMode;

impl From<tokio_postgres::Error> for LedgerError {
    fn from(e: tokio_postgres::Error) -> Self {
        LedgerError::Postgres(with_causes(&e))
    }
}

impl From<deadpool_postgres::PoolError> for LedgerError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        LedgerError::Postgres(with_causes(&e))
    }
}

/// An error and its causes, `: `-joined (a failed TLS handshake says why only in its cause).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.ends_with(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

/// How long a request waits for a connection, and a connection for the server, before the
/// store answers that it cannot (the service then answers 503, and `/healthz` says so).
const WAIT: Duration = Duration::from_secs(5);

/// A pool of at most `size` connections to the database `url` (a libpq connection string or
/// URL), each with `synchronous_commit = on`. Nothing connects until a connection is asked
/// for; one the server closed (a restart) is dropped and a new one made at the next request.
///
/// TLS follows `sslmode`: `disable` never, `prefer` (the default) when the server offers it,
/// `require`, `verify-ca` and `verify-full` always. The server's certificate is verified
/// whenever TLS is used, its name included (libpq's `verify-full`), against the certificates
/// of `sslrootcert` (a PEM file) or else Mozilla's roots: a certificate that does not verify
/// is refused, never used unchecked.
pub(crate) fn pool(url: &str, size: usize) -> Result<Pool, LedgerError> {
    let wanted = Wanted::of(url)?;
    let mut config: tokio_postgres::Config = wanted.url.parse()?;
    let options = config.get_options().unwrap_or_default().to_owned();
    config.options(format!("{options} -c synchronous_commit=on").trim());
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(WAIT);
    }
    let tls = match config.get_ssl_mode() {
        // Never asked for: no roots read.
        SslMode::Disable => tls(RootCertStore::empty()),
        _ => tls(roots(wanted.root_cert.as_deref())?),
    }?;
    let manager = Manager::from_config(
        config,
        tls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(WAIT))
        .create_timeout(Some(WAIT))
        .recycle_timeout(Some(WAIT))
        .build()
        .map_err(|e| LedgerError::Postgres(e.to_string()))
}

/// The connection string's TLS wishes that tokio-postgres does not read itself, taken out of
/// it: `sslrootcert`, and the `sslmode`s `verify-ca` and `verify-full` (given to it as
/// `require`: its certificate is verified whatever the mode).
struct Wanted {
    url: String,
    root_cert: Option<String>,
}

impl Wanted {
    fn of(url: &str) -> Result<Wanted, LedgerError> {
        let mut root_cert = None;
        let mut take = |key: &str, value: &str| -> Result<Option<String>, LedgerError> {
            Ok(match key {
                "sslrootcert" => {
                    root_cert = Some(value.to_owned());
                    None
                }
                "sslmode" if matches!(value, "verify-ca" | "verify-full") => {
                    Some("sslmode=require".to_owned())
                }
                _ => Some(format!("{key}={value}")),
            })
        };
        let is_url = url.starts_with("postgres://") || url.starts_with("postgresql://");
        let url = if is_url {
            match url.split_once('?') {
                None => url.to_owned(),
                Some((base, query)) => {
                    let mut kept = Vec::new();
                    for pair in query.split('&') {
                        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                        if k == "sslrootcert" && v.contains('%') {
                            return Err(LedgerError::Postgres(
                                "sslrootcert: give the path without %-escapes".into(),
                            ));
                        }
                        kept.extend(take(k, v)?);
                    }
                    if kept.is_empty() {
                        base.to_owned()
                    } else {
                        format!("{base}?{}", kept.join("&"))
                    }
                }
            }
        } else if url.contains("sslrootcert") || url.contains("verify-") {
            // key=value pairs; a quoted value here would be cut at its spaces.
            if url.contains('\'') {
                return Err(LedgerError::Postgres(
                    "with sslrootcert or a verify sslmode, give the connection string as a \
                     postgres:// URL (quoted values are not read here)"
                        .into(),
                ));
            }
            let mut kept = Vec::new();
            for pair in url.split_ascii_whitespace() {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                kept.extend(take(k.trim(), v.trim())?);
            }
            kept.join(" ")
        } else {
            url.to_owned()
        };
        Ok(Wanted { url, root_cert })
    }
}

/// The certificates a server's is verified against: `sslrootcert`'s, else Mozilla's.
fn roots(root_cert: Option<&str>) -> Result<RootCertStore, LedgerError> {
    let Some(path) = root_cert else {
        return Ok(crate::tls::mozilla_roots());
    };
    let mut roots = RootCertStore::empty();
    crate::tls::add_roots(&mut roots, std::path::Path::new(path))
        .map_err(|e| LedgerError::Postgres(format!("sslrootcert: {e}")))?;
    Ok(roots)
}

fn tls(roots: RootCertStore) -> Result<tokio_postgres_rustls::MakeRustlsConnect, LedgerError> {
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(
        crate::tls::client_config(roots)?,
    ))
}

/// Creates tables (`CREATE ... IF NOT EXISTS` statements) under a lock held for the
/// transaction: two nodes creating the same table at once would otherwise collide.
pub(crate) async fn create(client: &mut Client, schema: &str) -> Result<(), LedgerError> {
    let tx = client.transaction().await?;
    tx.batch_execute("SELECT pg_advisory_xact_lock(7310107)")
        .await?;
    tx.batch_execute(schema).await?;
    tx.commit().await?;
    Ok(())
}

/// Whether the database answers (`SELECT 1` on a connection of the pool).
pub(crate) async fn answers(pool: &Pool) -> Result<(), LedgerError> {
    pool.get().await?.simple_query("SELECT 1").await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_libpq_tls_options_are_read_out_of_both_forms() {
        let w = Wanted::of(
            "postgres://u:p@db:5432/vc?sslmode=verify-full&sslrootcert=/etc/ca.pem&application_name=a",
        )
        .unwrap();
        assert_eq!(
            w.url,
            "postgres://u:p@db:5432/vc?sslmode=require&application_name=a"
        );
        assert_eq!(w.root_cert.as_deref(), Some("/etc/ca.pem"));
        let w = Wanted::of("host=db user=u sslmode=verify-ca sslrootcert=/etc/ca.pem").unwrap();
        assert_eq!(w.url, "host=db user=u sslmode=require");
        assert_eq!(w.root_cert.as_deref(), Some("/etc/ca.pem"));
        // Untouched without them, quotes and all.
        let plain = "host=db user=u password='a b' sslmode=require";
        assert_eq!(Wanted::of(plain).unwrap().url, plain);
        let w = Wanted::of("postgresql://db/vc?sslrootcert=/ca.pem").unwrap();
        assert_eq!(w.url, "postgresql://db/vc");
        assert!(Wanted::of("host=db password='a b' sslrootcert=/ca.pem").is_err());
        assert!(Wanted::of("postgres://db/vc?sslrootcert=%2Fca.pem").is_err());
    }
}
