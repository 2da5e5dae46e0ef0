//! TLS for the service's clients (feature `postgres`): its PostgreSQL connections and its
//! webhooks' deliveries, on rustls with ring. One rule for both: a server's certificate is
//! verified, its name included, against the roots given, and never used unchecked.

use crate::LedgerError;
use rustls::RootCertStore;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use std::path::Path;
use std::sync::Arc;

pub use rustls::ClientConfig;

/// Mozilla's roots (`webpki-roots`, compiled in: the same on every machine).
pub fn mozilla_roots() -> RootCertStore {
    RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

/// Adds the certificates of a PEM file to `roots`; a file without one is refused.
pub fn add_roots(roots: &mut RootCertStore, path: &Path) -> Result<(), LedgerError> {
    let unread = |e: &dyn std::fmt::Display| {
        LedgerError::Io(std::io::Error::other(format!("{}: {e}", path.display())))
    };
    let before = roots.len();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| unread(&e))? {
        roots
            .add(cert.map_err(|e| unread(&e))?)
            .map_err(|e| unread(&e))?;
    }
    if roots.len() == before {
        return Err(unread(&"no certificate in the file"));
    }
    Ok(())
}

/// A client configuration that trusts `roots` (TLS 1.2 and 1.3, no client certificate).
pub fn client_config(roots: RootCertStore) -> Result<ClientConfig, LedgerError> {
    #[expect(
        deprecated,
        reason = "ring has no post-quantum key exchange; aws-lc-rs, which has, needs cmake and \
                  minutes of C to build on this project's two-core CI"
    )]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| LedgerError::Io(std::io::Error::other(format!("TLS: {e}"))))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_root_file_without_a_certificate_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let mut roots = RootCertStore::empty();
        let e = add_roots(&mut roots, &path).unwrap_err();
        assert!(e.to_string().contains("ca.pem"), "{e}");
        assert!(add_roots(&mut roots, Path::new("/no/such/file.pem")).is_err());
        assert!(roots.is_empty());
        assert!(!mozilla_roots().is_empty());
    }
}
