//! The service's connections (SPEC.md §16.3): at most so many in all and from one client
//! address, and none kept longer than its headers take, or than it stays idle between
//! requests. A client that opens connections and sends nothing holds them for
//! [`Limits::header_timeout`] at most, and never more than its share: another client's
//! check-in still gets in.

use crate::Limits;
use crate::counters::{Counters, Refusal};
use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The connections held, in all and by client address.
#[derive(Default)]
struct Held {
    all: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// One connection's place in [`Held`], given back when it closes.
struct Slot {
    held: Arc<Mutex<Held>>,
    address: IpAddr,
}

impl Slot {
    /// A place for a connection from `address`, if the caps leave one.
    fn take(held: &Arc<Mutex<Held>>, address: IpAddr, limits: &Limits) -> Option<Slot> {
        let mut h = held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mine = h.by_address.get(&address).copied().unwrap_or(0);
        let per_address = limits.connections_per_address;
        if h.all >= limits.connections || (per_address > 0 && mine >= per_address) {
            return None;
        }
        h.all += 1;
        h.by_address.insert(address, mine + 1);
        Some(Slot {
            held: held.clone(),
            address,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut h = self
            .held
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        h.all = h.all.saturating_sub(1);
        if let Some(n) = h.by_address.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                h.by_address.remove(&self.address);
            }
        }
    }
}

/// Serves `app` on `listener` until `shutdown`, then lets the requests under way finish (at
/// most the request timeout).
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: Limits,
    counters: Arc<Counters>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let held = Arc::new(Mutex::new(Held::default()));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    // The header timeout runs from the moment the connection waits for a request's first
    // byte: it bounds slow headers and idle keep-alive alike.
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors, or a connection reset before it was taken: the
                // connections held close by their timeouts; wait a little rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = Slot::take(&held, peer.ip(), &limits) else {
            counters.refused(Refusal::TooManyConnections);
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = tower::ServiceExt::map_request(
            app.clone(),
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(ConnectInfo::<SocketAddr>(peer));
                request
            },
        );
        let connection = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A connection's end is no error of the service's (a client gone, a timeout).
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(limits.timeout, graceful.shutdown()).await;
}
