//! The `/` filter: substring (or regex when the text is one), `!` to invert, `-l` for a label
//! selector, `-f` for fuzzy name matching. Compiled once per keystroke, then a scan over
//! precomputed lowercase row text.

use crate::kinds::selector::{LabelReq, parse_selector};
use crate::model::Row;
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use regex::Regex;

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
    use crate::model::RowHealth;

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
            deleting: None,
            facts: vec![],
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
