//! SPDY/3.1 as Kubernetes streaming clients speak it (kubectl's `Upgrade: SPDY/3.1`
//! fallback, and the SPDY that kubectl 1.31+ tunnels through WebSocket for
//! port-forward): frame encoding and decoding, zlib-compressed header blocks with the
//! SPDY/3 dictionary, and a connection that turns frames into stream events.
//!
//! Flow control: WINDOW_UPDATE and SETTINGS are decoded and ignored, and vnest sends
//! neither. The peers this serves (Go's spdystream under client-go) never send
//! WINDOW_UPDATE and do not enforce windows themselves, so a sender that waited for
//! window credit would stall after the first 64 KiB.

use std::sync::OnceLock;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

pub const VERSION: u16 = 3;
pub const FLAG_FIN: u8 = 0x01;
/// Largest frame payload accepted (the 24-bit length allows 16 MiB; client-go writes
/// at most 32 KiB at a time).
pub const MAX_FRAME: usize = 1 << 20;
/// Largest decompressed header block accepted.
pub const MAX_HEADER_BLOCK: usize = 64 * 1024;
/// Largest DATA payload vnest writes in one frame.
const WRITE_CHUNK: usize = 32 * 1024;

pub const TYPE_SYN_STREAM: u16 = 1;
pub const TYPE_SYN_REPLY: u16 = 2;
pub const TYPE_RST_STREAM: u16 = 3;
pub const TYPE_SETTINGS: u16 = 4;
pub const TYPE_PING: u16 = 6;
pub const TYPE_GOAWAY: u16 = 7;
pub const TYPE_HEADERS: u16 = 8;
pub const TYPE_WINDOW_UPDATE: u16 = 9;

