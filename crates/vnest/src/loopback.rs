//! kube clients of the API server in this very process: HTTP/2 over the in-memory
//! pipe of [`vnest_apiserver::RunningServer::loopback_connection`], no TCP, no TLS.
//! The controllers, the dev host's scheduler and nodes, and the syncer's virtual side
//! all share one such connection.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use anyhow::Context as _;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper::client::conn::http2::SendRequest;

/// The tower service under the kube client: one multiplexed HTTP/2 connection.
#[derive(Clone)]
struct LoopbackService {
    send: SendRequest<kube::client::Body>,
}

type ResponseFuture =
    Pin<Box<dyn Future<Output = Result<Response<Incoming>, hyper::Error>> + Send>>;

impl tower_service::Service<Request<kube::client::Body>> for LoopbackService {
    type Response = Response<Incoming>;
    type Error = hyper::Error;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.send.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<kube::client::Body>) -> Self::Future {
        // HTTP/2 requests carry a scheme and an authority; kube sends paths.
        let path = req
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        if let Ok(uri) = format!("http://loopback{path}").parse() {
            *req.uri_mut() = uri;
        }
        Box::pin(self.send.send_request(req))
    }
}

/// A kube client of `server` from inside its process, acting as the loopback admin.
pub async fn client(server: &vnest_apiserver::RunningServer) -> anyhow::Result<kube::Client> {
    let io = server.loopback_connection();
    let (send, connection) =
        hyper::client::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
            .initial_connection_window_size(8 * 1024 * 1024)
            .initial_stream_window_size(2 * 1024 * 1024)
            .handshake(hyper_util::rt::TokioIo::new(io))
            .await
            .context("opening the in-process connection to the API server")?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::error!(error = %e, "the in-process connection to the API server failed");
        }
    });
    Ok(kube::Client::new(LoopbackService { send }, "default"))
}
