//! Reports pushed to other systems (a district's duty desk, a venue's own system): each report
//! of a webhook's venue or division is POSTed to its URL as the record's JSON, signed with
//! HMAC-SHA-256 under the webhook's secret, and retried with exponential backoff until the
//! receiver answers 2xx (SPEC.md §16.6). Deliveries are rows of the store
//! ([`venuecode_ledger::outbox`]): made once for the whole service, each claimed by one node for
//! a lease, a retry's time kept in the row, so a restart or a node killed loses none.
//!
//! Headers: `x-venuecode-timestamp` (Unix seconds), `x-venuecode-signature` (`sha256=` and the
//! hex HMAC of `timestamp.body`), `x-venuecode-delivery` (the record id: a receiver that got it
//! before ignores it). `https://` (rustls: the receiver's certificate verified against
//! Mozilla's roots and `Config::webhook_ca`'s) or plain `http://`.
//!
//! A webhook cannot point the service at its own network: unless the operator allows it
//! (`Config::private_webhooks`), an address that is loopback, private, link-local (the cloud
//! metadata service) or otherwise not public is never connected to, whether the URL names it
//! or its host resolves to it. An attempt reads at most [`MAX_ANSWER_BYTES`] of the answer
//! and ends after [`ATTEMPT_TIMEOUT`]; a node attempts at most [`MAX_PENDING`] at once.

use crate::reports::Report;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::{GaiResolver, Name};
use hyper_util::rt::TokioExecutor;
use sha2::Sha256;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::Semaphore;
use venuecode_ledger::outbox::Delivery;

/// The attempts a delivery gets: at once, then after 1, 2, 4, 8, 16 and 32 seconds.
pub(crate) const ATTEMPTS: u32 = 7;

/// The wait before a delivery's second attempt, doubled after each: 1 s.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(1);

/// How long one attempt may take, its answer read.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// The most of a receiver's answer read: its status is what counts.
const MAX_ANSWER_BYTES: usize = 64 << 10;

/// The most deliveries a node attempts at once.
const MAX_PENDING: usize = 64;

/// How often a node makes deliveries of new reports and claims those due.
const DELIVER_EVERY: Duration = Duration::from_millis(200);

/// Whether a delivery may reach `ip` without the operator's leave: a public address, not
/// loopback, private (RFC 1918, unique local), link-local (the cloud metadata service at
/// 169.254.169.254), shared (100.64.0.0/10), unspecified, broadcast or multicast.
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80)
            }
        },
    }
}

/// Resolves a webhook's host to the addresses a delivery may reach (all of them, if the
/// operator allows private ones): a name that resolves to the service's own network reaches
/// nothing.
#[derive(Clone)]
struct Resolver {
    gai: GaiResolver,
    private: bool,
}

type Resolving =
    Pin<Box<dyn Future<Output = Result<std::vec::IntoIter<SocketAddr>, std::io::Error>> + Send>>;

impl tower::Service<Name> for Resolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = std::io::Error;
    type Future = Resolving;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), std::io::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Resolving {
        let (mut gai, private) = (self.gai.clone(), self.private);
        Box::pin(async move {
            let found: Vec<SocketAddr> = gai
                .call(name)
                .await?
                .filter(|a| private || is_public(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    "the host has no public address",
                ));
            }
            Ok(found.into_iter())
        })
    }
}

pub(crate) use venuecode_ledger::directory::Webhook;

/// Whether a report is this webhook's.
pub(crate) fn wants(hook: &Webhook, report: &Report) -> bool {
    match (&hook.venue_id, &hook.division) {
        (Some(v), _) => *v == report.venue_id,
        (None, Some(d)) => report
            .division
            .is_some_and(|x| venuecode::division_in(std::slice::from_ref(d), x)),
        (None, None) => false,
    }
}

/// The signature of a delivery: `sha256=` and the hex HMAC-SHA-256 of `timestamp.body`.
pub(crate) fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Sends reports to webhooks.
#[derive(Clone)]
pub(crate) struct Sender {
    client: Client<HttpsConnector<HttpConnector<Resolver>>, Full<bytes::Bytes>>,
    clock: crate::Clock,
    log: crate::LogSink,
    /// The wait before the second attempt (doubled each time).
    first_backoff: Duration,
    /// Whether deliveries may reach loopback, private and link-local addresses.
    private: bool,
}

impl Sender {
    pub(crate) fn new(
        clock: crate::Clock,
        log: crate::LogSink,
        first_backoff: Duration,
        private: bool,
        tls: venuecode_ledger::tls::ClientConfig,
    ) -> Self {
        let resolver = Resolver {
            gai: GaiResolver::new(),
            private,
        };
        let mut http = HttpConnector::new_with_resolver(resolver);
        http.enforce_http(false);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Sender {
            client: Client::builder(TokioExecutor::new()).build(https),
            clock,
            log,
            first_backoff,
            private,
        }
    }

