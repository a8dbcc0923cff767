//! The `/` filter: substring (or regex when the text is one), `!` to invert, `-l` for a label
//! selector, `-f` for fuzzy name matching. Compiled once per keystroke, then a scan over
//! precomputed lowercase row text.

use crate::store::row::Row;
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use regex::Regex;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabelReq {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

impl LabelReq {
    pub fn matches(&self, row: &Row) -> bool {
        match self {
            LabelReq::Eq(k, v) => row.label(k) == Some(v.as_str()),
            LabelReq::NotEq(k, v) => row.label(k) != Some(v.as_str()),
            LabelReq::In(k, vs) => row.label(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            LabelReq::NotIn(k, vs) => row.label(k).is_none_or(|l| !vs.iter().any(|v| v == l)),
            LabelReq::Exists(k) => row.label(k).is_some(),
            LabelReq::NotExists(k) => row.label(k).is_none(),
        }
    }
}

/// Parses `app=web,tier!=db,env in (a,b),key,!key` (the kubectl `-l` grammar).
pub fn parse_selector(s: &str) -> Result<Vec<LabelReq>, String> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        // Split at the next comma that is not inside parentheses.
        let mut depth = 0;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                c == ',' && depth == 0
            })
            .map(|(i, _)| i)
            .unwrap_or(rest.len());
        let term = rest[..end].trim();
        rest = rest[end..].trim_start_matches(',').trim();
        if term.is_empty() {
            continue;
        }
        let set = |t: &str| -> Result<Vec<String>, String> {
            let t = t.trim();
            let inner = t
                .strip_prefix('(')
                .and_then(|t| t.strip_suffix(')'))
                .ok_or_else(|| format!("expected (values) in {term:?}"))?;
            Ok(inner
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect())
        };
        let req = if let Some((k, v)) = term.split_once("!=") {
            LabelReq::NotEq(k.trim().into(), v.trim().into())
        } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
            LabelReq::Eq(k.trim().into(), v.trim().into())
        } else if let Some((k, v)) = term.split_once(" notin ") {
            LabelReq::NotIn(k.trim().into(), set(v)?)
        } else if let Some((k, v)) = term.split_once(" in ") {
            LabelReq::In(k.trim().into(), set(v)?)
        } else if let Some(k) = term.strip_prefix('!') {
            LabelReq::NotExists(k.trim().into())
        } else if term
            .chars()
            .all(|c| c.is_alphanumeric() || "-_./".contains(c))
        {
            LabelReq::Exists(term.into())
        } else {
            return Err(format!("cannot parse label selector term {term:?}"));
        };
        out.push(req);
    }
    Ok(out)
}

enum Kind {
    All,
    Substring(String),
    Regex(Regex),
    Fuzzy(Box<Pattern>),
    Labels(Vec<LabelReq>),
}

pub struct Filter {
    pub text: String,
    kind: Kind,
    inverse: bool,
    matcher: Matcher,
    buf: Vec<char>,
    pub error: Option<String>,
}

impl Default for Filter {
    fn default() -> Self {
        Self::new("")
    }
}

impl Clone for Filter {
    fn clone(&self) -> Self {
        Self::new(&self.text)
    }
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Filter({:?})", self.text)
    }
}

impl Filter {
    pub fn new(text: &str) -> Self {
        let mut f = Filter {
            text: text.to_string(),
            kind: Kind::All,
            inverse: false,
            matcher: Matcher::new(Config::DEFAULT),
            buf: Vec::new(),
            error: None,
        };
        let mut t = text.trim();
        if let Some(rest) = t.strip_prefix('!') {
            f.inverse = true;
            t = rest.trim_start();
        }
        if t.is_empty() {
            f.inverse = false;
        } else if let Some(sel) = t.strip_prefix("-l ").or_else(|| t.strip_prefix("-l")) {
            match parse_selector(sel) {
                Ok(reqs) => f.kind = Kind::Labels(reqs),
                Err(e) => f.error = Some(e),
            }
        } else if let Some(pat) = t.strip_prefix("-f ").or_else(|| t.strip_prefix("-f")) {
            f.kind = Kind::Fuzzy(Box::new(Pattern::parse(
                pat.trim(),
                CaseMatching::Ignore,
                Normalization::Smart,
            )));
        } else if t.chars().any(|c| "^$*+?[](){}|\\".contains(c)) {
            match regex::RegexBuilder::new(t).case_insensitive(true).build() {
                Ok(r) => f.kind = Kind::Regex(r),
                // Half-typed regexes are common mid-keystroke; match literally meanwhile.
                Err(_) => f.kind = Kind::Substring(t.to_lowercase()),
            }
        } else {
            f.kind = Kind::Substring(t.to_lowercase());
        }
        f
    }

    pub fn is_active(&self) -> bool {
        !matches!(self.kind, Kind::All)
    }

    pub fn matches(&mut self, row: &Row) -> bool {
        let hit = match &self.kind {
            Kind::All => return true,
            Kind::Substring(s) => row.search.contains(s.as_str()),
            Kind::Regex(r) => r.is_match(&row.search),
            Kind::Labels(reqs) => reqs.iter().all(|r| r.matches(row)),
            Kind::Fuzzy(p) => p
                .score(Utf32Str::new(&row.name, &mut self.buf), &mut self.matcher)
                .is_some(),
        };
        hit != self.inverse
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::health::RowHealth;

    fn row(name: &str, status: &str, labels: &[(&str, &str)]) -> Row {
        Row {
            uid: name.into(),
            name: name.into(),
            namespace: "shop".into(),
            cells: vec![name.into(), status.into()],
            created: None,
            last_seen: None,
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            owners: vec![],
            health: RowHealth::Ok,
            search: format!("shop {} {}", name, status).to_lowercase(),
        }
    }

    #[test]
    fn substring_regex_inverse() {
        let crash = row("api-1", "CrashLoopBackOff", &[]);
        let ok = row("web-1", "Running", &[]);
        let mut f = Filter::new("crash");
        assert!(f.matches(&crash) && !f.matches(&ok));
        let mut f = Filter::new("!crash");
        assert!(!f.matches(&crash) && f.matches(&ok));
        let mut f = Filter::new("^shop (api|db)");
        assert!(f.matches(&crash) && !f.matches(&ok));
        let mut f = Filter::new("api-(");
        assert!(
            !f.matches(&crash),
            "a broken regex falls back to a literal match"
        );
    }

    #[test]
    fn labels_and_fuzzy() {
        let web = row("web-7d9f", "Running", &[("app", "web"), ("tier", "front")]);
        let db = row("db-0", "Running", &[("app", "db")]);
        let mut f = Filter::new("-l app=web");
        assert!(f.matches(&web) && !f.matches(&db));
        let mut f = Filter::new("-l app in (web, db),!tier");
        assert!(!f.matches(&web) && f.matches(&db));
        let mut f = Filter::new("-f wb7");
        assert!(f.matches(&web) && !f.matches(&db));
        assert!(Filter::new("-l a in b").error.is_some());
    }
}
