//! `GET /healthz`: whether this node can do its work, for a load balancer to take it out of
//! service when it cannot: its records store takes a write and a read, and its directory a
//! read. Asked of the databases at most once a second, whoever calls; why a store fails goes
//! to the log, not to the anonymous caller.

use crate::Shared_;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an answer stands.
const MEMO: Duration = Duration::from_secs(1);

/// The last answer, and when it was found.
#[derive(Default)]
pub(crate) struct Health {
    last: Mutex<Option<(Instant, Failing)>>,
}

/// What does not answer: `records`, `directory`.
type Failing = Vec<&'static str>;

/// The answer (schema `Health`).
#[derive(Serialize)]
struct Answer<'a> {
    /// `ok`, or `unavailable`.
    status: &'static str,
    /// What does not answer: `records`, `directory`.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    unavailable: &'a [&'static str],
}

pub(crate) async fn health(State(s): Shared_) -> Response {
    let memo = s
        .health
        .last
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
        .filter(|(at, _)| at.elapsed() < MEMO);
    let failing = match memo {
        Some((_, failing)) => failing,
        None => {
            let mut failing = Vec::new();
            if let Err(e) = s.store.answers().await {
                (s.settings.log)(&format!("health: the records store: {e}"));
                failing.push("records");
            }
            let directory = s.directory.clone();
            let answered = tokio::task::spawn_blocking(move || directory.answers()).await;
            let failed = match answered {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e.to_string()),
                Err(e) => Some(e.to_string()),
            };
            if let Some(e) = failed {
                (s.settings.log)(&format!("health: the directory: {e}"));
                failing.push("directory");
            }
            *s.health
                .last
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) =
                Some((Instant::now(), failing.clone()));
            failing
        }
    };
    let (status, word) = if failing.is_empty() {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    };
    let answer = Answer {
        status: word,
        unavailable: &failing,
    };
    (status, Json(answer)).into_response()
}
