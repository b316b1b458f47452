//! Port forwarding over WebSocket channels (kube-rs; each port has a data channel
//! `2*i` and an error channel `2*i+1`, each opened by a message carrying the port) and
//! over SPDY (kubectl; per connection an `error` and a `data` stream sharing a
//! `requestid`), plain or tunnelled through WebSocket messages (kubectl 1.31+).

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::spdy::{self, Event};
use super::{channel, PodStreams};

fn error_message(pod: &Value, port: u16, err: &str) -> String {
    let s = |p: &str| pod.pointer(p).and_then(Value::as_str).unwrap_or("");
    format!(
        "error forwarding port {port} to pod {}, uid {}: {err}",
        s("/metadata/name"),
        s("/metadata/uid")
    )
}

/// A byte stream carried by the binary messages of a WebSocket (the SPDY tunnel).
pub(super) fn tunnel<S>(ws: WebSocketStream<S>) -> DuplexStream
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (ours, theirs) = tokio::io::duplex(256 * 1024);
    let (mut rd, mut wr) = tokio::io::split(theirs);
    let (mut sink, mut stream) = ws.split();
    tokio::spawn(async move {
        while let Some(Ok(msg)) = stream.next().await {
            let data = match msg {
                Message::Binary(b) => b,
                Message::Close(_) => break,
                _ => continue,
            };
            if wr.write_all(&data).await.is_err() {
                break;
            }
        }
        let _ = wr.shutdown().await;
    });
    tokio::spawn(async move {
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if sink.send(Message::binary(buf[..n].to_vec())).await.is_err() {
                        return;
                    }
                }
            }
        }
        let _ = sink.send(channel::normal_close()).await;
        let _ = sink.close().await;
    });
    ours
}

