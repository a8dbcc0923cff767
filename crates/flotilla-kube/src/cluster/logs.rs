//! One container's log stream: read with timestamps, sent in batches, and opened again from
//! the last line received when it ends or breaks, so that no line is lost or repeated.

use super::backoff::Backoff;
use super::request::short_error;
use crate::model::{LogEvent, LogSpec, RawLine};
use futures::AsyncBufReadExt;
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::LogParams;
use std::time::Duration;

/// Longer lines are cut here: a pod that writes one endless line must not eat the memory.
const MAX_LINE: usize = 16 * 1024;
const OPEN_TIMEOUT: Duration = Duration::from_secs(15);

/// Where the stream stands: the timestamp of the last line received, and how many lines had
/// exactly that timestamp. The server's `sinceTime` has whole seconds, so a reopened stream
/// repeats lines from the start of that second; these two skip them.
#[derive(Default)]
struct Resume {
    last_ts: Option<i64>,
    at_last: usize,
}

impl Resume {
    /// Whether a line of a reopened stream is new; `skipping` counts lines still to skip at
    /// `last_ts`.
    fn is_new(&self, ts: i64, skipping: &mut usize) -> bool {
        match self.last_ts {
            None => true,
            Some(last) if ts < last => false,
            Some(last) if ts == last && *skipping > 0 => {
                *skipping -= 1;
                false
            }
            Some(_) => true,
        }
    }

    fn saw(&mut self, ts: i64) {
        if self.last_ts == Some(ts) {
            self.at_last += 1;
        } else {
            self.last_ts = Some(ts);
            self.at_last = 1;
        }
    }

    fn params(&self, spec: &LogSpec) -> LogParams {
        let mut p = LogParams {
            container: Some(spec.container.clone()),
            follow: !spec.previous,
            previous: spec.previous,
            timestamps: true,
            ..LogParams::default()
        };
        match self.last_ts {
            Some(ts) => {
                // Whole seconds, rounded down: kube rounds to the nearest, which could skip lines.
                let secs = ts.div_euclid(1_000_000_000);
                p.since_time = jiff::Timestamp::from_second(secs).ok();
            }
            None => {
                p.since_seconds = spec.since_seconds;
                p.tail_lines = spec.tail_lines;
            }
        }
        p
    }
}

/// Splits `2026-12-01T10:00:00.123456789Z text` into its timestamp and text.
pub fn split_timestamp(line: &str) -> Option<(i64, &str)> {
    let (ts, rest) = line.split_once(' ').unwrap_or((line, ""));
    let t: jiff::Timestamp = ts.parse().ok()?;
    let ns = i64::try_from(t.as_nanosecond()).ok()?;
    Some((ns, rest))
}

/// Runs until the log is read to its end (previous logs), the pod is gone, or the task is
/// aborted. `send` returns false when nobody listens any more.
pub async fn stream(client: kube::Client, spec: LogSpec, send: impl Fn(LogEvent) -> bool) {
    let api: Api<Pod> = Api::namespaced(client, &spec.namespace);
    let mut resume = Resume::default();
    let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
    let mut broken = false;
    loop {
        let params = resume.params(&spec);
        let opened = tokio::time::timeout(OPEN_TIMEOUT, api.log_stream(&spec.pod, &params)).await;
        let reader = match opened {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => {
                let code = super::request::api_code(&e);
                // Gone, forbidden, or no previous container: retrying will not change it.
                if code == 404 || code == 403 || (code == 400 && spec.previous) {
                    send(LogEvent::Ended(short_error(&e)));
                    return;
                }
                broken = true;
                if !send(LogEvent::Reconnecting(short_error(&e))) {
                    return;
                }
                tokio::time::sleep(backoff.next_wait()).await;
                continue;
            }
            Err(_) => {
                broken = true;
                let why = format!("no answer within {}s", OPEN_TIMEOUT.as_secs());
                if !send(LogEvent::Reconnecting(why)) {
                    return;
                }
                tokio::time::sleep(backoff.next_wait()).await;
                continue;
            }
        };
        if broken {
            broken = false;
            if !send(LogEvent::Live) {
                return;
            }
        }
        let mut skipping = resume.at_last;
        let result = read(reader, &mut resume, &mut skipping, &send).await;
        match result {
            Read::Gone => return,
            Read::Got(n) if n > 0 => backoff.reset(),
            Read::Got(_) => {}
            Read::Broke(e) => {
                broken = true;
                if !send(LogEvent::Reconnecting(e)) {
                    return;
                }
            }
        }
        if spec.previous {
            send(LogEvent::Ended(
                "end of the previous container's log".into(),
            ));
            return;
        }
        // A followed log that ends (container restarted, server closed it): open it again from
        // where it stopped.
        tokio::time::sleep(backoff.next_wait()).await;
    }
}

