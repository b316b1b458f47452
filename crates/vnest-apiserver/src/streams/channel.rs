//! The channel protocols of `pods/exec`, `pods/attach` and `pods/portforward` over
//! WebSocket (`v4.channel.k8s.io`, `v5.channel.k8s.io`): every binary message starts
//! with one byte naming its channel. Pure functions, no I/O.

use serde_json::{json, Value};

use super::{Exit, TerminalSize};

pub const STDIN: u8 = 0;
pub const STDOUT: u8 = 1;
pub const STDERR: u8 = 2;
/// The error channel: one metav1.Status (v4, v5) when the command ends.
pub const ERROR: u8 = 3;
/// Terminal resize events from the client, `{"Width":W,"Height":H}`.
pub const RESIZE: u8 = 4;
/// v5 only: the client closes the channel named by the payload's first byte.
pub const CLOSE: u8 = 255;

pub const V5: &str = "v5.channel.k8s.io";
pub const V4: &str = "v4.channel.k8s.io";
/// Port forwarding over WebSocket as kubelets serve it (kube-rs asks for the channel
/// protocols above and gets the same framing).
pub const PORT_FORWARD: &str = "portforward.k8s.io";
/// kubectl 1.31+: SPDY/3.1 tunnelled through binary WebSocket messages.
pub const SPDY_TUNNEL_PORT_FORWARD: &str = "SPDY/3.1+portforward.k8s.io";

/// The close message kube's clients read as a clean end (1000, normal closure; a
/// close without a code reads as an error to gorilla/websocket).
pub fn normal_close() -> tokio_tungstenite::tungstenite::Message {
    use tokio_tungstenite::tungstenite::protocol::frame::{coding::CloseCode, CloseFrame};
    tokio_tungstenite::tungstenite::Message::Close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    }))
}

/// One message of a channel: the channel byte, then the payload.
pub fn encode(channel: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 1);
    out.push(channel);
    out.extend_from_slice(payload);
    out
}

/// The channel and payload of a message; an empty message has neither.
pub fn decode(message: &[u8]) -> Option<(u8, &[u8])> {
    let (&channel, payload) = message.split_first()?;
    Some((channel, payload))
}

/// The first message of each port-forward channel: the port, little endian.
pub fn port_message(channel: u8, port: u16) -> Vec<u8> {
    encode(channel, &port.to_le_bytes())
}

/// A resize event (`{"Width":80,"Height":24}`); anything else is ignored.
pub fn parse_resize(payload: &[u8]) -> Option<TerminalSize> {
    let v: Value = serde_json::from_slice(payload).ok()?;
    let dim = |k: &str| {
        v.get(k)
            .and_then(Value::as_u64)
            .map(|n| n.min(u16::MAX as u64) as u16)
    };
    Some(TerminalSize {
        width: dim("Width")?,
        height: dim("Height")?,
    })
}

/// Every resize event in a byte stream of concatenated JSON objects (the SPDY resize
/// stream); returns the events and how many bytes were consumed.
pub fn parse_resize_stream(buf: &[u8]) -> (Vec<TerminalSize>, usize) {
    let mut out = Vec::new();
    let mut it = serde_json::Deserializer::from_slice(buf).into_iter::<Value>();
    let mut used = 0;
    while let Some(Ok(v)) = it.next() {
        used = it.byte_offset();
        if let Ok(bytes) = serde_json::to_vec(&v) {
            if let Some(size) = parse_resize(&bytes) {
                out.push(size);
            }
        }
    }
    (out, used)
}

/// The subprotocol to answer with: the client's first choice the server speaks.
pub fn negotiate<'a>(offered: &[String], supported: &[&'a str]) -> Option<&'a str> {
    offered
        .iter()
        .find_map(|o| supported.iter().find(|s| **s == o.trim()).copied())
}

/// The comma-separated values of every occurrence of a header.
pub fn header_list<'a>(values: impl Iterator<Item = &'a str>) -> Vec<String> {
    values
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The metav1.Status the error channel carries when a command ends (kubelet's v4
/// wording).
pub fn exit_status(exit: &Exit, command: &[String]) -> Value {
    match exit {
        Exit::Code(0) => json!({"metadata": {}, "status": "Success"}),
        Exit::Code(code) => json!({
            "metadata": {},
            "status": "Failure",
            "message": format!(
                "command terminated with non-zero exit code: error executing command [{}], exit code {code}",
                command.join(" ")
            ),
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]},
        }),
        Exit::Error(msg) => json!({
            "metadata": {},
            "status": "Failure",
            "message": msg,
            "reason": "InternalError",
            "code": 500,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip() {
        assert_eq!(encode(STDOUT, b"hi"), vec![1, b'h', b'i']);
        assert_eq!(decode(&[2, b'x']), Some((STDERR, &b"x"[..])));
        assert_eq!(decode(&[CLOSE]), Some((CLOSE, &b""[..])));
        assert_eq!(decode(&[]), None);
        assert_eq!(port_message(3, 8080), vec![3, 0x90, 0x1f]);
    }

    #[test]
    fn resize_events() {
        assert_eq!(
            parse_resize(br#"{"Width":80,"Height":24}"#),
            Some(TerminalSize {
                width: 80,
                height: 24
            })
        );
        assert_eq!(parse_resize(b"{"), None);
        assert_eq!(parse_resize(br#"{"Width":"x"}"#), None);
        let (sizes, used) =
            parse_resize_stream(br#"{"Width":1,"Height":2}{"Width":3,"Height":4}{"Wid"#);
        assert_eq!(sizes.len(), 2);
        assert_eq!(used, 44);
    }

    #[test]
    fn negotiation_follows_the_client_order() {
        let offered =
            header_list(["v5.channel.k8s.io, v4.channel.k8s.io", "channel.k8s.io"].into_iter());
        assert_eq!(offered.len(), 3);
        assert_eq!(negotiate(&offered, &[V4, V5]), Some(V5));
        assert_eq!(negotiate(&offered[1..], &[V4, V5]), Some(V4));
        assert_eq!(negotiate(&offered[2..], &[V4, V5]), None);
    }

    #[test]
    fn statuses() {
        assert_eq!(exit_status(&Exit::Code(0), &[])["status"], "Success");
        let s = exit_status(&Exit::Code(3), &["sh".into(), "-c".into(), "exit 3".into()]);
        assert_eq!(s["reason"], "NonZeroExitCode");
        assert_eq!(s["details"]["causes"][0]["reason"], "ExitCode");
        assert_eq!(s["details"]["causes"][0]["message"], "3");
        assert_eq!(
            s["message"],
            "command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3"
        );
        assert_eq!(exit_status(&Exit::Error("boom".into()), &[])["code"], 500);
    }
}