/// RST_STREAM status codes used here.
pub const RST_PROTOCOL_ERROR: u32 = 1;
pub const RST_REFUSED_STREAM: u32 = 3;
pub const RST_CANCEL: u32 = 5;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FrameError {
    #[error("unsupported SPDY version {0}")]
    Version(u16),
    #[error("frame of {0} bytes is too large")]
    TooLarge(usize),
    #[error("malformed {0} frame")]
    Malformed(&'static str),
    #[error("malformed header block")]
    HeaderBlock,
    #[error("header compression: {0}")]
    Compression(String),
}

pub type Headers = Vec<(String, String)>;

/// One frame; header blocks stay compressed (their zlib stream spans the connection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Data {
        stream_id: u32,
        flags: u8,
        data: Bytes,
    },
    SynStream {
        stream_id: u32,
        associated_to: u32,
        priority: u8,
        flags: u8,
        block: Bytes,
    },
    SynReply {
        stream_id: u32,
        flags: u8,
        block: Bytes,
    },
    RstStream {
        stream_id: u32,
        status: u32,
    },
    Settings {
        flags: u8,
        entries: Vec<(u8, u32, u32)>,
    },
    Ping {
        id: u32,
    },
    GoAway {
        last_good_stream_id: u32,
        status: u32,
    },
    Headers {
        stream_id: u32,
        flags: u8,
        block: Bytes,
    },
    WindowUpdate {
        stream_id: u32,
        delta: u32,
    },
    /// A control frame type this implementation does not know (skipped).
    Unknown {
        kind: u16,
    },
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Parses one frame from the front of `buf`: `Ok(None)` when more bytes are needed,
/// else the frame and the bytes it took.
pub fn parse(buf: &[u8]) -> Result<Option<(Frame, usize)>, FrameError> {
    if buf.len() < 8 {
        return Ok(None);
    }
    let first = be32(&buf[0..4]);
    let flags = buf[4];
    let len = (usize::from(buf[5]) << 16) | (usize::from(buf[6]) << 8) | usize::from(buf[7]);
    if len > MAX_FRAME {
        return Err(FrameError::TooLarge(len));
    }
    if buf.len() < 8 + len {
        return Ok(None);
    }
    let body = &buf[8..8 + len];
    let total = 8 + len;
    if first & 0x8000_0000 == 0 {
        return Ok(Some((
            Frame::Data {
                stream_id: first & 0x7fff_ffff,
                flags,
                data: Bytes::copy_from_slice(body),
            },
            total,
        )));
    }
    let version = ((first >> 16) & 0x7fff) as u16;
    if version != VERSION {
        return Err(FrameError::Version(version));
    }
    let kind = (first & 0xffff) as u16;
    let need = |n: usize, what: &'static str| {
        if body.len() < n {
            Err(FrameError::Malformed(what))
        } else {
            Ok(())
        }
    };
    let frame = match kind {
        TYPE_SYN_STREAM => {
            need(10, "SYN_STREAM")?;
            Frame::SynStream {
                stream_id: be32(&body[0..4]) & 0x7fff_ffff,
                associated_to: be32(&body[4..8]) & 0x7fff_ffff,
                priority: body[8] >> 5,
                flags,
                block: Bytes::copy_from_slice(&body[10..]),
            }
        }
        TYPE_SYN_REPLY => {
            need(4, "SYN_REPLY")?;
            Frame::SynReply {
                stream_id: be32(&body[0..4]) & 0x7fff_ffff,
                flags,
                block: Bytes::copy_from_slice(&body[4..]),
            }
        }
        TYPE_RST_STREAM => {
            need(8, "RST_STREAM")?;
            Frame::RstStream {
                stream_id: be32(&body[0..4]) & 0x7fff_ffff,
                status: be32(&body[4..8]),
            }
        }
        TYPE_SETTINGS => {
            need(4, "SETTINGS")?;
            let n = be32(&body[0..4]) as usize;
            if body.len() < 4 + n.saturating_mul(8) {
                return Err(FrameError::Malformed("SETTINGS"));
            }
            let entries = (0..n)
                .map(|i| {
                    let e = &body[4 + i * 8..12 + i * 8];
                    (e[0], be32(&[0, e[1], e[2], e[3]]), be32(&e[4..8]))
                })
                .collect();
            Frame::Settings { flags, entries }
        }
        TYPE_PING => {
            need(4, "PING")?;
            Frame::Ping {
                id: be32(&body[0..4]),
            }
        }
        TYPE_GOAWAY => {
            need(4, "GOAWAY")?;
            Frame::GoAway {
                last_good_stream_id: be32(&body[0..4]) & 0x7fff_ffff,
                status: if body.len() >= 8 {
                    be32(&body[4..8])
                } else {
                    0
                },
            }
        }
        TYPE_HEADERS => {
            need(4, "HEADERS")?;
            Frame::Headers {
                stream_id: be32(&body[0..4]) & 0x7fff_ffff,
                flags,
                block: Bytes::copy_from_slice(&body[4..]),
            }
        }
        TYPE_WINDOW_UPDATE => {
            need(8, "WINDOW_UPDATE")?;
            Frame::WindowUpdate {
                stream_id: be32(&body[0..4]) & 0x7fff_ffff,
                delta: be32(&body[4..8]) & 0x7fff_ffff,
            }
        }
        kind => Frame::Unknown { kind },
    };
    Ok(Some((frame, total)))
}

fn control(kind: u16, flags: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + body.len());
    out.extend_from_slice(
        &(0x8000_0000u32 | (u32::from(VERSION) << 16) | u32::from(kind)).to_be_bytes(),
    );
    out.push(flags);
    out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(body);
    out
}