enum Read {
    /// The stream ended cleanly after this many new lines.
    Got(usize),
    Broke(String),
    /// Nobody listens any more.
    Gone,
}

async fn read(
    reader: impl futures::AsyncBufRead + Unpin,
    resume: &mut Resume,
    skipping: &mut usize,
    send: &impl Fn(LogEvent) -> bool,
) -> Read {
    let mut reader = reader;
    let mut line: Vec<u8> = Vec::new();
    let mut cut = 0usize;
    let mut batch = Vec::new();
    let mut total = 0;
    loop {
        let buf = match reader.fill_buf().await {
            Ok(b) => b,
            Err(e) => {
                if !batch.is_empty() && !send(LogEvent::Lines(std::mem::take(&mut batch))) {
                    return Read::Gone;
                }
                return Read::Broke(format!("log stream broke: {e}"));
            }
        };
        if buf.is_empty() {
            if !line.is_empty() {
                push_line(&line, cut, resume, skipping, &mut batch);
            }
            total += batch.len();
            if !batch.is_empty() && !send(LogEvent::Lines(batch)) {
                return Read::Gone;
            }
            return Read::Got(total);
        }
        let len = buf.len();
        for &b in buf {
            if b == b'\n' {
                push_line(&line, cut, resume, skipping, &mut batch);
                line.clear();
                cut = 0;
            } else if line.len() < MAX_LINE {
                line.push(b);
            } else {
                cut += 1;
            }
        }
        reader.consume_unpin(len);
        // One message per read from the network (what arrived together is drawn together).
        if !batch.is_empty() {
            total += batch.len();
            if !send(LogEvent::Lines(std::mem::take(&mut batch))) {
                return Read::Gone;
            }
        }
    }
}

fn push_line(
    bytes: &[u8],
    cut: usize,
    resume: &mut Resume,
    skipping: &mut usize,
    out: &mut Vec<RawLine>,
) {
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_suffix('\r').unwrap_or(&text);
    let (ts, body) = match split_timestamp(text) {
        Some(x) => x,
        // A line without a timestamp sorts with the line before it.
        None => (resume.last_ts.unwrap_or(0), text),
    };
    if !resume.is_new(ts, skipping) {
        return;
    }
    resume.saw(ts);
    let mut text = body.to_string();
    if cut > 0 {
        text.push_str(&format!(" …[{cut} more bytes cut]"));
    }
    out.push(RawLine { ts, text });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(resume: &mut Resume, lines: &[(i64, &str)]) -> Vec<String> {
        let mut skipping = resume.at_last;
        let mut out = Vec::new();
        for (ts, text) in lines {
            if resume.is_new(*ts, &mut skipping) {
                resume.saw(*ts);
                out.push(text.to_string());
            }
        }
        out
    }

    #[test]
    fn a_reopened_stream_repeats_nothing_and_loses_nothing() {
        let mut r = Resume::default();
        let first = feed(&mut r, &[(1, "a"), (2, "b"), (2, "c")]);
        assert_eq!(first, ["a", "b", "c"]);
        // Reopened from the start of the second: the server repeats from ts 1.
        let again = feed(&mut r, &[(1, "a"), (2, "b"), (2, "c"), (2, "d"), (3, "e")]);
        assert_eq!(again, ["d", "e"]);
    }

    #[test]
    fn timestamps_are_split_off() {
        let (ts, text) = split_timestamp("2026-12-01T10:00:00.5Z hello world").unwrap();
        assert_eq!(ts, 1_796_119_200_500_000_000);
        assert_eq!(text, "hello world");
        assert!(split_timestamp("no timestamp here").is_none());
    }

    #[test]
    fn resume_asks_from_the_whole_second_before() {
        let mut r = Resume::default();
        r.saw(1_796_119_200_999_000_000);
        let spec = LogSpec {
            namespace: "shop".into(),
            pod: "p".into(),
            container: "c".into(),
            previous: false,
            since_seconds: Some(60),
            tail_lines: Some(10),
        };
        let p = r.params(&spec);
        assert_eq!(p.since_time.map(|t| t.as_second()), Some(1_796_119_200));
        assert_eq!((p.since_seconds, p.tail_lines), (None, None));
    }
}
