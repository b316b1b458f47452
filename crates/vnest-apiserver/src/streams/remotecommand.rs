//! exec and attach sessions over WebSocket (`v5`/`v4.channel.k8s.io`) or SPDY (the
//! v4 protocol: one SPDY stream per `streamtype`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::channel::{self, ERROR, RESIZE, STDERR, STDIN, STDOUT};
use super::spdy::{self, Event};
use super::{BoxRead, Exit, PodStreams, Session, StreamOptions, TerminalSize};

/// How long a SPDY client has to open the streams it asked for.
const STREAM_CREATION_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) struct Request {
    pub attach: bool,
    pub streams: Arc<dyn PodStreams>,
    pub pod: Value,
    pub opts: StreamOptions,
}

impl Request {
    async fn start(&self) -> Result<Session, String> {
        if self.attach {
            self.streams.attach(&self.pod, &self.opts).await
        } else {
            self.streams.exec(&self.pod, &self.opts).await
        }
    }

    fn status(&self, exit: &Exit) -> Vec<u8> {
        serde_json::to_vec(&channel::exit_status(exit, &self.opts.command)).unwrap_or_default()
    }
}

enum Inbound {
    Stdin(Bytes),
    StdinEof,
    Resize(TerminalSize),
}

enum Outbound {
    Stdout(Bytes),
    Stderr(Bytes),
}

async fn pump(r: Option<BoxRead>, stderr: bool, out: mpsc::Sender<Outbound>) {
    let Some(mut r) = r else { return };
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                let b = Bytes::copy_from_slice(&buf[..n]);
                let msg = if stderr {
                    Outbound::Stderr(b)
                } else {
                    Outbound::Stdout(b)
                };
                if out.send(msg).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Runs a session until it ends (its exit) or the client goes away (`None`; the
/// session is dropped, which ends an exec'd command).
async fn run(
    session: Session,
    mut inbound: mpsc::Receiver<Inbound>,
    out: mpsc::Sender<Outbound>,
) -> Option<Exit> {
    let Session {
        stdin,
        stdout,
        stderr,
        done,
    } = session;
    let (gone_tx, gone_rx) = oneshot::channel::<()>();
    let input = tokio::spawn(async move {
        let mut stdin = stdin;
        while let Some(msg) = inbound.recv().await {
            match msg {
                Inbound::Stdin(b) => {
                    if let Some(w) = stdin.as_mut() {
                        if w.write_all(&b).await.is_err() || w.flush().await.is_err() {
                            stdin = None;
                        }
                    }
                }
                Inbound::StdinEof => {
                    if let Some(mut w) = stdin.take() {
                        let _ = w.shutdown().await;
                    }
                }
                Inbound::Resize(size) => {
                    tracing::debug!(?size, "terminal resize (no terminal here; ignored)");
                }
            }
        }
        let _ = gone_tx.send(());
    });
    let outputs = futures::future::join(pump(stdout, false, out.clone()), pump(stderr, true, out));
    let result = tokio::select! {
        (exit, _) = futures::future::join(done, outputs) => Some(exit),
        _ = gone_rx => None,
    };
    input.abort();
    result
}

/// exec/attach over WebSocket.
pub(super) async fn over_websocket<S>(ws: WebSocketStream<S>, v5: bool, req: Request)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sink, mut stream) = ws.split();
    let (in_tx, in_rx) = mpsc::channel::<Inbound>(16);
    let reader = tokio::spawn(async move {
        while let Some(Ok(msg)) = stream.next().await {
            let data = match msg {
                Message::Binary(b) => b,
                Message::Close(_) => break,
                _ => continue,
            };
            let inbound = match channel::decode(&data) {
                Some((STDIN, p)) if !p.is_empty() => Inbound::Stdin(Bytes::copy_from_slice(p)),
                Some((RESIZE, p)) => match channel::parse_resize(p) {
                    Some(size) => Inbound::Resize(size),
                    None => continue,
                },
                Some((channel::CLOSE, [STDIN, ..])) if v5 => Inbound::StdinEof,
                _ => continue,
            };
            if in_tx.send(inbound).await.is_err() {
                break;
            }
        }
    });
    // The kubelet's "connection established" signal: an empty message on the lowest
    // channel the server writes.
    let first = if req.opts.stdout {
        STDOUT
    } else if req.opts.stderr {
        STDERR
    } else {
        ERROR
    };
    let _ = sink.send(Message::binary(vec![first])).await;
    let exit = match req.start().await {
        Ok(session) => {
            let (out_tx, mut out_rx) = mpsc::channel::<Outbound>(16);
            let forward = async {
                while let Some(o) = out_rx.recv().await {
                    let msg = match o {
                        Outbound::Stdout(b) => channel::encode(STDOUT, &b),
                        Outbound::Stderr(b) => channel::encode(STDERR, &b),
                    };
                    if sink.send(Message::binary(msg)).await.is_err() {
                        break;
                    }
                }
            };
            let (exit, _) = tokio::join!(run(session, in_rx, out_tx), forward);
            exit
        }
        Err(msg) => Some(Exit::Error(msg)),
    };
    if let Some(exit) = exit {
        let _ = sink
            .send(Message::binary(channel::encode(ERROR, &req.status(&exit))))
            .await;
    }
    let _ = sink.send(channel::normal_close()).await;
    let _ = sink.close().await;
    let mut reader = reader;
    if tokio::time::timeout(Duration::from_secs(2), &mut reader)
        .await
        .is_err()
    {
        reader.abort();
    }
}