/// Encodes a frame (header blocks as given, already compressed).
pub fn encode(frame: &Frame) -> Vec<u8> {
    let cat = |parts: &[&[u8]]| parts.concat();
    match frame {
        Frame::Data {
            stream_id,
            flags,
            data,
        } => {
            let mut out = Vec::with_capacity(8 + data.len());
            out.extend_from_slice(&(stream_id & 0x7fff_ffff).to_be_bytes());
            out.push(*flags);
            out.extend_from_slice(&(data.len() as u32).to_be_bytes()[1..]);
            out.extend_from_slice(data);
            out
        }
        Frame::SynStream {
            stream_id,
            associated_to,
            priority,
            flags,
            block,
        } => control(
            TYPE_SYN_STREAM,
            *flags,
            &cat(&[
                &stream_id.to_be_bytes(),
                &associated_to.to_be_bytes(),
                &[priority << 5, 0],
                block,
            ]),
        ),
        Frame::SynReply {
            stream_id,
            flags,
            block,
        } => control(
            TYPE_SYN_REPLY,
            *flags,
            &cat(&[&stream_id.to_be_bytes(), block]),
        ),
        Frame::RstStream { stream_id, status } => control(
            TYPE_RST_STREAM,
            0,
            &cat(&[&stream_id.to_be_bytes(), &status.to_be_bytes()]),
        ),
        Frame::Settings { flags, entries } => {
            let mut body = (entries.len() as u32).to_be_bytes().to_vec();
            for (f, id, value) in entries {
                body.push(*f);
                body.extend_from_slice(&id.to_be_bytes()[1..]);
                body.extend_from_slice(&value.to_be_bytes());
            }
            control(TYPE_SETTINGS, *flags, &body)
        }
        Frame::Ping { id } => control(TYPE_PING, 0, &id.to_be_bytes()),
        Frame::GoAway {
            last_good_stream_id,
            status,
        } => control(
            TYPE_GOAWAY,
            0,
            &cat(&[&last_good_stream_id.to_be_bytes(), &status.to_be_bytes()]),
        ),
        Frame::Headers {
            stream_id,
            flags,
            block,
        } => control(
            TYPE_HEADERS,
            *flags,
            &cat(&[&stream_id.to_be_bytes(), block]),
        ),
        Frame::WindowUpdate { stream_id, delta } => control(
            TYPE_WINDOW_UPDATE,
            0,
            &cat(&[&stream_id.to_be_bytes(), &delta.to_be_bytes()]),
        ),
        Frame::Unknown { kind } => control(*kind, 0, &[]),
    }
}

/// The zlib dictionary of SPDY/3 header blocks (draft-mbelshe-httpbis-spdy-00,
/// section 2.6.10.1): length-prefixed header names and values, then a run of common
/// status lines, dates and media types.
pub fn dictionary() -> &'static [u8] {
    static DICT: OnceLock<Vec<u8>> = OnceLock::new();
    DICT.get_or_init(|| {
        const WORDS: &[&str] = &[
            "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset",
            "accept-encoding", "accept-language", "accept-ranges", "age", "allow",
            "authorization", "cache-control", "connection", "content-base",
            "content-encoding", "content-language", "content-length", "content-location",
            "content-md5", "content-range", "content-type", "date", "etag", "expect",
            "expires", "from", "host", "if-match", "if-modified-since", "if-none-match",
            "if-range", "if-unmodified-since", "last-modified", "location", "max-forwards",
            "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
            "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade",
            "user-agent", "vary", "via", "warning", "www-authenticate", "method", "get",
            "status", "200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie",
            "keep-alive", "origin",
        ];
        const TAIL: &str = concat!(
            "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505",
            "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request",
            "401 Unauthorized403 Forbidden404 Not Found500 Internal Server Error",
            "501 Not Implemented503 Service Unavailable",
            "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 ",
            "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT",
            "chunked,text/html,image/png,image/jpg,image/gif,application/xml,",
            "application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age=",
            "gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.",
        );
        let mut out = Vec::with_capacity(1424);
        for w in WORDS {
            out.extend_from_slice(&(w.len() as u32).to_be_bytes());
            out.extend_from_slice(w.as_bytes());
        }
        out.extend_from_slice(TAIL.as_bytes());
        out
    })
}

