//! Command-line interface: the TUI's flags, the `audit` subcommands that run without it,
//! `watch`, the notifying engine without a terminal, and `inspect`, the fleet's report.
//! Everything the CLI says goes through `print` or `eprint`, which sanitize every line: what
//! it prints comes from clusters, archives, webhooks and files.

pub mod backup;
pub mod ctx;
pub mod inspect;
pub mod watch;

use crate::ops::audit;
use clap::{Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser, Debug, Default)]
#[command(
    name = "flotilla",
    version,
    about = "A terminal UI for operating many Kubernetes clusters at once"
)]
pub struct Cli {
    /// Kubeconfig file(s); repeatable. Default: $KUBECONFIG (list), else ~/.kube/config.
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Vec<PathBuf>,
    /// Context name or glob to watch; repeatable (e.g. --context 'prod-*').
    #[arg(long, value_name = "NAME")]
    pub context: Vec<String>,
    /// Watch every context in the kubeconfig.
    #[arg(short = 'A', long)]
    pub all_contexts: bool,
    /// Watch a named fleet (a group of contexts from config.toml).
    #[arg(long, value_name = "NAME")]
    pub fleet: Option<String>,
    /// Add every cluster a Clusterpedia index knows, through the context of its hub (listed
    /// from the index, re-listed every 15 s: never live); repeatable. Alone, only those.
    #[arg(long, value_name = "CONTEXT")]
    pub clusterpedia: Vec<String>,
    /// Theme name (dark, light, high-contrast, or one in the config dir's themes/).
    #[arg(long)]
    pub theme: Option<String>,
    /// Command to open first, as typed after ':' (e.g. "deploy -A", "po @prod").
    #[arg(short = 'c', long, value_name = "CMD")]
    pub command: Option<String>,
    /// Log file (default: flotilla.log in the state dir). Logs never go to the screen.
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
    /// Refuse every change (edits, deletes, scale, exec, port-forward…) for the whole session.
    #[arg(long)]
    pub read_only: bool,
    /// Instead of the TUI: a tool.
    #[command(subcommand)]
    pub subcommand: Option<Command>,
}

#[derive(Subcommand, Debug, Clone, PartialEq)]
pub enum Command {
    /// The operation audit log (every change flotilla attempted).
    Audit {
        #[command(subcommand)]
        action: AuditCommand,
    },
    /// Without a terminal: watch clusters and send triage notifications to the webhooks of
    /// `[notify]` in config.toml, one line on stdout per message sent. Stops on SIGINT or
    /// SIGTERM (exit 0).
    Watch(WatchArgs),
    /// Inspect the clusters: misconfigurations and risks per cluster, namespace and
    /// category, with scores (see "Inspection" in the README). Exit 0 when the report was
    /// made, whatever it found.
    Inspect(inspect::InspectArgs),
    /// Back up namespaces to portable archives (Secrets encrypted with age), list and
    /// inspect them, and restore one into a cluster with a plan first (see "Backups" in the
    /// README).
    Backup(backup::BackupArgs),
    /// Contexts flotilla imports: `ctx add FILE|-` connects each context of a kubeconfig,
    /// then saves those that answer to flotilla's own directory (0600); `ctx rm NAME`,
    /// `ctx list`. Your kubeconfig is never written.
    Ctx {
        #[command(subcommand)]
        action: ctx::CtxCommand,
    },
}

/// `flotilla watch`'s own flags; the cluster flags may also come before `watch`.
#[derive(clap::Args, Debug, Clone, PartialEq, Default)]
pub struct WatchArgs {
    /// Send triage changes to the configured webhooks (the only thing `watch` does so far).
    #[arg(long)]
    pub notify: bool,
    #[command(flatten)]
    pub targets: Targets,
    /// Stop after this many seconds (exit 0), e.g. for a cron job or a test.
    #[arg(long = "for", value_name = "SECS")]
    pub for_secs: Option<u64>,
}

/// The clusters a subcommand works on, as for the TUI; they may also come before the
/// subcommand's name.
#[derive(clap::Args, Debug, Clone, PartialEq, Default)]
pub struct Targets {
    /// Kubeconfig file(s); repeatable.
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Vec<PathBuf>,
    /// Context name or glob; repeatable.
    #[arg(long, value_name = "NAME")]
    pub context: Vec<String>,
    /// Every context in the kubeconfig.
    #[arg(short = 'A', long)]
    pub all_contexts: bool,
    /// A named fleet from config.toml.
    #[arg(long, value_name = "NAME")]
    pub fleet: Option<String>,
    /// Log file (default: flotilla.log in the state dir).
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
}

