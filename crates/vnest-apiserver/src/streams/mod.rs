//! `pods/exec`, `pods/attach` and `pods/portforward`: the API server checks the
//! request against the pod, upgrades the connection (WebSocket `v5`/`v4.channel.k8s.io`,
//! SPDY/3.1, or SPDY tunnelled through WebSocket for kubectl 1.31+ port-forward) and
//! connects it to whatever runs the pod through [`PodStreams`] (the dev host's
//! processes; later a syncer proxying to a host cluster).
//!
//! - `channel.rs`: the WebSocket channel framing and the exit Status (pure).
//! - `spdy.rs`: SPDY/3.1 frames, header compression, a connection.
//! - `upgrade.rs`: request checks, protocol negotiation and the 101 answer.
//! - `remotecommand.rs`, `portforward.rs`: the sessions over either transport.

pub mod channel;
mod portforward;
mod remotecommand;
pub mod spdy;
mod upgrade;

use futures::future::BoxFuture;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};

pub use upgrade::{handle, is_stream_subresource};

pub type BoxRead = Box<dyn AsyncRead + Send + Unpin>;
pub type BoxWrite = Box<dyn AsyncWrite + Send + Unpin>;

/// A byte stream both ways (a forwarded port).
pub trait Duplex: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Duplex for T {}

/// What an exec or attach asks for (kube's PodExecOptions / PodAttachOptions).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamOptions {
    pub container: String,
    /// exec only.
    pub command: Vec<String>,
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
    pub tty: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TerminalSize {
    pub width: u16,
    pub height: u16,
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    /// It could not run (reported as an InternalError Status).
    Error(String),
}

/// A running exec or attach: the pipes the client asked for, and its end.
pub struct Session {
    pub stdin: Option<BoxWrite>,
    pub stdout: Option<BoxRead>,
    pub stderr: Option<BoxRead>,
    /// Resolves when the command (exec) or the container (attach) ends. Dropping it
    /// ends an exec'd command.
    pub done: BoxFuture<'static, Exit>,
}

/// Where exec, attach and port-forward connections go.
#[async_trait::async_trait]
pub trait PodStreams: Send + Sync {
    /// Before upgrading an exec or attach: `Err` with the kubelet's words
    /// (`container not found ("web")`) when the container is not running here.
    async fn check(&self, pod: &Value, container: &str) -> Result<(), String>;
    /// Starts a command in the container.
    async fn exec(&self, pod: &Value, opts: &StreamOptions) -> Result<Session, String>;
    /// Connects to the container's main process.
    async fn attach(&self, pod: &Value, opts: &StreamOptions) -> Result<Session, String>;
    /// A connection to `port` of the pod.
    async fn portforward(&self, pod: &Value, port: u16) -> Result<Box<dyn Duplex>, String>;
}