/// An uncompressed header block: pair count, then length-prefixed names and values
/// (several values of one name joined by NUL).
pub fn encode_header_block(headers: &[(String, String)]) -> Vec<u8> {
    let mut out = (headers.len() as u32).to_be_bytes().to_vec();
    for (k, v) in headers {
        out.extend_from_slice(&(k.len() as u32).to_be_bytes());
        out.extend_from_slice(k.to_ascii_lowercase().as_bytes());
        out.extend_from_slice(&(v.len() as u32).to_be_bytes());
        out.extend_from_slice(v.as_bytes());
    }
    out
}

pub fn decode_header_block(mut b: &[u8]) -> Result<Headers, FrameError> {
    fn take<'a>(b: &mut &'a [u8], n: usize) -> Result<&'a [u8], FrameError> {
        if b.len() < n {
            return Err(FrameError::HeaderBlock);
        }
        let (head, rest) = b.split_at(n);
        *b = rest;
        Ok(head)
    }
    let count = be32(take(&mut b, 4)?) as usize;
    let mut out = Vec::new();
    for _ in 0..count {
        let n = be32(take(&mut b, 4)?) as usize;
        let name = String::from_utf8_lossy(take(&mut b, n)?).to_ascii_lowercase();
        let n = be32(take(&mut b, 4)?) as usize;
        let value = String::from_utf8_lossy(take(&mut b, n)?).into_owned();
        for v in value.split('\0') {
            out.push((name.clone(), v.to_string()));
        }
    }
    Ok(out)
}

/// The compressing side of one connection's header blocks.
pub struct HeaderEncoder(Compress);

impl HeaderEncoder {
    pub fn new() -> Result<Self, FrameError> {
        let mut c = Compress::new(Compression::default(), true);
        c.set_dictionary(dictionary())
            .map_err(|e| FrameError::Compression(e.to_string()))?;
        Ok(HeaderEncoder(c))
    }

    /// The compressed block, sync-flushed so the peer can decode it at once.
    pub fn encode(&mut self, headers: &[(String, String)]) -> Result<Vec<u8>, FrameError> {
        let raw = encode_header_block(headers);
        let start = self.0.total_in();
        let mut out = Vec::with_capacity(raw.len() + 64);
        loop {
            let used = (self.0.total_in() - start) as usize;
            self.0
                .compress_vec(&raw[used..], &mut out, FlushCompress::Sync)
                .map_err(|e| FrameError::Compression(e.to_string()))?;
            let used = (self.0.total_in() - start) as usize;
            if used == raw.len() && out.len() < out.capacity() {
                return Ok(out);
            }
            out.reserve(256);
        }
    }
}

/// The decompressing side of one connection's header blocks.
pub struct HeaderDecoder(Decompress);

impl Default for HeaderDecoder {
    fn default() -> Self {
        HeaderDecoder(Decompress::new(true))
    }
}

impl HeaderDecoder {
    pub fn decode(&mut self, block: &[u8]) -> Result<Headers, FrameError> {
        if block.is_empty() {
            return Ok(Vec::new());
        }
        let start = self.0.total_in();
        let mut out = Vec::with_capacity(block.len() * 4 + 64);
        loop {
            let (in_before, out_before) = (self.0.total_in(), self.0.total_out());
            let used = (in_before - start) as usize;
            match self
                .0
                .decompress_vec(&block[used..], &mut out, FlushDecompress::Sync)
            {
                Ok(_) => {}
                Err(e) if e.needs_dictionary().is_some() => {
                    self.0
                        .set_dictionary(dictionary())
                        .map_err(|e| FrameError::Compression(e.to_string()))?;
                    continue;
                }
                Err(e) => return Err(FrameError::Compression(e.to_string())),
            }
            let used = (self.0.total_in() - start) as usize;
            if used == block.len() && out.len() < out.capacity() {
                break;
            }
            if out.len() > MAX_HEADER_BLOCK {
                return Err(FrameError::HeaderBlock);
            }
            let stuck = self.0.total_in() == in_before && self.0.total_out() == out_before;
            if stuck && out.len() < out.capacity() {
                return Err(FrameError::HeaderBlock);
            }
            out.reserve(out.capacity().max(256));
        }
        decode_header_block(&out)
    }
}