impl Cli {
    /// `flotilla [flags] <subcommand> [flags]`: the cluster flags of both places, together.
    pub fn merge(&self, t: &Targets) -> Cli {
        let mut cli = Cli {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            all_contexts: self.all_contexts || t.all_contexts,
            fleet: t.fleet.clone().or_else(|| self.fleet.clone()),
            log_file: t.log_file.clone().or_else(|| self.log_file.clone()),
            ..Cli::default()
        };
        cli.kubeconfig.extend(t.kubeconfig.iter().cloned());
        cli.context.extend(t.context.iter().cloned());
        cli
    }
}

#[derive(Subcommand, Debug, Clone, PartialEq)]
pub enum AuditCommand {
    /// Check that no record was edited, removed, reordered or cut off. Exit 0 when intact,
    /// 1 when broken, 2 when the log cannot be read. Changes whose outcome is unknown
    /// (flotilla stopped after writing their intent) are warnings on stderr, not a break.
    Verify {
        /// The log (default: the `audit-log` setting, $FLOTILLA_AUDIT_LOG, or the state dir's).
        file: Option<PathBuf>,
    },
    /// Start a new log: the current one, with its head file and key, is kept beside it as
    /// `<log>.<UTC time>` for inspection, and the new log's first record names it. The way
    /// out after flotilla found the log tampered with (it refuses changes until then).
    Rotate {
        /// The log (default as for verify).
        file: Option<PathBuf>,
    },
    /// Print the records as JSON lines, exactly as stored (their hashes still check).
    Export {
        /// Only records at or after this time: RFC 3339 (2026-01-31T12:00:00Z) or a span
        /// back from now (30m, 24h, 7d).
        #[arg(long, value_name = "WHEN", value_parser = since)]
        since: Option<jiff::Timestamp>,
        /// The log (default as for verify).
        file: Option<PathBuf>,
    },
}

/// `--since`: a timestamp, or a span back from now.
fn since(s: &str) -> Result<jiff::Timestamp, String> {
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    crate::human::parse_duration(s)
        .and_then(|secs| {
            jiff::Timestamp::now()
                .checked_sub(jiff::SignedDuration::from_secs(secs))
                .ok()
        })
        .ok_or_else(|| {
            format!(
                "{s:?} is neither an RFC 3339 time (2026-01-31T12:00:00Z) nor a span (30m, 24h, 7d)"
            )
        })
}

/// Runs an `audit` subcommand. Errors that are the user's to fix are one line on stderr and
/// exit 2, as for the TUI.
pub fn run(action: &AuditCommand) -> ExitCode {
    let file = match action {
        AuditCommand::Verify { file }
        | AuditCommand::Rotate { file }
        | AuditCommand::Export { file, .. } => file,
    };
    let path = match file {
        Some(p) => p.clone(),
        None => match crate::config::load(None, &crate::screens::modes()) {
            Ok(config) => audit::path_for(&config.settings),
            Err(e) => return user_error(&format!("configuration: {e}")),
        },
    };
    // A log that cannot be read is not evidence of tampering: say so apart from "broken".
    if let Err(e) = std::fs::File::open(&path) {
        return match e.kind() {
            std::io::ErrorKind::NotFound => user_error(&format!(
                "no audit log at {} (nothing recorded yet?)",
                path.display()
            )),
            _ => user_error(&format!("cannot read {}: {e}", path.display())),
        };
    }
    match action {
        AuditCommand::Verify { .. } => verify(&path),
        AuditCommand::Rotate { .. } => rotate(&path),
        AuditCommand::Export { since, .. } => export(&path, *since),
    }
}

/// A user error: one sanitized line on stderr, exit 2.
pub fn user_error(msg: &str) -> ExitCode {
    eprint(&format!("flotilla: {}\n", crate::text::one_line(msg)));
    ExitCode::from(2)
}

fn verify(path: &Path) -> ExitCode {
    let (records, verdict) = match audit::read_verified(path) {
        Ok(read) => read,
        Err(e) => return user_error(&format!("cannot read {}: {e}", path.display())),
    };
    let code = match verdict {
        Ok(intact) => {
            let _ = print(&format!(
                "audit log ok: {} records ({})\n",
                intact.records,
                path.display()
            ));
            if intact.head_behind > 0 {
                eprint(&format!(
                    "warning: the head file is {} record(s) behind (flotilla stopped between writing a record and its head; the next change brings it up to date)\n",
                    intact.head_behind
                ));
            }
            ExitCode::SUCCESS
        }
        Err(broken) => {
            eprint(&format!("audit log broken: {broken}\n"));
            ExitCode::from(1)
        }
    };
    for u in audit::unanswered(&records) {
        eprint(&format!(
            "warning: record {}: outcome unknown: {} at {} (flotilla stopped after writing its intent; check the cluster)\n",
            u.record,
            crate::text::one_line(&audit::describe(&u.intent)),
            crate::text::one_line(&u.intent.time),
        ));
    }
    code
}

