//! The socket shell: hyper 1 over tokio, one task per connection, bodies collected up to the
//! limit and handed to [`App::handle`]. Shutdown is a future passed in: in-flight requests
//! finish, then `run` returns.

use std::future::Future;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::app::{App, BodyTooLarge, DropConnection, PeerAddr};

/// Why a connection was closed without a response (a fault rule asked for it).
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by a fault rule")]
struct Dropped;

/// Serves `app` on `listener` until `shutdown` resolves, then waits for open requests.
pub async fn run(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    app.start_background();
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        // Out of file descriptors and the like: back off briefly, keep serving.
                        tracing::warn!(%err, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let service = service_fn(move |req| serve_one(app.clone(), req, PeerAddr(peer)));
                let connection = graceful.watch(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
                tokio::spawn(async move {
                    if let Err(err) = connection.await {
                        tracing::debug!(%err, "connection ended with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

async fn serve_one(
    app: App,
    req: Request<Incoming>,
    peer: PeerAddr,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let (mut parts, body) = req.into_parts();
    let max = app.config().max_body_bytes;
    let declared: Option<usize> = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    // Never buffer more than the limit: refuse on the declared length, or stop reading there.
    let bytes = if declared.is_some_and(|n| n > max) {
        None
    } else {
        match Limited::new(body, max).collect().await {
            Ok(collected) => Some(collected.to_bytes()),
            Err(err) if err.downcast_ref::<http_body_util::LengthLimitError>().is_some() => None,
            Err(err) => {
                tracing::debug!(%err, "request body could not be read");
                return Err(Dropped);
            }
        }
    };
    parts.extensions.insert(peer);
    if bytes.is_none() {
        parts.extensions.insert(BodyTooLarge);
    }
    let response = app.handle(Request::from_parts(parts, bytes.unwrap_or_default())).await;
    if response.extensions().get::<DropConnection>().is_some() {
        return Err(Dropped);
    }
    Ok(response)
}
