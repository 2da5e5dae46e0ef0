//! Reports pushed to other systems (a district's duty desk, a venue's own system): each report
//! of a webhook's venue or division is POSTed to its URL as the record's JSON, signed with
//! HMAC-SHA-256 under the webhook's secret, and retried with exponential backoff until the
//! receiver answers 2xx (SPEC.md §16.6).
//!
//! Headers: `x-venuecode-timestamp` (Unix seconds), `x-venuecode-signature` (`sha256=` and the
//! hex HMAC of `timestamp.body`), `x-venuecode-delivery` (the record id: a receiver that got it
//! before ignores it). Plain `http://` only: a receiver elsewhere sits behind a TLS proxy.

use crate::reports::Report;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use sha2::Sha256;
use std::time::Duration;

/// The attempts a delivery gets: at once, then after 1, 2, 4, 8, 16 and 32 seconds.
pub(crate) const ATTEMPTS: u32 = 7;

/// The wait before a delivery's second attempt, doubled after each: 1 s.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(1);

/// How long one attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

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
    client: Client<HttpConnector, Full<bytes::Bytes>>,
    clock: crate::Clock,
    log: crate::LogSink,
    /// The wait before the second attempt (doubled each time).
    first_backoff: Duration,
}

impl Sender {
    pub(crate) fn new(clock: crate::Clock, log: crate::LogSink, first_backoff: Duration) -> Self {
        Sender {
            client: Client::builder(TokioExecutor::new()).build_http(),
            clock,
            log,
            first_backoff,
        }
    }

    /// Delivers a report to each webhook that wants it, each in its own task.
    pub(crate) fn deliver(&self, report: &Report, hooks: &[Webhook]) {
        for hook in hooks.iter().filter(|h| wants(h, report)) {
            let (sender, hook, report) = (self.clone(), hook.clone(), report.clone());
            tokio::spawn(async move { sender.attempts(&hook, &report).await });
        }
    }

    async fn attempts(&self, hook: &Webhook, report: &Report) {
        let mut wait = self.first_backoff;
        for attempt in 1..=ATTEMPTS {
            match self.once(hook, report).await {
                Ok(()) => return,
                Err(status) => (self.log)(&format!(
                    "webhook {} attempt {attempt} of {ATTEMPTS}: {status}",
                    hook.id
                )),
            }
            if attempt < ATTEMPTS {
                tokio::time::sleep(wait).await;
                wait = wait.saturating_mul(2);
            }
        }
    }

    async fn once(&self, hook: &Webhook, report: &Report) -> Result<(), String> {
        let timestamp = (self.clock)().unix();
        let body = report.json.clone().into_bytes();
        let request = hyper::Request::post(&hook.url)
            .header("content-type", "application/json")
            .header("x-venuecode-timestamp", timestamp.to_string())
            .header(
                "x-venuecode-signature",
                signature(&hook.secret, timestamp, &body),
            )
            .header("x-venuecode-delivery", &report.id)
            .body(Full::new(bytes::Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let response = tokio::time::timeout(ATTEMPT_TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| "timed out".to_owned())?
            .map_err(|e| e.to_string())?;
        let status = response.status();
        // Read (and drop) the body so the connection can be used again.
        let _ = response.into_body().collect().await;
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("answered {status}"))
        }
    }
}
