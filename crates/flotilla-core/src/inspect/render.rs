//! The report as people read it: text for a terminal, Markdown for a ticket or a pull
//! request, one self-contained HTML page, and JSON for machines. Names and details are the
//! clusters' text, hostile until escaped: terminal control sequences are stripped (`text::
//! clean`) everywhere, and Markdown and HTML escape their special characters.

use super::report::{ClusterReport, Finding, Report, ReportDiff};
use super::score::Score;
use crate::text::clean;
use std::fmt::Write;

pub fn json(r: &Report) -> serde_json::Result<String> {
    serde_json::to_string_pretty(r)
}

/// A score as shown: the number, or `n/a` where nothing was examined.
pub fn score(s: Option<u8>) -> String {
    s.map_or_else(|| "n/a".to_string(), |s| s.to_string())
}

/// `shop/Deployment/web`, or `Node/n1` for a cluster-scoped object.
fn place(f: &Finding) -> String {
    match &f.namespace {
        Some(ns) => format!("{ns}/{}", f.object()),
        None => f.object(),
    }
}

fn summary(r: &Report) -> String {
    let c = &r.fleet.counts;
    format!(
        "fleet score {}: {} clusters, {} examined, {} findings ({} error, {} warning, {} info), {} silenced",
        score(r.fleet.score),
        c.clusters,
        c.examined,
        c.findings,
        c.error,
        c.warning,
        c.info,
        c.silenced
    )
}

/// `security 70 (2 of 40 flagged)` per category: the findings and what was examined.
fn categories(c: &ClusterReport) -> Vec<(String, String, &Score)> {
    c.categories
        .iter()
        .map(|(cat, s)| {
            let counts = format!("{} of {} flagged", s.count.findings, s.count.examined);
            (cat.name().to_string(), counts, s)
        })
        .collect()
}

/// `flotilla inspect --diff`: one line per finding that came, went or was silenced since the
/// old report.
pub fn diff_text(d: &ReportDiff) -> String {
    let mut out = format!(
        "{} new, {} fixed, {} silenced since the old report\n",
        d.new_findings.len(),
        d.fixed_findings.len(),
        d.silenced_findings.len()
    );
    let lists = [
        ("new", &d.new_findings),
        ("fixed", &d.fixed_findings),
        ("silenced", &d.silenced_findings),
    ];
    for (label, list) in lists {
        for f in list {
            let _ = writeln!(
                out,
                "{label:<8} {}  {}  {}  {}",
                clean(&f.cluster),
                f.check,
                clean(&place(f)),
                clean(&f.detail)
            );
        }
    }
    out
}

pub fn text(r: &Report) -> String {
    let mut out = format!("flotilla inspect, {}\n{}\n", r.generated_at, summary(r));
    for c in &r.clusters {
        let _ = write!(out, "\n{}: score {}\n", clean(&c.name), score(c.score));
        let cats: Vec<String> = categories(c)
            .iter()
            .map(|(name, counts, s)| format!("{name} {} ({counts})", score(s.score)))
            .collect();
        if !cats.is_empty() {
            let _ = writeln!(out, "  {}", cats.join(" · "));
        }
        let listed = || {
            c.findings
                .iter()
                .chain(c.silenced.iter().map(|s| &s.finding))
        };
        let width = listed().map(|f| f.check.len()).max().unwrap_or(0);
        let places = listed().map(|f| clean(&place(f)).chars().count()).max();
        let at = places.unwrap_or(0);
        for f in &c.findings {
            let _ = writeln!(
                out,
                "  {:<8} {:<width$}  {:<at$}  {}",
                f.severity.name(),
                f.check,
                clean(&place(f)),
                clean(&f.detail)
            );
        }
        for s in &c.silenced {
            let f = &s.finding;
            let _ = writeln!(
                out,
                "  {:<8} {:<width$}  {:<at$}  {} [{}]",
                "silenced",
                f.check,
                clean(&place(f)),
                clean(&f.detail),
                clean(&s.reason)
            );
        }
        // Checks skipped for one missing list share its reason: one line per reason.
        let mut skipped: Vec<(&str, Vec<&str>)> = Vec::new();
        for s in &c.skipped {
            match skipped.iter_mut().find(|(r, _)| *r == s.reason) {
                Some((_, checks)) => checks.push(&s.check),
                None => skipped.push((&s.reason, vec![&s.check])),
            }
        }
        for (reason, checks) in skipped {
            let _ = writeln!(out, "  skipped  {}: {reason}", checks.join(", "));
        }
        for e in &c.errors {
            let _ = writeln!(out, "  unread   {}", clean(e));
        }
    }
    out
}

