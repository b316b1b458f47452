//! The HTTP side of streaming requests: kube-apiserver's and the kubelet's checks,
//! protocol negotiation, the `101 Switching Protocols` answer, and handing the
//! upgraded connection to the session code.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::WebSocketStream;
use vnest_api::status::ApiError;

use super::{channel, portforward, remotecommand, spdy, PodStreams, StreamOptions};
use crate::rest::{ResourceDef, Rest};

type Body = BoxBody<Bytes, Infallible>;

/// `pods/exec`, `pods/attach`, `pods/portforward`.
pub fn is_stream_subresource(def: &ResourceDef, sub: Option<&str>) -> bool {
    def.group.is_empty()
        && def.resource == "pods"
        && matches!(sub, Some("exec" | "attach" | "portforward"))
}

fn text(status: u16, msg: impl Into<String>) -> Response<Body> {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from(msg.into())).boxed())
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()).boxed()))
}

/// Every value of every query parameter, in order.
fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (
                crate::request::percent_decode(&k.replace('+', " ")),
                crate::request::percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

fn values<'a>(pairs: &'a [(String, String)], key: &'a str) -> impl Iterator<Item = &'a str> {
    pairs
        .iter()
        .filter(move |(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn flag(pairs: &[(String, String)], key: &str) -> bool {
    values(pairs, key)
        .next()
        .is_some_and(crate::request::go_bool)
}

/// The ports of a WebSocket port-forward (`?ports=80&ports=8080` or `?ports=80,8080`),
/// with the kubelet's errors.
pub(super) fn parse_ports(pairs: &[(String, String)]) -> Result<Vec<u16>, String> {
    let mut out = Vec::new();
    for v in values(pairs, "ports").flat_map(|v| v.split(',')) {
        let v = v.trim();
        let port: u16 = v
            .parse()
            .map_err(|e| format!("unable to parse {v:?} as a port: {e}"))?;
        if port == 0 {
            return Err(format!("port {v:?} must be > 0"));
        }
        out.push(port);
    }
    Ok(out)
}

fn header_values(headers: &HeaderMap, name: &str) -> Vec<String> {
    channel::header_list(headers.get_all(name).iter().filter_map(|v| v.to_str().ok()))
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Transport {
    WebSocket,
    Spdy,
}

/// Serves one streaming request: checks, then `101` and the session in a task.
#[allow(clippy::too_many_arguments)]
pub async fn handle(
    rest: &Rest,
    streams: Arc<dyn PodStreams>,
    mut req: Request<Incoming>,
    def: &ResourceDef,
    ns: &str,
    name: &str,
    sub: &str,
) -> Result<Response<Body>, ApiError> {
    if req.method() != Method::GET && req.method() != Method::POST {
        return Err(ApiError::method_not_allowed());
    }
    let pairs = query_pairs(req.uri().query());
    let pod = rest.get_object(def, Some(ns), name).await?;
    let single: std::collections::HashMap<String, String> = pairs
        .iter()
        .rev()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    crate::subresources::pod_stream_target(name, &pod, sub, &single)?;
    let container = match single.get("container").filter(|c| !c.is_empty()) {
        Some(c) => c.clone(),
        None => pod
            .pointer("/spec/containers/0/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
    };
    let opts = StreamOptions {
        container: container.clone(),
        command: values(&pairs, "command").map(str::to_string).collect(),
        stdin: flag(&pairs, "stdin"),
        stdout: flag(&pairs, "stdout"),
        stderr: flag(&pairs, "stderr"),
        tty: flag(&pairs, "tty"),
    };
    let upgrade = req
        .headers()
        .get_all("upgrade")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join(",");
    let transport = if upgrade.contains("websocket") {
        Transport::WebSocket
    } else if upgrade.contains("spdy/3.1") {
        Transport::Spdy
    } else {
        return Ok(text(400, "Upgrade request required"));
    };
    let mut ports = Vec::new();
    if sub == "portforward" {
        ports = match parse_ports(&pairs) {
            Ok(p) => p,
            Err(e) => return Ok(text(400, e)),
        };
    } else {
        if sub == "exec" && opts.command.is_empty() {
            return Err(ApiError::bad_request(
                "you must specify at least one command for the container",
            ));
        }
        if !opts.stdin && !opts.stdout && !opts.stderr {
            return Err(ApiError::bad_request(
                "you must specify at least 1 of stdin, stdout, stderr",
            ));
        }
        if opts.tty && opts.stderr {
            return Ok(text(400, "tty and stderr cannot both be true"));
        }
        // The kubelet's answer for a container that is not running.
        if let Err(msg) = streams.check(&pod, &container).await {
            return Ok(text(500, msg));
        }
    }
    let supported: &[&str] = match (sub, transport) {
        ("portforward", Transport::WebSocket) => &[
            channel::SPDY_TUNNEL_PORT_FORWARD,
            channel::V4,
            channel::PORT_FORWARD,
        ],
        ("portforward", Transport::Spdy) => &[channel::PORT_FORWARD],
        (_, Transport::WebSocket) => &[channel::V5, channel::V4],
        (_, Transport::Spdy) => &[channel::V4],
    };
    let mut resp = Response::builder().status(StatusCode::SWITCHING_PROTOCOLS);
    let protocol = match transport {
        Transport::WebSocket => {
            let offered = header_values(req.headers(), "sec-websocket-protocol");
            let Some(protocol) = channel::negotiate(&offered, supported) else {
                return Ok(text(
                    400,
                    format!(
                        "unable to upgrade: unable to negotiate protocol: client supports {offered:?}, server accepts {supported:?}"
                    ),
                ));
            };
            let Some(key) = req.headers().get("sec-websocket-key") else {
                return Ok(text(
                    400,
                    "websocket: the client is missing Sec-WebSocket-Key",
                ));
            };
            let accept =
                tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
            resp = resp
                .header("upgrade", "websocket")
                .header("connection", "Upgrade")
                .header("sec-websocket-accept", accept)
                .header("sec-websocket-protocol", protocol);
            protocol
        }
        Transport::Spdy => {
            let offered = header_values(req.headers(), "x-stream-protocol-version");
            let Some(protocol) = channel::negotiate(&offered, supported) else {
                return Ok(text(
                    403,
                    format!(
                        "unable to upgrade: unable to negotiate protocol: client supports {offered:?}, server accepts {supported:?}"
                    ),
                ));
            };
            resp = resp
                .header("connection", "Upgrade")
                .header("upgrade", "SPDY/3.1")
                .header("x-stream-protocol-version", protocol);
            protocol
        }
    };
    let on_upgrade = hyper::upgrade::on(&mut req);
    let sub = sub.to_string();
    tracing::debug!(pod = %name, %sub, ?transport, %protocol, "streaming upgrade");
    tokio::spawn(async move {
        let io = match on_upgrade.await {
            Ok(up) => TokioIo::new(up),
            Err(e) => {
                tracing::debug!(error = %e, "upgrade failed");
                return;
            }
        };
        let session = remotecommand::Request {
            attach: sub == "attach",
            streams: streams.clone(),
            pod: pod.clone(),
            opts,
        };
        match (sub.as_str(), transport) {
            ("portforward", Transport::WebSocket) => {
                let ws = WebSocketStream::from_raw_socket(io, Role::Server, None).await;
                if protocol == channel::SPDY_TUNNEL_PORT_FORWARD {
                    match spdy::Connection::start(portforward::tunnel(ws)) {
                        Ok(conn) => portforward::over_spdy(conn, streams, pod).await,
                        Err(e) => tracing::debug!(error = %e, "SPDY tunnel"),
                    }
                } else {
                    portforward::over_websocket(ws, ports, streams, pod).await;
                }
            }
            ("portforward", Transport::Spdy) => match spdy::Connection::start(io) {
                Ok(conn) => portforward::over_spdy(conn, streams, pod).await,
                Err(e) => tracing::debug!(error = %e, "SPDY connection"),
            },
            (_, Transport::WebSocket) => {
                let ws = WebSocketStream::from_raw_socket(io, Role::Server, None).await;
                remotecommand::over_websocket(ws, protocol == channel::V5, session).await;
            }
            (_, Transport::Spdy) => match spdy::Connection::start(io) {
                Ok(conn) => remotecommand::over_spdy(conn, session).await,
                Err(e) => tracing::debug!(error = %e, "SPDY connection"),
            },
        }
    });
    Ok(resp
        .body(Full::new(Bytes::new()).boxed())
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new()).boxed())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_keep_repeated_values() {
        let p = query_pairs(Some(
            "command=sh&command=-c&command=echo+hi%3B+pwd&stdout=true&tty=0",
        ));
        assert_eq!(
            values(&p, "command").collect::<Vec<_>>(),
            vec!["sh", "-c", "echo hi; pwd"]
        );
        assert!(flag(&p, "stdout"));
        assert!(!flag(&p, "tty"));
        assert!(!flag(&p, "stdin"));
    }

    #[test]
    fn ports() {
        let p = query_pairs(Some("ports=80,8080&ports=9090"));
        assert_eq!(parse_ports(&p), Ok(vec![80, 8080, 9090]));
        assert!(parse_ports(&query_pairs(Some("ports=x"))).is_err());
        assert_eq!(
            parse_ports(&query_pairs(Some("ports=0"))),
            Err("port \"0\" must be > 0".to_string())
        );
    }
}
