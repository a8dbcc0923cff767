//! The command lines: `:create ns|cm|secret|-f …`, `:set-key …` and `:members …`, split as a
//! shell splits words, with the `-n NS` and `@CONTEXT…` every command takes. Every value is
//! checked here, so a typo is refused before anything is built or sent.

use super::data::literal;
use super::names::{data_key, dns_label, dns_name};
use super::quantity::amounts;

/// A file for `--from-file`: the key is the file's name unless given as `KEY=PATH`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileArg {
    pub key: Option<String>,
    pub path: String,
}

impl FileArg {
    fn parse(s: &str) -> FileArg {
        match s.split_once('=') {
            Some((k, p)) if data_key(k).is_ok() && !p.is_empty() => FileArg {
                key: Some(k.to_string()),
                path: p.to_string(),
            },
            _ => FileArg {
                key: None,
                path: s.to_string(),
            },
        }
    }

    /// The key: as given, else the file's name.
    pub fn key(&self) -> Result<String, String> {
        let key = match &self.key {
            Some(k) => k.clone(),
            None => std::path::Path::new(&self.path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .ok_or_else(|| format!("{}: no file name to use as the key", self.path))?,
        };
        data_key(&key)?;
        Ok(key)
    }
}

/// What a `:create` line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum What {
    Namespace {
        name: String,
        quota: Vec<(String, String)>,
        limits: Vec<(String, String)>,
        requests: Vec<(String, String)>,
    },
    ConfigMap {
        name: String,
        literals: Vec<(String, String)>,
        files: Vec<FileArg>,
    },
    /// Values are typed into a masked form, one per key, never on the command line.
    Secret {
        name: String,
        keys: Vec<String>,
        files: Vec<FileArg>,
    },
    /// A YAML file; `-` for the paste buffer.
    File(String),
    /// A workload from a form (`workload`): its kind, and its name when given.
    Workload {
        kind: &'static str,
        name: Option<String>,
    },
}

/// The parts every command shares: `-n NS` and `@context`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    pub namespace: Option<String>,
    /// Empty: the first live cluster.
    pub contexts: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateArgs {
    pub what: What,
    pub scope: Scope,
}

pub const CREATE_USAGE: &str = "usage: :create deploy|sts|ds|job|cronjob [NAME] [-n NS] (a form) | ns NAME [--quota cpu=4,memory=8Gi,pods=50,storage=100Gi] [--limits cpu=500m,memory=512Mi] [--requests …] | cm NAME [-n NS] KEY=VALUE… [--from-file PATH] | secret NAME [-n NS] KEY… [--from-file PATH] | -f FILE (or -f - to paste) — each with [@CONTEXT…]";

/// Words as a shell splits them: spaces separate, "double" or 'single' quotes keep spaces.
pub fn words(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            (None, c) => cur.push(c),
        }
    }
    if quote.is_some() {
        return Err("a quote is not closed".into());
    }
    if any || !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

/// Walks words, taking `-n NS`, `@ctx[,ctx]` and `--opt VALUE` / `--opt=VALUE` out.
struct Words {
    words: std::vec::IntoIter<String>,
    scope: Scope,
}

impl Words {
    fn new(line: &str) -> Result<Words, String> {
        Ok(Words {
            words: words(line)?.into_iter(),
            scope: Scope::default(),
        })
    }

    /// The next word that is not a scope word (those are recorded); `None` at the end.
    fn next(&mut self) -> Result<Option<String>, String> {
        while let Some(w) = self.words.next() {
            if let Some(c) = w.strip_prefix('@') {
                let names = c.split(',').filter(|s| !s.is_empty()).map(str::to_string);
                self.scope.contexts.extend(names);
            } else if w == "-n" || w == "--namespace" {
                let ns = self.words.next().ok_or("-n needs a namespace")?;
                dns_label("namespace", &ns)?;
                self.scope.namespace = Some(ns);
            } else if let Some(ns) = w
                .strip_prefix("--namespace=")
                .or_else(|| w.strip_prefix("-n="))
            {
                dns_label("namespace", ns)?;
                self.scope.namespace = Some(ns.to_string());
            } else {
                return Ok(Some(w));
            }
        }
        Ok(None)
    }

    /// The value of option `opt` (`--opt VALUE` or `--opt=VALUE`) when `w` is that option.
    fn value_of(&mut self, w: &str, opt: &str) -> Result<Option<String>, String> {
        if w == opt {
            return self
                .next()?
                .map(Some)
                .ok_or_else(|| format!("{opt} needs a value"));
        }
        Ok(w.strip_prefix(opt)
            .and_then(|rest| rest.strip_prefix('='))
            .map(str::to_string))
    }