    /// One attempt of a claimed delivery, then its row settled: done when taken, when its
    /// webhook is gone or names a private address, or after [`ATTEMPTS`]; else due again after
    /// the backoff.
    async fn attempt(
        &self,
        store: &venuecode_ledger::store::Store,
        d: Delivery,
        hook: Option<Webhook>,
    ) {
        let result = match &hook {
            None => Err(format!(
                "webhook {}: removed; report {} not delivered",
                d.webhook, d.report.record_id
            )),
            Some(hook) if self.refused(hook) => Err(format!(
                "webhook {}: refused: not a public address; not delivered",
                d.webhook
            )),
            Some(hook) => self.once(hook, &d.report).await.map_err(|why| {
                format!(
                    "webhook {} attempt {} of {ATTEMPTS}: {why}",
                    d.webhook, d.attempts
                )
            }),
        };
        let retry = match result {
            Ok(()) => None,
            Err(said) => {
                (self.log)(&said);
                let attempted = hook.is_some_and(|h| !self.refused(&h));
                if attempted && d.attempts >= ATTEMPTS {
                    (self.log)(&format!(
                        "webhook {}: report {} not delivered",
                        d.webhook, d.report.record_id
                    ));
                }
                let wait = self
                    .first_backoff
                    .saturating_mul(1 << d.attempts.saturating_sub(1).min(20));
                let wait = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
                (attempted && d.attempts < ATTEMPTS)
                    .then(|| venuecode_ledger::outbox::now_ms().saturating_add(wait))
            }
        };
        if let Err(e) = store.settle_delivery(&d, retry).await {
            (self.log)(&format!("webhook {}: delivery not settled: {e}", d.webhook));
        }
    }

    /// Whether a URL whose host is written as an address names one a delivery may not reach
    /// (a host name is checked by the resolver, at each attempt).
    fn refused(&self, hook: &Webhook) -> bool {
        let literal = hook
            .url
            .parse::<hyper::Uri>()
            .ok()
            .and_then(|u| u.host()?.trim_matches(['[', ']']).parse::<IpAddr>().ok());
        literal.is_some_and(|ip| !self.private && !is_public(ip))
    }

    async fn once(&self, hook: &Webhook, report: &Report) -> Result<(), String> {
        let timestamp = (self.clock)().unix();
        let body = report.body.clone().into_bytes();
        let request = hyper::Request::post(&hook.url)
            .header("content-type", "application/json")
            .header("x-venuecode-timestamp", timestamp.to_string())
            .header(
                "x-venuecode-signature",
                signature(&hook.secret, timestamp, &body),
            )
            .header("x-venuecode-delivery", &report.record_id)
            .body(Full::new(bytes::Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let attempt = async {
            let response =
                self.client.request(request).await.map_err(
                    |e| match std::error::Error::source(&e) {
                        Some(cause) => format!("{e}: {cause}"),
                        None => e.to_string(),
                    },
                )?;
            let status = response.status();
            // Read (at most so much, and dropped) so the connection can be used again.
            let _ = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
                .collect()
                .await;
            Ok::<_, String>(status)
        };
        let status = tokio::time::timeout(ATTEMPT_TIMEOUT, attempt)
            .await
            .map_err(|_| "timed out".to_owned())??;
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("answered {status}"))
        }
    }
}

/// A node's deliveries, for as long as the service runs: every [`DELIVER_EVERY`], the new
/// reports made into deliveries (once for the service), then as many due deliveries claimed as
/// this node has room to attempt, each attempted in a task of its own.
pub(crate) async fn run(s: Arc<crate::Shared>) {
    let room = Arc::new(Semaphore::new(MAX_PENDING));
    loop {
        tokio::time::sleep(DELIVER_EVERY).await;
        let shared = s.clone();
        let hooks = match tokio::task::spawn_blocking(move || shared.directory.webhooks()).await {
            Ok(Ok(hooks)) => Arc::new(hooks),
            Ok(Err(e)) => {
                (s.settings.log)(&format!("webhooks not read: {e}"));
                continue;
            }
            Err(_) => continue,
        };
        let wanted = hooks.clone();
        let dispatched = s
            .store
            .dispatch(move |report| {
                wanted
                    .iter()
                    .filter(|h| wants(h, report))
                    .map(|h| h.id)
                    .collect()
            })
            .await;
        if let Err(e) = dispatched {
            (s.settings.log)(&format!("reports not made into deliveries: {e}"));
        }
        let free = room.available_permits();
        if free == 0 {
            continue;
        }
        let limit = i64::try_from(free).unwrap_or(i64::MAX);
        let claimed = match s
            .store
            .claim_deliveries(venuecode_ledger::outbox::now_ms(), limit)
            .await
        {
            Ok(claimed) => claimed,
            Err(e) => {
                (s.settings.log)(&format!("deliveries not claimed: {e}"));
                continue;
            }
        };
        for d in claimed {
            let Ok(place) = room.clone().try_acquire_owned() else {
                break;
            };
            let hook = hooks.iter().find(|h| h.id == d.webhook).cloned();
            let (sender, store) = (s.webhooks.clone(), s.store.clone());
            tokio::spawn(async move {
                sender.attempt(&store, d, hook).await;
                drop(place);
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["8.8.8.8", "202.96.209.5", "100.128.0.1", "2400:3200::1"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