fn rotate(path: &Path) -> ExitCode {
    match audit::rotate(path) {
        Ok(rotated) => {
            let verdict = match &rotated.verdict {
                Ok(n) => format!("its chain held, {n} records"),
                Err(b) => format!(
                    "its chain was broken: {}",
                    crate::text::one_line(&b.to_string())
                ),
            };
            let _ = print(&format!(
                "new audit log at {}; the old one is {} ({verdict})\n",
                path.display(),
                rotated.old.display()
            ));
            ExitCode::SUCCESS
        }
        Err(e) => user_error(&format!("cannot rotate {}: {e}", path.display())),
    }
}

/// The records exactly as stored when stdout is a file or a pipe (their hashes still check
/// there). On a terminal, the characters that could drive it or hide text (C1 controls, bidi
/// controls, zero-width characters; JSON already escapes C0 ones such as ESC) are shown as
/// JSON `\u` escapes: the same records, readable, and harmless.
fn export(path: &Path, since: Option<jiff::Timestamp>) -> ExitCode {
    let stdout = std::io::stdout();
    let on_terminal = stdout.is_terminal();
    let buffered = std::io::BufWriter::new(stdout.lock());
    let written = if on_terminal {
        audit::export(path, since, &mut EscapedLines::new(buffered))
    } else {
        let mut out = buffered;
        audit::export(path, since, &mut out)
    };
    match written {
        Ok(_) => ExitCode::SUCCESS,
        // `| head`: the reader had enough.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => user_error(&format!("export of {}: {e}", path.display())),
    }
}

/// A JSON-lines writer for a terminal: each complete line goes out with its control and
/// invisible characters as `\u` escapes (inside a JSON string, the same value).
struct EscapedLines<W: Write> {
    out: W,
    line: Vec<u8>,
}

impl<W: Write> EscapedLines<W> {
    fn new(out: W) -> Self {
        EscapedLines {
            out,
            line: Vec::new(),
        }
    }

    fn emit(&mut self) -> std::io::Result<()> {
        let text = String::from_utf8_lossy(&self.line);
        let escaped = escape_json_controls(&text);
        self.out.write_all(escaped.as_bytes())?;
        self.line.clear();
        Ok(())
    }
}

impl<W: Write> Write for EscapedLines<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            self.line.push(b);
            if b == b'\n' {
                self.emit()?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.line.is_empty() {
            self.emit()?;
        }
        self.out.flush()
    }
}

/// `\u` escapes for the characters `text::sanitize` would strip, line breaks kept.
fn escape_json_controls(line: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| c != '\n' && (c.is_control() || crate::text::is_invisible(c));
    if !line.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + 16);
    for c in line.chars() {
        if unsafe_char(c) {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Writes to stdout, every line sanitized (`text::clean_text`): what the CLI prints comes
/// from clusters, archives, webhooks and files. A reader that stopped (`| head`) is not an
/// error.
pub fn print(text: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match write_clean(&mut out, text) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("stdout: {e}")),
        _ => Ok(()),
    }
}

/// Writes to stderr (warnings, progress, prompts), every line sanitized; a failed write has
/// nowhere to be reported.
pub fn eprint(text: &str) {
    let _ = write_clean(&mut std::io::stderr().lock(), text);
}

fn write_clean(out: &mut dyn Write, text: &str) -> std::io::Result<()> {
    out.write_all(crate::text::clean_text(text).as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_export_on_a_terminal_escapes_what_could_drive_it_and_keeps_the_json() {
        let stored = "{\"error\":\"denied: \u{9b}2J\u{202E}nimda\u{200B}\\u001b]0;t\\u0007\"}\n";
        let mut shown = EscapedLines::new(Vec::new());
        // In pieces, as a buffered writer may hand them over, the last line unterminated.
        for piece in [&stored[..7], &stored[7..], "{\"a\":\"\u{2066}\"}"] {
            shown.write_all(piece.as_bytes()).unwrap();
        }
        shown.flush().unwrap();
        let text = String::from_utf8(shown.out).unwrap();
        assert_eq!(
            text,
            "{\"error\":\"denied: \\u009b2J\\u202enimda\\u200b\\u001b]0;t\\u0007\"}\n{\"a\":\"\\u2066\"}"
        );
        let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        let original: serde_json::Value = serde_json::from_str(stored.trim_end()).unwrap();
        assert_eq!(first, original, "the same record");
    }
}
