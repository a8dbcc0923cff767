//! Log streams: what one container's stream is asked for, and what comes back.

/// One container's log, as the log pane asks for it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LogSpec {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    /// The previous (terminated) container's log: read once, not followed.
    pub previous: bool,
    pub since_seconds: Option<i64>,
    pub tail_lines: Option<i64>,
}

/// A line as the server sent it: its timestamp (ns since the epoch) and the raw text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawLine {
    pub ts: i64,
    pub text: String,
}

#[derive(Debug)]
pub enum LogEvent {
    Lines(Vec<RawLine>),
    /// The stream broke; it is being opened again from the last line received.
    Reconnecting(String),
    /// Open again after `Reconnecting`.
    Live,
    /// Nothing more will come (the log was read to its end, or cannot be read).
    Ended(String),
}

/// Where a command or a shell runs. `container` None lets the apiserver pick (it must then be
/// the only one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecTarget {
    pub namespace: String,
    pub pod: String,
    pub container: Option<String>,
}

/// What one command printed in one container.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecOutput {
    pub stdout: String,
    pub stderr: String,
    /// The exit code when known: 0 on Success, the status details' "ExitCode" cause on
    /// NonZeroExitCode.
    pub exit_code: Option<i32>,
    /// Output was cut at the limit.
    pub truncated: bool,
}

/// Where a port-forward goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ForwardTarget {
    Pod {
        namespace: String,
        name: String,
    },
    /// A Service or workload: any ready pod matching the selector (`k=v,k2=v2`), chosen again
    /// when the current one goes away.
    Selector {
        namespace: String,
        selector: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ForwardEvent {
    Listening(std::net::SocketAddr),
    /// Now forwarding to this pod.
    Pod(String),
    Bytes {
        sent: u64,
        received: u64,
    },
    /// A connection failed; new connections are still accepted.
    Error(String),
    /// The forward ended (could not bind, or stopped).
    Stopped(String),
}