    fn name(&mut self, what: &str) -> Result<String, String> {
        match self.next()? {
            Some(n) if !n.starts_with('-') => Ok(n),
            _ => Err(format!("{what} needs a NAME")),
        }
    }
}

pub fn parse_create(line: &str) -> Result<CreateArgs, String> {
    let mut w = Words::new(line)?;
    let kind = w.next()?.ok_or(CREATE_USAGE)?;
    let what = match kind.as_str() {
        "ns" | "namespace" | "project" => {
            let name = w.name("a namespace")?;
            dns_label("namespace", &name)?;
            let (mut quota, mut limits, mut requests) = (Vec::new(), Vec::new(), Vec::new());
            while let Some(word) = w.next()? {
                if let Some(v) = w.value_of(&word, "--quota")? {
                    quota = amounts(&v)?;
                } else if let Some(v) = w.value_of(&word, "--limits")? {
                    limits = amounts(&v)?;
                } else if let Some(v) = w.value_of(&word, "--requests")? {
                    requests = amounts(&v)?;
                } else {
                    return Err(format!(
                        "unknown {word:?} (a namespace takes --quota, --limits, --requests, @CONTEXT)"
                    ));
                }
            }
            What::Namespace {
                name,
                quota,
                limits,
                requests,
            }
        }
        "cm" | "configmap" | "secret" => {
            let secret = kind == "secret";
            let name = w.name(&kind)?;
            dns_name(&kind, &name)?;
            let (mut literals, mut keys, mut files) = (Vec::new(), Vec::new(), Vec::new());
            while let Some(word) = w.next()? {
                if let Some(v) = w.value_of(&word, "--from-file")? {
                    files.push(FileArg::parse(&v));
                } else if word.starts_with('-') {
                    return Err(format!("unknown option {word:?}"));
                } else if secret {
                    if word.contains('=') {
                        // A value on the command line would be shown and kept in the prompt.
                        return Err(
                            "secret values are not typed on the command line: list the KEYs, the masked form asks for each value".into(),
                        );
                    }
                    data_key(&word)?;
                    keys.push(word);
                } else {
                    let (k, v) = literal(&word)?;
                    literals.push((k, String::from_utf8_lossy(&v).into_owned()));
                }
            }
            if secret {
                What::Secret { name, keys, files }
            } else if literals.is_empty() && files.is_empty() {
                return Err("a configmap needs KEY=VALUE pairs or --from-file PATH".into());
            } else {
                What::ConfigMap {
                    name,
                    literals,
                    files,
                }
            }
        }
        "-f" | "--filename" => {
            let path = w.next()?.ok_or("-f needs a FILE (or - to paste)")?;
            if let Some(extra) = w.next()? {
                return Err(format!("unexpected {extra:?} after the file"));
            }
            What::File(path)
        }
        other => {
            if let Some(kind) = super::workload::kind_of(other) {
                let name = w.next()?;
                if let Some(n) = &name {
                    dns_name("name", n)?;
                }
                if let Some(extra) = w.next()? {
                    return Err(format!(
                        "unexpected {extra:?}: the form asks for the rest (:create {other} [NAME] [-n NS] [@CONTEXT…])"
                    ));
                }
                What::Workload { kind, name }
            } else if let Some(path) = other
                .strip_prefix("--filename=")
                .or(other.strip_prefix("-f="))
            {
                What::File(path.to_string())
            } else {
                return Err(format!("cannot create {other:?} — {CREATE_USAGE}"));
            }
        }
    };
    Ok(CreateArgs {
        what,
        scope: w.scope,
    })
}

/// `:set-key`: one key of a ConfigMap or Secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetKeyArgs {
    pub secret: bool,
    pub name: String,
    pub key: String,
    /// ConfigMaps only: the value typed after `=`; otherwise the form asks.
    pub value: Option<String>,
    pub scope: Scope,
}

pub const SET_KEY_USAGE: &str = "usage: :set-key cm|secret NAME KEY[=VALUE] [-n NS] [@CONTEXT…] (a Secret's value is asked masked)";

