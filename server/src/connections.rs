//! The service's connections (SPEC.md §16.3): at most so many in all and from one client
//! address, and none kept longer than its headers take, or than it stays idle between
//! requests. A client that opens connections and sends nothing holds them for
//! [`Limits::header_timeout`] at most, and never more than its share: another client's
//! check-in still gets in.

use crate::Limits;
use crate::caps::Caps;
use crate::counters::{Counters, Refusal};
use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Serves `app` on `listener` until `shutdown`, then lets the requests under way finish (at
/// most the request timeout).
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: Limits,
    counters: Arc<Counters>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let held = Caps::<IpAddr>::new(limits.connections, limits.connections_per_address);
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
        let Some(place) = held.take(&peer.ip()) else {
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
            drop(place);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(limits.timeout, graceful.shutdown()).await;
}
