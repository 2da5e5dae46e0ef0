//! What both PostgreSQL tables (the records store's and the directory's) need: a connection,
//! its tables created once whatever number of nodes start at once, its errors as the ledger's.

use crate::LedgerError;
use tokio_postgres::{Client, NoTls};

impl From<tokio_postgres::Error> for LedgerError {
    fn from(e: tokio_postgres::Error) -> Self {
        LedgerError::Postgres(e.to_string())
    }
}

/// Connects; the connection runs as a task of the current runtime until the client is dropped
/// or the server goes (requests then fail, and the caller reconnects).
pub(crate) async fn connect(url: &str) -> Result<Client, LedgerError> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
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