pub fn parse_set_key(line: &str) -> Result<SetKeyArgs, String> {
    let mut w = Words::new(line)?;
    let secret = match w.next()?.as_deref() {
        Some("cm" | "configmap" | "configmaps") => false,
        Some("secret" | "secrets") => true,
        _ => return Err(SET_KEY_USAGE.into()),
    };
    let name = w.name("set-key")?;
    let key = w.next()?.ok_or(SET_KEY_USAGE)?;
    if let Some(extra) = w.next()? {
        return Err(format!("unexpected {extra:?} — {SET_KEY_USAGE}"));
    }
    let (key, value) = match key.split_once('=') {
        Some(_) if secret => {
            return Err(
                "secret values are not typed on the command line: give the KEY, the masked form asks for the value".into(),
            );
        }
        Some((k, v)) => (k.to_string(), Some(v.to_string())),
        None => (key, None),
    };
    data_key(&key)?;
    Ok(SetKeyArgs {
        secret,
        name,
        key,
        value,
        scope: w.scope,
    })
}

/// `:members NS [@CONTEXT…]`.
pub fn parse_members(line: &str) -> Result<(String, Scope), String> {
    let mut w = Words::new(line)?;
    let ns = w.next()?;
    if let Some(extra) = w.next()? {
        return Err(format!(
            "unexpected {extra:?} — usage: :members NAMESPACE [@CONTEXT…]"
        ));
    }
    let ns = ns
        .or_else(|| w.scope.namespace.clone())
        .ok_or("usage: :members NAMESPACE [@CONTEXT…]")?;
    dns_label("namespace", &ns)?;
    Ok((ns, w.scope))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::build::pairs;

    #[test]
    fn create_lines_parse_like_kubectl() {
        let a = parse_create(
            "ns team-a --quota cpu=4,memory=8Gi,pods=50,storage=100Gi --limits=cpu=500m,memory=512Mi @dev,staging",
        )
        .unwrap();
        assert_eq!(a.scope.contexts, ["dev", "staging"]);
        let What::Namespace {
            name,
            quota,
            limits,
            ..
        } = a.what
        else {
            panic!("{a:?}")
        };
        assert_eq!(name, "team-a");
        assert_eq!(quota.len(), 4);
        assert_eq!(limits, pairs(&[("cpu", "500m"), ("memory", "512Mi")]));
        let err = parse_create("ns team-a --quota cpu=abc").unwrap_err();
        assert!(
            err.contains("cpu=abc") && err.contains("not a quantity"),
            "{err}"
        );

        let c = parse_create("cm cfg -n shop a=1 'b=two words' --from-file conf/app.yaml @dev")
            .unwrap();
        assert_eq!(c.scope.namespace.as_deref(), Some("shop"));
        assert_eq!(
            c.what,
            What::ConfigMap {
                name: "cfg".into(),
                literals: pairs(&[("a", "1"), ("b", "two words")]),
                files: vec![FileArg {
                    key: None,
                    path: "conf/app.yaml".into()
                }],
            }
        );
        let s = parse_create("secret creds -n shop user password").unwrap();
        assert!(matches!(s.what, What::Secret { ref keys, .. } if keys == &["user", "password"]));
        assert!(
            parse_create("secret creds password=hunter2")
                .unwrap_err()
                .contains("masked")
        );
        assert_eq!(
            parse_create("-f app.yaml @prod").unwrap().what,
            What::File("app.yaml".into())
        );
        assert_eq!(parse_create("-f -").unwrap().what, What::File("-".into()));
        assert!(parse_create("widget x").is_err());
        assert!(parse_create("cm empty").is_err());
        assert!(parse_create("cm x 'open").unwrap_err().contains("quote"));
        assert_eq!(FileArg::parse("conf=./a.txt").key(), Ok("conf".to_string()));
        assert_eq!(
            FileArg::parse("dir/app.yaml").key(),
            Ok("app.yaml".to_string())
        );
    }

    #[test]
    fn set_key_and_members_lines() {
        let s = parse_set_key("secret creds password -n shop @dev").unwrap();
        assert!(s.secret && s.value.is_none() && s.key == "password");
        let c = parse_set_key("cm cfg level=debug").unwrap();
        assert_eq!(c.value.as_deref(), Some("debug"));
        assert!(parse_set_key("secret creds password=x").is_err());
        assert!(parse_set_key("pod x k").is_err());
        assert_eq!(
            parse_members("team-a @dev,prod").unwrap(),
            (
                "team-a".into(),
                Scope {
                    namespace: None,
                    contexts: vec!["dev".into(), "prod".into()]
                }
            )
        );
        assert!(parse_members("").is_err());
    }
}