/// The value of a header in a decoded block.
pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// What a connection hears from the client.
#[derive(Debug)]
pub enum Event {
    /// SYN_STREAM (already answered with SYN_REPLY).
    Stream {
        id: u32,
        headers: Headers,
        fin: bool,
    },
    /// DATA; `fin` half-closes the client's side of the stream.
    Data {
        id: u32,
        data: Bytes,
        fin: bool,
    },
    Reset {
        id: u32,
    },
}

enum Command {
    Reply(u32),
    Data(u32, Bytes, bool),
    Reset(u32, u32),
    Ping(u32),
    Close,
}

/// The sending half of a connection; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Command>,
}

#[derive(Debug, thiserror::Error)]
#[error("the SPDY connection is closed")]
pub struct Closed;

impl Writer {
    /// Writes `data` on a stream (in chunks), half-closing it with `fin`.
    pub async fn data(&self, id: u32, mut data: Bytes, fin: bool) -> Result<(), Closed> {
        loop {
            let chunk = data.split_to(data.len().min(WRITE_CHUNK));
            let last = data.is_empty();
            self.tx
                .send(Command::Data(id, chunk, fin && last))
                .await
                .map_err(|_| Closed)?;
            if last {
                return Ok(());
            }
        }
    }

    pub async fn fin(&self, id: u32) -> Result<(), Closed> {
        self.data(id, Bytes::new(), true).await
    }

    pub async fn reset(&self, id: u32, status: u32) -> Result<(), Closed> {
        self.tx
            .send(Command::Reset(id, status))
            .await
            .map_err(|_| Closed)
    }

    /// GOAWAY, then the write side is shut down.
    pub async fn close(&self) {
        let _ = self.tx.send(Command::Close).await;
    }
}

/// A server-side SPDY connection over `io`: a reader task that answers SYN_STREAM
/// and PING itself and hands the rest out as [`Event`]s, and a writer task.
pub struct Connection {
    pub events: mpsc::Receiver<Event>,
    pub writer: Writer,
    reader: tokio::task::JoinHandle<()>,
}

impl Connection {
    pub fn start<IO>(io: IO) -> Result<Connection, FrameError>
    where
        IO: AsyncRead + AsyncWrite + Send + 'static,
    {
        let encoder = HeaderEncoder::new()?;
        let (rd, wr) = tokio::io::split(io);
        let (cmd_tx, cmd_rx) = mpsc::channel(64);
        let (ev_tx, ev_rx) = mpsc::channel(64);
        let writer = Writer { tx: cmd_tx };
        tokio::spawn(write_loop(wr, encoder, cmd_rx));
        let reader = tokio::spawn(read_loop(rd, writer.clone(), ev_tx));
        Ok(Connection {
            events: ev_rx,
            writer,
            reader,
        })
    }

    /// The events, a writer, and what ends the connection.
    pub fn into_parts(self) -> (mpsc::Receiver<Event>, Writer, Finisher) {
        let finisher = Finisher {
            writer: self.writer.clone(),
            reader: self.reader,
        };
        (self.events, self.writer, finisher)
    }
}

/// Ends a connection.
pub struct Finisher {
    writer: Writer,
    reader: tokio::task::JoinHandle<()>,
}

impl Finisher {
    /// Sends GOAWAY, shuts the write side, and gives the client a moment to read what
    /// is left and hang up before the reader is stopped.
    pub async fn finish(mut self) {
        self.writer.close().await;
        if tokio::time::timeout(Duration::from_secs(5), &mut self.reader)
            .await
            .is_err()
        {
            self.reader.abort();
        }
    }
}