/// exec/attach over SPDY: the client opens `error`, `stdin`, `stdout`, `stderr` and
/// `resize` streams (those it asked for), then the session runs.
pub(super) async fn over_spdy(conn: spdy::Connection, req: Request) {
    let (mut events, writer, finisher) = conn.into_parts();
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut wanted = vec!["error"];
    for (on, name) in [
        (req.opts.stdin, "stdin"),
        (req.opts.stdout, "stdout"),
        (req.opts.stderr, "stderr"),
    ] {
        if on {
            wanted.push(name);
        }
    }
    let mut early: Vec<Event> = Vec::new();
    let deadline = tokio::time::Instant::now() + STREAM_CREATION_TIMEOUT;
    while !wanted.iter().all(|w| ids.contains_key(*w)) {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(Event::Stream { id, headers, .. })) => {
                match spdy::header(&headers, "streamtype") {
                    Some(t @ ("error" | "stdin" | "stdout" | "stderr" | "resize")) => {
                        ids.insert(t.to_string(), id);
                    }
                    other => {
                        tracing::debug!(?other, "unexpected SPDY stream type");
                        let _ = writer.reset(id, spdy::RST_REFUSED_STREAM).await;
                    }
                }
            }
            Ok(Some(ev)) => early.push(ev),
            Ok(None) => return finisher.finish().await,
            Err(_) => {
                tracing::debug!("timed out waiting for the client to create streams");
                return finisher.finish().await;
            }
        }
    }
    let id = |name: &str| ids.get(name).copied();
    let (stdin_id, stdout_id, stderr_id, error_id) =
        (id("stdin"), id("stdout"), id("stderr"), id("error"));
    let mut resize_id = id("resize");
    let (in_tx, in_rx) = mpsc::channel::<Inbound>(16);
    let dispatch_writer = writer.clone();
    let dispatcher = tokio::spawn(async move {
        let mut resize_buf: Vec<u8> = Vec::new();
        let mut pending = early.into_iter();
        loop {
            let ev = match pending.next() {
                Some(ev) => ev,
                None => match events.recv().await {
                    Some(ev) => ev,
                    None => return,
                },
            };
            let mut send = Vec::new();
            match ev {
                Event::Stream { id, headers, .. } => {
                    if resize_id.is_none() && spdy::header(&headers, "streamtype") == Some("resize")
                    {
                        resize_id = Some(id);
                    } else {
                        let _ = dispatch_writer.reset(id, spdy::RST_REFUSED_STREAM).await;
                    }
                }
                Event::Data { id, data, fin } if Some(id) == stdin_id => {
                    if !data.is_empty() {
                        send.push(Inbound::Stdin(data));
                    }
                    if fin {
                        send.push(Inbound::StdinEof);
                    }
                }
                Event::Reset { id } if Some(id) == stdin_id => send.push(Inbound::StdinEof),
                Event::Data { id, data, .. } if Some(id) == resize_id => {
                    resize_buf.extend_from_slice(&data);
                    let (sizes, used) = channel::parse_resize_stream(&resize_buf);
                    resize_buf.drain(..used);
                    if resize_buf.len() > 4096 {
                        resize_buf.clear();
                    }
                    send.extend(sizes.into_iter().map(Inbound::Resize));
                }
                _ => {}
            }
            for msg in send {
                if in_tx.send(msg).await.is_err() {
                    return;
                }
            }
        }
    });
    let exit = match req.start().await {
        Ok(session) => {
            let (out_tx, mut out_rx) = mpsc::channel::<Outbound>(16);
            let forward = async {
                while let Some(o) = out_rx.recv().await {
                    let (id, b) = match o {
                        Outbound::Stdout(b) => (stdout_id, b),
                        Outbound::Stderr(b) => (stderr_id, b),
                    };
                    if let Some(id) = id {
                        if writer.data(id, b, false).await.is_err() {
                            break;
                        }
                    }
                }
            };
            let (exit, _) = tokio::join!(run(session, in_rx, out_tx), forward);
            exit
        }
        Err(msg) => Some(Exit::Error(msg)),
    };
    for id in [stdout_id, stderr_id, stdin_id, resize_id]
        .into_iter()
        .flatten()
    {
        let _ = writer.fin(id).await;
    }
    if let Some(error_id) = error_id {
        let status = match &exit {
            Some(exit) => Bytes::from(req.status(exit)),
            None => Bytes::new(),
        };
        let _ = writer.data(error_id, status, true).await;
    }
    dispatcher.abort();
    finisher.finish().await;
}
