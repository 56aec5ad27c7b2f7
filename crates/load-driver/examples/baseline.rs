//! The physical baseline for benchmarks: a minimal hyper server that answers every request
//! with a fixed JSON body. No auth, no state, no disk. Usage: `baseline 127.0.0.1:PORT`.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

const BODY: &str = r#"{"item":100,"location":3,"quantityOnHand":25,"quantityAvailable":25,"quantityCommitted":0,"quantityOnOrder":0,"quantityInTransit":0,"quantityBackOrdered":0}"#;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8099".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("baseline listening on http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
                // Read the body, as a real server must, then answer.
                let _ = req.into_body().collect().await;
                let mut response =
                    hyper::Response::new(Full::new(Bytes::from_static(BODY.as_bytes())));
                response.headers_mut().insert(
                    "content-type",
                    hyper::header::HeaderValue::from_static("application/json"),
                );
                Ok::<_, Infallible>(response)
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}