async fn write_loop<W: AsyncWrite + Unpin>(
    mut wr: W,
    mut encoder: HeaderEncoder,
    mut rx: mpsc::Receiver<Command>,
) {
    let mut last_stream = 0u32;
    while let Some(cmd) = rx.recv().await {
        let frame = match cmd {
            Command::Reply(id) => {
                last_stream = last_stream.max(id);
                match encoder.encode(&[]) {
                    Ok(block) => Frame::SynReply {
                        stream_id: id,
                        flags: 0,
                        block: Bytes::from(block),
                    },
                    Err(e) => {
                        tracing::debug!(error = %e, "SPDY header compression failed");
                        return;
                    }
                }
            }
            Command::Data(id, data, fin) => Frame::Data {
                stream_id: id,
                flags: if fin { FLAG_FIN } else { 0 },
                data,
            },
            Command::Reset(id, status) => Frame::RstStream {
                stream_id: id,
                status,
            },
            Command::Ping(id) => Frame::Ping { id },
            Command::Close => {
                let goaway = encode(&Frame::GoAway {
                    last_good_stream_id: last_stream,
                    status: 0,
                });
                let _ = wr.write_all(&goaway).await;
                let _ = wr.flush().await;
                let _ = wr.shutdown().await;
                return;
            }
        };
        if wr.write_all(&encode(&frame)).await.is_err() {
            return;
        }
        // Flush when nothing else is queued, so bursts share a write.
        if rx.is_empty() && wr.flush().await.is_err() {
            return;
        }
    }
    let _ = wr.shutdown().await;
}