/// Text safe in a Markdown table cell: no control characters, Markdown's punctuation
/// escaped, and HTML's too (Markdown passes HTML through).
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in clean(s).chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '#' | '~' => {
                out.push('\\');
                out.push(ch);
            }
            c => out.push(c),
        }
    }
    out
}

pub fn markdown(r: &Report) -> String {
    let mut out = format!(
        "# flotilla inspect\n\nGenerated {}: {}.\n\n",
        md(&r.generated_at),
        md(&summary(r))
    );
    out.push_str("| Cluster | Score | Findings | Silenced | Unread |\n|---|---:|---:|---:|---:|\n");
    for c in &r.clusters {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            md(&c.name),
            score(c.score),
            c.findings.len(),
            c.silenced.len(),
            c.errors.len()
        );
    }
    for c in &r.clusters {
        let _ = write!(out, "\n## {}: score {}\n\n", md(&c.name), score(c.score));
        let cats = categories(c);
        if !cats.is_empty() {
            out.push_str("| Category | Score | Findings |\n|---|---:|---:|\n");
            for (name, counts, s) in cats {
                let _ = writeln!(out, "| {name} | {} | {counts} |", score(s.score));
            }
        }
        if !c.findings.is_empty() {
            out.push_str(
                "\n### Findings\n\n| Severity | Check | Object | Detail |\n|---|---|---|---|\n",
            );
            for f in &c.findings {
                let _ = writeln!(
                    out,
                    "| {} | `{}` | {} | {} |",
                    f.severity.name(),
                    f.check,
                    md(&place(f)),
                    md(&f.detail)
                );
            }
        }
        if !c.silenced.is_empty() {
            out.push_str(
                "\n### Silenced\n\n| Check | Object | Detail | Reason |\n|---|---|---|---|\n",
            );
            for s in &c.silenced {
                let f = &s.finding;
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {} |",
                    f.check,
                    md(&place(f)),
                    md(&f.detail),
                    md(&s.reason)
                );
            }
        }
        if !c.skipped.is_empty() || !c.errors.is_empty() {
            out.push_str("\n### Not judged\n\n");
            for s in &c.skipped {
                let _ = writeln!(out, "- `{}` skipped: {}", s.check, md(&s.reason));
            }
            for e in &c.errors {
                let _ = writeln!(out, "- could not read {}", md(e));
            }
        }
    }
    out
}

