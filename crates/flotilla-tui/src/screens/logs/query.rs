//! Which pods a log pane tails, and the `:logs` command line that says so:
//! `:logs [POD-REGEX] [-l SELECTOR] [-n NS|-A] [@CTX,CTX] [--node NODE] [-c CONTAINER-REGEX]
//!  [--since 15m] [--tail N] [--previous] [/FILTER/]`.

use crate::kinds::selector::{LabelReq, parse_selector};
use crate::logs::buffer::smart_case;
use crate::model::Row;
use regex::Regex;

/// One description of pods to tail; a pane tails the union of its queries.
#[derive(Clone, Debug, Default)]
pub struct Query {
    /// Context names (or globs); `None` = every live cluster.
    pub contexts: Option<Vec<String>>,
    pub namespaces: Option<Vec<String>>,
    pub selector: Vec<LabelReq>,
    pub node: Option<String>,
    /// Exactly this pod.
    pub pod_uid: Option<String>,
    pub pod: Option<Regex>,
    pub container: Option<Regex>,
}

impl Query {
    pub fn in_context(&self, context: &str) -> bool {
        self.contexts.as_ref().is_none_or(|cs| {
            cs.iter()
                .any(|c| c == context || glob::Pattern::new(c).is_ok_and(|p| p.matches(context)))
        })
    }

    /// Whether a pod row (of a sheet whose NODE cell is `node_idx`) is one of ours.
    pub fn matches(&self, row: &Row, node_idx: Option<usize>) -> bool {
        if let Some(uid) = &self.pod_uid {
            return row.uid == *uid;
        }
        self.namespaces
            .as_ref()
            .is_none_or(|ns| ns.contains(&row.namespace))
            && self.selector.iter().all(|r| r.matches(row))
            && self.pod.as_ref().is_none_or(|re| re.is_match(&row.name))
            && self.node.as_ref().is_none_or(|n| {
                node_idx
                    .and_then(|i| row.cells.get(i))
                    .is_some_and(|c| c == n)
            })
    }

    pub fn wants_container(&self, name: &str) -> bool {
        self.container.as_ref().is_none_or(|re| re.is_match(name))
    }
}

/// A parsed `:logs` line.
#[derive(Debug, Default)]
pub struct Parsed {
    pub query: Query,
    pub since: Option<u32>,
    pub tail: Option<i64>,
    pub previous: bool,
    pub filter: Option<String>,
}

pub fn parse(args: &str) -> Result<Parsed, String> {
    let mut p = Parsed::default();
    let mut words = split(args)?.into_iter();
    let mut all_namespaces = false;
    let need = |flag: &str, v: Option<String>| v.ok_or_else(|| format!("{flag} needs a value"));
    while let Some(w) = words.next() {
        match w.as_str() {
            "-l" | "--selector" => {
                let v = need(&w, words.next())?;
                p.query.selector.extend(parse_selector(&v)?);
            }
            "-n" | "--namespace" => {
                let v = need(&w, words.next())?;
                p.query
                    .namespaces
                    .get_or_insert_with(Vec::new)
                    .extend(v.split(',').map(str::to_string));
            }
            "-A" | "--all-namespaces" => all_namespaces = true,
            "-c" | "--container" => p.query.container = Some(smart_case(&need(&w, words.next())?)?),
            "--node" => p.query.node = Some(need(&w, words.next())?),
            "--since" => {
                let v = need(&w, words.next())?;
                let secs = crate::human::parse_duration(&v)
                    .and_then(|s| u32::try_from(s).ok())
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("--since takes a duration like 15m, not {v:?}"))?;
                p.since = Some(secs);
            }
            "--tail" => {
                let v = need(&w, words.next())?;
                p.tail = Some(
                    v.parse::<i64>()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| format!("--tail takes a number of lines, not {v:?}"))?,
                );
            }
            "-p" | "--previous" => p.previous = true,
            _ if w.starts_with('@') => {
                let cs: Vec<String> = w[1..]
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_string)
                    .collect();
                p.query.contexts.get_or_insert_with(Vec::new).extend(cs);
            }
            _ if w.len() >= 2 && w.starts_with('/') && w.ends_with('/') => {
                let f = &w[1..w.len() - 1];
                smart_case(f.trim_start_matches('!'))?;
                p.filter = Some(f.to_string());
            }
            _ if w.starts_with("-l") && w.len() > 2 => {
                p.query.selector.extend(parse_selector(&w[2..])?);
            }
            _ if w.starts_with('-') => return Err(format!("unknown option {w:?} for :logs")),
            _ if p.query.pod.is_none() => p.query.pod = Some(smart_case(&w)?),
            _ => return Err(format!("one pod pattern only (got {w:?} as well)")),
        }
    }
    if all_namespaces {
        p.query.namespaces = None;
    }
    let q = &p.query;
    if q.selector.is_empty() && q.pod.is_none() && q.node.is_none() && q.namespaces.is_none() {
        return Err(
            "say which pods: :logs POD-REGEX, -l SELECTOR, -n NAMESPACE or --node NODE \
             (e.g. :logs -l app=web @prod --since 15m /timeout/)"
                .into(),
        );
    }
    Ok(p)
}

/// Words, with `/…/` kept whole even when it holds spaces, and "…" quoting.
fn split(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = s.trim().chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut w = String::new();
        if c == '/' {
            w.push(c);
            chars.next();
            let mut closed = false;
            for c in chars.by_ref() {
                w.push(c);
                if c == '/' && !w.ends_with("\\/") {
                    closed = true;
                    break;
                }
            }
            if !closed {
                return Err(format!("unclosed /regex/ in {s:?}"));
            }
        } else if c == '"' {
            chars.next();
            let mut closed = false;
            for c in chars.by_ref() {
                if c == '"' {
                    closed = true;
                    break;
                }
                w.push(c);
            }
            if !closed {
                return Err(format!("unclosed quote in {s:?}"));
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                w.push(c);
                chars.next();
            }
        }
        out.push(w);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_example_parses() {
        let p = parse(r"-l app=web @prod,staging --since 15m /timeout|5\d\d/").unwrap();
        assert_eq!(
            p.query.selector,
            vec![LabelReq::Eq("app".into(), "web".into())]
        );
        assert_eq!(
            p.query.contexts,
            Some(vec!["prod".to_string(), "staging".to_string()])
        );
        assert_eq!(p.since, Some(900));
        assert_eq!(p.filter.as_deref(), Some(r"timeout|5\d\d"));
        assert!(p.query.in_context("prod") && !p.query.in_context("dev"));
    }

    #[test]
    fn pods_containers_and_errors() {
        let p = parse("^api -n shop,data -c side --tail 50 -p").unwrap();
        assert!(p.query.pod.as_ref().unwrap().is_match("api-7f9"));
        assert_eq!(p.query.namespaces.as_ref().unwrap().len(), 2);
        assert!(p.query.wants_container("sidecar") && !p.query.wants_container("api"));
        assert_eq!((p.tail, p.previous), (Some(50), true));
        assert!(parse("").unwrap_err().contains("say which pods"));
        assert!(parse("--since soon web").unwrap_err().contains("15m"));
        assert!(parse("/(/").unwrap_err().contains("bad regex"));
        assert!(parse("-l").unwrap_err().contains("needs a value"));
        assert!(
            parse("web --frobnicate")
                .unwrap_err()
                .contains("unknown option")
        );
    }
}
