//! `flotilla inspect`: one report over the selected clusters, for a scheduled job or a ticket.
//! Each cluster is read and judged on its own; one that does not answer is in the report as
//! unreachable and the others are judged as usual.

use super::{Targets, print};
use crate::cluster::{connection, survey};
use crate::inspect::{self, ClusterReport, Options, Report, render};
use kube::config::Kubeconfig;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug, Clone, PartialEq, Default)]
pub struct InspectArgs {
    #[command(flatten)]
    pub targets: Targets,
    /// text, json, markdown or html (default: from the -o file's extension, else text).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// Write the report to this file (replaced whole, never half-written) instead of stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Compare with an earlier JSON report: print the findings that are new, fixed or
    /// silenced since (text, or JSON with --format json); the report itself goes to -o.
    #[arg(long, value_name = "OLD.json")]
    pub diff: Option<PathBuf>,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Markdown,
    Html,
}

impl InspectArgs {
    fn format(&self) -> Format {
        let by_extension = || {
            let ext = self.output.as_deref()?.extension()?.to_str()?;
            match ext.to_ascii_lowercase().as_str() {
                "json" => Some(Format::Json),
                "md" | "markdown" => Some(Format::Markdown),
                "html" | "htm" => Some(Format::Html),
                _ => None,
            }
        };
        self.format.or_else(by_extension).unwrap_or(Format::Text)
    }
}

/// Everything said to the user is an `Err` of one line (exit 2).
pub async fn run(
    kubeconfig: Kubeconfig,
    contexts: &[String],
    settings: &inspect::InspectSettings,
    args: &InspectArgs,
) -> Result<(), String> {
    let opts = Options::from_settings(settings).map_err(|e| format!("configuration: {e}"))?;
    let format = args.format();
    if args.diff.is_some()
        && args
            .format
            .is_some_and(|f| !matches!(f, Format::Text | Format::Json))
    {
        return Err("--diff prints text or json; write the report itself with -o FILE".into());
    }
    // Read before any cluster is: a wrong path should not cost a fleet's worth of lists.
    let old = args.diff.as_deref().map(read_report).transpose()?;
    let report = report(&kubeconfig, contexts, &opts).await;
    let rendered = match format {
        Format::Text => render::text(&report),
        Format::Json => render::json(&report).map_err(|e| format!("the report as JSON: {e}"))?,
        Format::Markdown => render::markdown(&report),
        Format::Html => render::html(&report),
    };
    if let Some(path) = &args.output {
        write_whole(path, &rendered)?;
    }
    let shown = match &old {
        Some(old) => {
            let d = inspect::diff(old, &report);
            if args.format == Some(Format::Json) {
                serde_json::to_string_pretty(&d).map_err(|e| format!("the diff as JSON: {e}"))?
            } else {
                render::diff_text(&d)
            }
        }
        None if args.output.is_some() => return Ok(()),
        None => rendered,
    };
    print(&shown)
}

/// Every context read and judged at once, each on its own.
pub async fn report(kubeconfig: &Kubeconfig, contexts: &[String], opts: &Options) -> Report {
    let now = jiff::Timestamp::now();
    let judged = contexts
        .iter()
        .map(|ctx| cluster(ctx, kubeconfig.clone(), now.as_second(), opts));
    Report::new(futures::future::join_all(judged).await, now)
}

async fn cluster(context: &str, kubeconfig: Kubeconfig, now: i64, opts: &Options) -> ClusterReport {
    let client = match connection::build_client(context, kubeconfig).await {
        Ok(c) => c,
        Err(e) => return ClusterReport::unreachable(context, &e),
    };
    survey::inspect(&client, context, now, opts)
        .await
        .unwrap_or_else(|e| ClusterReport::unreachable(context, &e))
}

fn read_report(path: &Path) -> Result<Report, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--diff: cannot read {}: {e}", path.display()))?;
    let old: Report = serde_json::from_str(&text).map_err(|e| {
        format!(
            "--diff: {} is not a flotilla inspect JSON report ({e})",
            path.display()
        )
    })?;
    if old.version != inspect::report::REPORT_VERSION {
        return Err(format!(
            "--diff: {} is a version {} report; this flotilla reads version {}",
            path.display(),
            old.version,
            inspect::report::REPORT_VERSION
        ));
    }
    Ok(old)
}

/// Writes beside the target and renames over it, so a reader (the next run's --diff, a web
/// server) sees the old report or the new one, never a part. The file is the owner's only
/// (0600): a report names every cluster's weak spots.
fn write_whole(path: &Path, text: &str) -> Result<(), String> {
    let failed = |e: std::io::Error| format!("-o {}: {e}", path.display());
    let (tmp, mut file) = crate::files::temp_beside(path).map_err(failed)?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            failed(e)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("flotilla-inspect-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn format_follows_the_flag_then_the_file_extension() {
        let args = |format, output: Option<&str>| InspectArgs {
            format,
            output: output.map(PathBuf::from),
            ..InspectArgs::default()
        };
        assert_eq!(args(None, None).format(), Format::Text);
        assert_eq!(args(None, Some("r.JSON")).format(), Format::Json);
        assert_eq!(args(None, Some("r.md")).format(), Format::Markdown);
        assert_eq!(args(None, Some("r.html")).format(), Format::Html);
        assert_eq!(args(None, Some("report")).format(), Format::Text);
        assert_eq!(
            args(Some(Format::Text), Some("r.json")).format(),
            Format::Text
        );
    }

    #[test]
    fn an_old_report_that_is_not_one_is_refused_in_a_line() {
        let dir = scratch("old");
        let p = dir.join("old.json");
        std::fs::write(&p, "{\"findings\": []}").unwrap();
        let e = read_report(&p).unwrap_err();
        assert!(e.contains("is not a flotilla inspect JSON report"), "{e}");
        assert!(!e.contains('\n'));
        let e = read_report(&dir.join("missing.json")).unwrap_err();
        assert!(e.starts_with("--diff: cannot read"), "{e}");
    }

    #[test]
    fn the_report_file_is_replaced_whole() {
        let dir = scratch("whole");
        let p = dir.join("r.txt");
        std::fs::write(&p, "old").unwrap();
        write_whole(&p, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        let e = write_whole(&dir.join("no/such/dir/r.txt"), "x").unwrap_err();
        assert!(e.starts_with("-o "), "{e}");
    }

    #[test]
    fn the_report_file_is_private_and_written_through_no_planted_link() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("private");
        let p = dir.join("r.txt");
        // What an earlier flotilla wrote to first, made a link to someone else's file.
        let victim = dir.join("victim");
        std::fs::write(&victim, "mine").unwrap();
        std::os::unix::fs::symlink(&victim, dir.join(".r.txt.tmp")).unwrap();
        write_whole(&p, "report").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "mine");
        let meta = std::fs::symlink_metadata(&p).unwrap();
        assert!(meta.is_file(), "a file of its own, not a link");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "report");
    }
}