/// Text safe in HTML content and in quoted attributes.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in clean(s).chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin:.5em 0 1.5em}\
td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}\
.error{color:#b00020;font-weight:bold}.warning{color:#a15c00}.info{color:#555}\
code{font-size:.95em}";

pub fn html(r: &Report) -> String {
    let e = escape_html;
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>flotilla inspect</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>flotilla inspect</h1>\n<p>Generated {}: {}.</p>\n",
        e(&r.generated_at),
        e(&summary(r))
    );
    out.push_str("<table>\n<tr><th>Cluster</th><th>Score</th><th>Findings</th><th>Silenced</th><th>Unread</th></tr>\n");
    for c in &r.clusters {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(&c.name),
            score(c.score),
            c.findings.len(),
            c.silenced.len(),
            c.errors.len()
        );
    }
    out.push_str("</table>\n");
    // The check's fix shows when hovering over its id.
    let check = |id: &str| {
        let fix = r.checks.get(id).map_or("", |c| c.fix.as_str());
        format!("<code title=\"{}\">{}</code>", e(fix), e(id))
    };
    for c in &r.clusters {
        let _ = writeln!(out, "<h2>{}: score {}</h2>", e(&c.name), score(c.score));
        let cats = categories(c);
        if !cats.is_empty() {
            out.push_str("<table>\n<tr><th>Category</th><th>Score</th><th>Findings</th></tr>\n");
            for (name, counts, s) in cats {
                let _ = writeln!(
                    out,
                    "<tr><td>{name}</td><td>{}</td><td>{counts}</td></tr>",
                    score(s.score)
                );
            }
            out.push_str("</table>\n");
        }
        if !c.findings.is_empty() {
            out.push_str("<h3>Findings</h3>\n<table>\n<tr><th>Severity</th><th>Check</th><th>Object</th><th>Detail</th></tr>\n");
            for f in &c.findings {
                let sev = f.severity.name();
                let _ = writeln!(
                    out,
                    "<tr><td class=\"{sev}\">{sev}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    check(&f.check),
                    e(&place(f)),
                    e(&f.detail)
                );
            }
            out.push_str("</table>\n");
        }
        if !c.silenced.is_empty() {
            out.push_str("<h3>Silenced</h3>\n<table>\n<tr><th>Check</th><th>Object</th><th>Detail</th><th>Reason</th></tr>\n");
            for s in &c.silenced {
                let f = &s.finding;
                let _ = writeln!(
                    out,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    check(&f.check),
                    e(&place(f)),
                    e(&f.detail),
                    e(&s.reason)
                );
            }
            out.push_str("</table>\n");
        }
        if !c.skipped.is_empty() || !c.errors.is_empty() {
            out.push_str("<h3>Not judged</h3>\n<ul>\n");
            for s in &c.skipped {
                let _ = writeln!(
                    out,
                    "<li>{} skipped: {}</li>",
                    check(&s.check),
                    e(&s.reason)
                );
            }
            for err in &c.errors {
                let _ = writeln!(out, "<li>could not read {}</li>", e(err));
            }
            out.push_str("</ul>\n");
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::report::sample;

    #[test]
    fn html_escapes_what_the_cluster_wrote() {
        let mut r = sample();
        r.clusters[0].findings[0].detail =
            "<script>alert(\"x\")</script> & 'quoted' \u{1b}[31mred".into();
        let page = html(&r);
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains(
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39; red"
        ));
        assert!(!page.contains('\u{1b}'));
        assert_eq!(escape_html("a\"b'c<d>&"), "a&quot;b&#39;c&lt;d&gt;&amp;");
        // Every table row closes.
        assert_eq!(page.matches("<tr>").count(), page.matches("</tr>").count());
    }

    #[test]
    fn markdown_keeps_tables_intact() {
        let mut r = sample();
        r.clusters[0].findings[0].detail = "a|b *c* <i>".into();
        let doc = markdown(&r);
        assert!(doc.contains(r"a\|b \*c\* &lt;i&gt;"), "{doc}");
        assert!(doc.contains("## prod-eu: score "));
        assert!(doc.contains("could not read secrets: forbidden"));
    }

    #[test]
    fn text_lists_findings_silences_skips_and_errors() {
        let mut r = sample();
        r.clusters[0].findings[0].detail = "evil \u{1b}]0;title\u{7}name".into();
        let t = text(&r);
        assert!(
            t.starts_with("flotilla inspect, 2025-03-01T00:00:00Z\nfleet score "),
            "{t}"
        );
        assert!(t.contains("evil name"));
        assert!(!t.contains('\u{1b}'));
        assert!(t.contains("silenced"));
        assert!(t.contains("[hand-run tool]"));
        assert!(t.contains(
            "skipped  tls-cert-expired, tls-cert-expiring, tls-cert-invalid: needs secrets (not read)"
        ));
        assert!(t.contains("unread   connection refused"));
        assert!(t.contains("lab: score n/a"));
    }

    #[test]
    fn json_round_trips() {
        let r = sample();
        let back: Report = serde_json::from_str(&json(&r).unwrap()).unwrap();
        assert_eq!(back, r);
    }
}