/// The WebSocket channel protocol: every port is dialled at once; the connection ends
/// when every port's remote side has closed or the client hangs up.
pub(super) async fn over_websocket<S>(
    ws: WebSocketStream<S>,
    ports: Vec<u16>,
    streams: Arc<dyn PodStreams>,
    pod: Value,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sink, mut stream) = ws.split();
    let (out_tx, mut out_rx) = mpsc::channel::<Vec<u8>>(32);
    let writer = tokio::spawn(async move {
        while let Some(m) = out_rx.recv().await {
            if sink.send(Message::binary(m)).await.is_err() {
                return;
            }
        }
        let _ = sink.send(channel::normal_close()).await;
        let _ = sink.close().await;
    });
    let mut writers = Vec::new();
    let mut readers = JoinSet::new();
    let (done_tx, mut done_rx) = mpsc::channel::<usize>(ports.len().max(1));
    for (i, port) in ports.iter().copied().enumerate() {
        let (data_ch, err_ch) = ((2 * i) as u8, (2 * i + 1) as u8);
        let _ = out_tx.send(channel::port_message(data_ch, port)).await;
        let _ = out_tx.send(channel::port_message(err_ch, port)).await;
        match streams.portforward(&pod, port).await {
            Ok(conn) => {
                let (mut r, w) = tokio::io::split(conn);
                writers.push(Some(w));
                let out = out_tx.clone();
                let done = done_tx.clone();
                readers.spawn(async move {
                    let mut buf = vec![0u8; 32 * 1024];
                    loop {
                        match r.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                if out.send(channel::encode(data_ch, &buf[..n])).await.is_err() {
                                    break;
                                }
                            }
                        }
                    }
                    let _ = done.send(i).await;
                });
            }
            Err(e) => {
                writers.push(None);
                let msg = error_message(&pod, port, &e);
                let _ = out_tx.send(channel::encode(err_ch, msg.as_bytes())).await;
                let _ = done_tx.send(i).await;
            }
        }
    }
    let mut open = ports.len();
    while open > 0 {
        tokio::select! {
            msg = stream.next() => match msg {
                Some(Ok(Message::Binary(b))) => {
                    if let Some((ch, payload)) = channel::decode(&b) {
                        let i = usize::from(ch / 2);
                        if ch % 2 == 0 && !payload.is_empty() {
                            if let Some(Some(w)) = writers.get_mut(i) {
                                if w.write_all(payload).await.is_err() {
                                    writers[i] = None;
                                }
                            }
                        }
                    }
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            Some(_) = done_rx.recv() => open -= 1,
        }
    }
    readers.abort_all();
    drop(writers);
    drop(out_tx);
    let _ = writer.await;
}

#[derive(Default)]
struct Pair {
    port: u16,
    error: Option<u32>,
    data: Option<u32>,
}

/// The SPDY protocol: streams arrive in pairs (`streamtype: error` and `data`, same
/// `port` and `requestid`); each pair is one connection to the port.
pub(super) async fn over_spdy(conn: spdy::Connection, streams: Arc<dyn PodStreams>, pod: Value) {
    let (mut events, writer, finisher) = conn.into_parts();
    let mut pairs: HashMap<String, Pair> = HashMap::new();
    let mut routes: HashMap<u32, mpsc::Sender<Bytes>> = HashMap::new();
    let mut tasks = JoinSet::new();
    while let Some(ev) = events.recv().await {
        match ev {
            Event::Stream { id, headers, .. } => {
                let port = spdy::header(&headers, "port").and_then(|p| p.parse::<u16>().ok());
                let (Some(port), Some(request)) =
                    (port.filter(|p| *p > 0), spdy::header(&headers, "requestid"))
                else {
                    tracing::debug!(
                        ?headers,
                        "port-forward stream without a valid port or requestid"
                    );
                    let _ = writer.reset(id, spdy::RST_PROTOCOL_ERROR).await;
                    continue;
                };
                let pair = pairs.entry(request.to_string()).or_default();
                pair.port = port;
                match spdy::header(&headers, "streamtype") {
                    Some("error") => pair.error = Some(id),
                    Some("data") => pair.data = Some(id),
                    _ => {
                        let _ = writer.reset(id, spdy::RST_PROTOCOL_ERROR).await;
                        continue;
                    }
                }
                if let (Some(error), Some(data)) = (pair.error, pair.data) {
                    let port = pair.port;
                    pairs.remove(request);
                    let (tx, rx) = mpsc::channel::<Bytes>(16);
                    routes.insert(data, tx);
                    tasks.spawn(forward(
                        streams.clone(),
                        pod.clone(),
                        port,
                        error,
                        data,
                        writer.clone(),
                        rx,
                    ));
                }
            }
            Event::Data { id, data, fin } => {
                if let Some(tx) = routes.get(&id) {
                    if !data.is_empty() && tx.send(data).await.is_err() {
                        routes.remove(&id);
                    }
                    if fin {
                        // Dropping the route half-closes the connection to the port.
                        routes.remove(&id);
                    }
                }
            }
            Event::Reset { id } => {
                routes.remove(&id);
            }
        }
        while tasks.try_join_next().is_some() {}
    }
    tasks.abort_all();
    finisher.finish().await;
}

async fn forward(
    streams: Arc<dyn PodStreams>,
    pod: Value,
    port: u16,
    error_id: u32,
    data_id: u32,
    writer: spdy::Writer,
    mut from_client: mpsc::Receiver<Bytes>,
) {
    let conn = match streams.portforward(&pod, port).await {
        Ok(c) => c,
        Err(e) => {
            let msg = error_message(&pod, port, &e);
            tracing::debug!(%msg, "port-forward");
            let _ = writer.data(error_id, Bytes::from(msg), true).await;
            let _ = writer.fin(data_id).await;
            return;
        }
    };
    let (mut r, mut w) = tokio::io::split(conn);
    let up = tokio::spawn(async move {
        while let Some(b) = from_client.recv().await {
            if w.write_all(&b).await.is_err() {
                return;
            }
        }
        let _ = w.shutdown().await;
    });
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if writer
                    .data(data_id, Bytes::copy_from_slice(&buf[..n]), false)
                    .await
                    .is_err()
                {
                    break;
                }
            }
        }
    }
    let _ = writer.fin(data_id).await;
    let _ = writer.fin(error_id).await;
    up.abort();
}