async fn read_loop<R: AsyncRead + Unpin>(mut rd: R, writer: Writer, events: mpsc::Sender<Event>) {
    let mut decoder = HeaderDecoder::default();
    let mut buf = BytesMut::with_capacity(16 * 1024);
    loop {
        loop {
            let (frame, used) = match parse(&buf) {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    tracing::debug!(error = %e, "bad SPDY frame; closing");
                    return;
                }
            };
            buf.advance(used);
            let event = match frame {
                Frame::SynStream {
                    stream_id,
                    flags,
                    block,
                    ..
                } => match decoder.decode(&block) {
                    Ok(headers) => {
                        if writer.tx.send(Command::Reply(stream_id)).await.is_err() {
                            return;
                        }
                        Event::Stream {
                            id: stream_id,
                            headers,
                            fin: flags & FLAG_FIN != 0,
                        }
                    }
                    Err(e) => {
                        // The compression state is now unusable: end the connection.
                        tracing::debug!(error = %e, "bad SPDY header block; closing");
                        return;
                    }
                },
                Frame::Data {
                    stream_id,
                    flags,
                    data,
                } => Event::Data {
                    id: stream_id,
                    data,
                    fin: flags & FLAG_FIN != 0,
                },
                Frame::RstStream { stream_id, .. } => Event::Reset { id: stream_id },
                Frame::Ping { id } => {
                    let _ = writer.tx.send(Command::Ping(id)).await;
                    continue;
                }
                Frame::GoAway { .. } => return,
                Frame::SynReply { block, .. } | Frame::Headers { block, .. } => {
                    // Keep the zlib stream in step even though the content is unused.
                    if decoder.decode(&block).is_err() {
                        return;
                    }
                    continue;
                }
                Frame::Settings { .. } | Frame::WindowUpdate { .. } | Frame::Unknown { .. } => {
                    continue
                }
            };
            if events.send(event).await.is_err() {
                return;
            }
        }
        match rd.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionary_is_the_spdy3_one() {
        let d = dictionary();
        assert_eq!(d.len(), 1423);
        assert!(d.starts_with(b"\0\0\0\x07options\0\0\0\x04head"));
        assert!(d.ends_with(b"utf-,*,enq=0."));
        // adler32 of the dictionary, as zlib announces it in FDICT headers.
        let (mut a, mut b) = (1u32, 0u32);
        for &x in d {
            a = (a + u32::from(x)) % 65521;
            b = (b + a) % 65521;
        }
        assert_eq!((b << 16) | a, 0xe3c6_a7c2);
    }

    #[test]
    fn frames_round_trip() {
        let frames = vec![
            Frame::Data {
                stream_id: 5,
                flags: FLAG_FIN,
                data: Bytes::from_static(b"hello"),
            },
            Frame::SynStream {
                stream_id: 1,
                associated_to: 0,
                priority: 2,
                flags: 0,
                block: Bytes::from_static(b"zz"),
            },
            Frame::SynReply {
                stream_id: 1,
                flags: 0,
                block: Bytes::from_static(b"q"),
            },
            Frame::RstStream {
                stream_id: 3,
                status: RST_CANCEL,
            },
            Frame::Settings {
                flags: 0,
                entries: vec![(0, 7, 65536)],
            },
            Frame::Ping { id: 1 },
            Frame::GoAway {
                last_good_stream_id: 9,
                status: 0,
            },
            Frame::Headers {
                stream_id: 1,
                flags: 0,
                block: Bytes::new(),
            },
            Frame::WindowUpdate {
                stream_id: 1,
                delta: 1000,
            },
        ];
        let mut wire = Vec::new();
        for f in &frames {
            wire.extend(encode(f));
        }
        let mut at = 0;
        for f in &frames {
            let (got, used) = parse(&wire[at..]).unwrap().unwrap();
            assert_eq!(&got, f);
            at += used;
        }
        assert_eq!(at, wire.len());
        // Partial input asks for more.
        assert_eq!(parse(&wire[..7]), Ok(None));
        assert_eq!(parse(&encode(&frames[0])[..10]), Ok(None));
    }

    #[test]
    fn malformed_frames_are_errors_not_panics() {
        // Control frame, version 2.
        assert_eq!(
            parse(&[0x80, 0x02, 0, 1, 0, 0, 0, 0]),
            Err(FrameError::Version(2))
        );
        // SYN_STREAM too short.
        assert_eq!(
            parse(&[0x80, 0x03, 0, 1, 0, 0, 0, 2, 0, 0]),
            Err(FrameError::Malformed("SYN_STREAM"))
        );
        // SETTINGS claiming more entries than it has.
        assert_eq!(
            parse(&[0x80, 0x03, 0, 4, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff]),
            Err(FrameError::Malformed("SETTINGS"))
        );
        assert_eq!(
            parse(&[0x80, 0x03, 0, 1, 0, 0xff, 0xff, 0xff]),
            Err(FrameError::TooLarge(0xff_ffff))
        );
        // Unknown control type is skipped.
        assert_eq!(
            parse(&[0x80, 0x03, 0, 42, 0, 0, 0, 1, 7]).unwrap(),
            Some((Frame::Unknown { kind: 42 }, 9))
        );
        assert!(decode_header_block(&[0, 0, 0, 1, 0, 0, 0, 9, b'a']).is_err());
        assert!(HeaderDecoder::default().decode(b"not zlib at all").is_err());
    }

    #[test]
    fn header_blocks_compress_across_a_connection() {
        let mut enc = HeaderEncoder::new().unwrap();
        let mut dec = HeaderDecoder::default();
        let a: Headers = vec![
            ("streamtype".into(), "error".into()),
            ("port".into(), "8080".into()),
            ("requestid".into(), "0".into()),
        ];
        let b: Headers = vec![("streamtype".into(), "data".into())];
        let ba = enc.encode(&a).unwrap();
        let bb = enc.encode(&b).unwrap();
        // FDICT is set and names the SPDY dictionary.
        assert_eq!(ba[1] & 0x20, 0x20);
        assert_eq!(&ba[2..6], &0xe3c6_a7c2u32.to_be_bytes());
        assert_eq!(dec.decode(&ba).unwrap(), a);
        assert_eq!(dec.decode(&bb).unwrap(), b);
        assert_eq!(dec.decode(&enc.encode(&[]).unwrap()).unwrap(), vec![]);
        assert_eq!(header(&a, "port"), Some("8080"));
        // Several values of one name travel NUL-joined.
        let multi = encode_header_block(&[("x".into(), "1\u{0}2".into())]);
        assert_eq!(decode_header_block(&multi).unwrap().len(), 2);
    }
}
