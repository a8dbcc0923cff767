//! The objects `:create` and `:members` make, built from what the user typed: namespaces with
//! their ResourceQuota and LimitRange, RoleBindings, ConfigMaps and Secrets — and the command
//! lines that name them. Pure: everything here is checked before anything is sent, so a typo
//! (`cpu=abc`) is refused with a message instead of a server round trip.

use base64::Engine;
use serde_json::{Map, Value, json};
use std::sync::LazyLock;

/// The names `:create ns` gives the quota and limit range it makes in the new namespace.
pub const QUOTA_NAME: &str = "quota";
pub const LIMITS_NAME: &str = "limits";

/// The ClusterRoles a member can be given in a namespace.
pub const ROLES: [&str; 3] = ["view", "edit", "admin"];

/// A Kubernetes quantity ("500m", "2", "8Gi", "1e3"), never negative: quotas and limits are
/// amounts. The server checks again; this catches typos before anything is sent.
static QUANTITY: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"^(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$")
        .unwrap_or_else(|_| unreachable!("the quantity pattern is valid"))
});

/// Quota entries that count objects: whole numbers only.
fn is_count(key: &str) -> bool {
    matches!(
        key,
        "pods"
            | "services"
            | "secrets"
            | "configmaps"
            | "persistentvolumeclaims"
            | "replicationcontrollers"
            | "resourcequotas"
            | "services.loadbalancers"
            | "services.nodeports"
    ) || key.starts_with("count/")
}

/// `key=value` checked as an amount: `cpu=abc` is refused with what a quantity looks like.
pub fn quantity(key: &str, value: &str) -> Result<(), String> {
    if is_count(key) {
        if value.is_empty() || !value.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("{key}={value}: {value:?} is not a whole number"));
        }
        return Ok(());
    }
    if QUANTITY.is_match(value) {
        Ok(())
    } else {
        Err(format!(
            "{key}={value}: {value:?} is not a quantity (e.g. 500m, 2, 512Mi, 8Gi)"
        ))
    }
}

/// `cpu=4,memory=8Gi` → pairs, each value a quantity; keys must not repeat.
pub fn amounts(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("{part:?}: expected NAME=AMOUNT (cpu=4,memory=8Gi)"))?;
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() {
            return Err(format!("{part:?}: the name is missing"));
        }
        quantity(k, v)?;
        if out.iter().any(|(o, _)| o == k) {
            return Err(format!("{k} is given twice"));
        }
        out.push((k.to_string(), v.to_string()));
    }
    if out.is_empty() {
        return Err("expected NAME=AMOUNT pairs (cpu=4,memory=8Gi)".into());
    }
    Ok(out)
}

/// A DNS-1123 label: what namespace names must be.
pub fn dns_label(what: &str, name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} {name:?}: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63"
        ))
    }
}

/// A DNS-1123 subdomain: what most object names must be.
pub fn dns_name(what: &str, name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|part| dns_label(what, part).is_ok());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} {name:?}: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
        ))
    }
}

/// A ConfigMap or Secret key.
pub fn data_key(key: &str) -> Result<(), String> {
    let ok = !key.is_empty()
        && key.len() <= 253
        && key != "."
        && key != ".."
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "key {key:?}: letters, digits, '-', '_' and '.' only"
        ))
    }
}

pub fn namespace(name: &str) -> Result<Value, String> {
    dns_label("namespace", name)?;
    Ok(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}))
}

/// The quota's own resource names for the short ones people type: `storage` is what PVCs
/// request, which the API calls `requests.storage`.
fn quota_key(key: &str) -> &str {
    match key {
        "storage" => "requests.storage",
        k => k,
    }
}

pub fn resource_quota(ns: &str, hard: &[(String, String)]) -> Result<Value, String> {
    let mut map = Map::new();
    for (k, v) in hard {
        quantity(k, v)?;
        map.insert(quota_key(k).to_string(), json!(v));
    }
    Ok(json!({
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": QUOTA_NAME, "namespace": ns},
        "spec": {"hard": map},
    }))
}

/// Container defaults: `limits` become the default limits, `requests` the default requests
/// (the server takes the limits for requests not given).
pub fn limit_range(
    ns: &str,
    limits: &[(String, String)],
    requests: &[(String, String)],
) -> Result<Value, String> {
    let amounts = |pairs: &[(String, String)]| -> Result<Map<String, Value>, String> {
        let mut m = Map::new();
        for (k, v) in pairs {
            quantity(k, v)?;
            m.insert(k.clone(), json!(v));
        }
        Ok(m)
    };
    let mut item = json!({"type": "Container"});
    if !limits.is_empty() {
        item["default"] = Value::Object(amounts(limits)?);
    }
    if !requests.is_empty() {
        item["defaultRequest"] = Value::Object(amounts(requests)?);
    }
    Ok(json!({
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": LIMITS_NAME, "namespace": ns},
        "spec": {"limits": [item]},
    }))
}

/// A namespace with its optional quota and limit range, in the order they must be created.
pub fn project(
    name: &str,
    quota: &[(String, String)],
    limits: &[(String, String)],
    requests: &[(String, String)],
) -> Result<Vec<Value>, String> {
    let mut out = vec![namespace(name)?];
    if !quota.is_empty() {
        out.push(resource_quota(name, quota)?);
    }
    if !limits.is_empty() || !requests.is_empty() {
        out.push(limit_range(name, limits, requests)?);
    }
    Ok(out)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubjectKind {
    User,
    Group,
    ServiceAccount,
}

impl SubjectKind {
    pub fn parse(s: &str) -> Result<SubjectKind, String> {
        match s.trim().to_lowercase().as_str() {
            "user" | "u" => Ok(SubjectKind::User),
            "group" | "g" => Ok(SubjectKind::Group),
            "serviceaccount" | "service-account" | "sa" => Ok(SubjectKind::ServiceAccount),
            other => Err(format!(
                "{other:?} is not a subject kind: user, group or serviceaccount"
            )),
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            SubjectKind::User => "User",
            SubjectKind::Group => "Group",
            SubjectKind::ServiceAccount => "ServiceAccount",
        }
    }

    fn short(self) -> &'static str {
        match self {
            SubjectKind::User => "user",
            SubjectKind::Group => "group",
            SubjectKind::ServiceAccount => "sa",
        }
    }
}

/// A name made of anything: lowercase, other characters as '-', as an object name allows.
fn slug(s: &str) -> String {
    let mapped: String = s
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut out = String::new();
    for c in mapped.chars() {
        // No runs of separators, so "a::b" reads "a-b".
        if (c == '-' || c == '.') && out.ends_with(['-', '.']) {
            continue;
        }
        out.push(c);
    }
    out.trim_matches(['-', '.']).chars().take(200).collect()
}

/// A RoleBinding giving `subject` the ClusterRole `role` in `ns`. A service account is
/// `name` (in `ns`) or `namespace:name`. Named `ROLE-KIND-NAME`, so binding the same subject
/// to the same role twice is refused by the server instead of making a duplicate.
pub fn role_binding(
    ns: &str,
    kind: SubjectKind,
    subject: &str,
    role: &str,
) -> Result<Value, String> {
    let subject = subject.trim();
    if subject.is_empty() {
        return Err("the subject's name is missing".into());
    }
    if !ROLES.contains(&role) {
        return Err(format!("{role:?} is not a role here: {}", ROLES.join(", ")));
    }
    let subject_json = match kind {
        SubjectKind::ServiceAccount => {
            let (sa_ns, name) = subject.split_once(':').unwrap_or((ns, subject));
            dns_label("service account namespace", sa_ns)?;
            dns_name("service account", name)?;
            json!({"kind": "ServiceAccount", "name": name, "namespace": sa_ns})
        }
        k => json!({"kind": k.kind(), "name": subject, "apiGroup": "rbac.authorization.k8s.io"}),
    };
    let name = slug(&format!("{role}-{}-{subject}", kind.short()));
    Ok(json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": ns},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [subject_json],
    }))
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn check_entries(entries: &[(String, Vec<u8>)]) -> Result<(), String> {
    if entries.is_empty() {
        return Err("no keys given".into());
    }
    for (i, (k, _)) in entries.iter().enumerate() {
        data_key(k)?;
        if entries[..i].iter().any(|(o, _)| o == k) {
            return Err(format!("key {k:?} is given twice"));
        }
    }
    Ok(())
}

/// A ConfigMap: text values under `data`, anything not UTF-8 (a binary file) under `binaryData`.
pub fn config_map(ns: &str, name: &str, entries: &[(String, Vec<u8>)]) -> Result<Value, String> {
    dns_name("configmap", name)?;
    check_entries(entries)?;
    let (mut data, mut binary) = (Map::new(), Map::new());
    for (k, v) in entries {
        match std::str::from_utf8(v) {
            Ok(text) => data.insert(k.clone(), json!(text)),
            Err(_) => binary.insert(k.clone(), json!(b64(v))),
        };
    }
    let mut cm = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns},
    });
    if !data.is_empty() {
        cm["data"] = Value::Object(data);
    }
    if !binary.is_empty() {
        cm["binaryData"] = Value::Object(binary);
    }
    Ok(cm)
}

/// An Opaque Secret, values base64 under `data` (binary files as well as typed values).
pub fn secret(ns: &str, name: &str, entries: &[(String, Vec<u8>)]) -> Result<Value, String> {
    dns_name("secret", name)?;
    check_entries(entries)?;
    let data: Map<String, Value> = entries
        .iter()
        .map(|(k, v)| (k.clone(), json!(b64(v))))
        .collect();
    Ok(json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": name, "namespace": ns},
        "data": data,
    }))
}

/// `key=value` as typed; the value may be empty, the key may not.
pub fn literal(s: &str) -> Result<(String, Vec<u8>), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: expected KEY=VALUE"))?;
    data_key(k)?;
    Ok((k.to_string(), v.as_bytes().to_vec()))
}

/// The keys of `field` (`data`) that flotilla's server-side applies own on `current`, from
/// its managedFields.
pub fn applied_keys(current: &Value, field: &str) -> Vec<String> {
    let prefix = format!("f:{field}");
    current
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|m| {
            m.get("manager").and_then(Value::as_str) == Some("flotilla")
                && m.get("operation").and_then(Value::as_str) == Some("Apply")
                && m.get("subresource").is_none()
        })
        .filter_map(|m| m.pointer("/fieldsV1")?.get(&prefix)?.as_object())
        .flat_map(|keys| {
            keys.keys()
                .filter_map(|k| k.strip_prefix("f:"))
                .map(str::to_string)
        })
        .collect()
}

/// The server-side apply of one key of a ConfigMap or Secret as it is now (`current`): the
/// object's name and uid (the server refuses it if another object took its place), the new
/// value, and every other key flotilla's earlier applies own with its current value — an
/// apply leaves out what its manager owned before, and the server would drop those keys.
pub fn key_update(current: &Value, key: &str, value: &[u8]) -> Result<Value, String> {
    data_key(key)?;
    let kind = current.get("kind").and_then(Value::as_str).unwrap_or("");
    let secret = match kind {
        "Secret" => true,
        "ConfigMap" => false,
        other => return Err(format!("a {other} has no keys to set")),
    };
    let meta = |f: &str| {
        current
            .pointer(&format!("/metadata/{f}"))
            .and_then(Value::as_str)
    };
    let (Some(name), Some(uid)) = (meta("name"), meta("uid")) else {
        return Err("the object has no name or uid".into());
    };
    let mut data = Map::new();
    for k in applied_keys(current, "data") {
        if let Some(v) = current.get("data").and_then(|d| d.get(&k)) {
            data.insert(k, v.clone());
        }
    }
    let new = if secret {
        json!(b64(value))
    } else {
        let text = std::str::from_utf8(value).map_err(|_| "a ConfigMap value must be text")?;
        json!(text)
    };
    data.insert(key.to_string(), new);
    let mut obj = json!({
        "apiVersion": "v1",
        "kind": kind,
        "metadata": {"name": name, "uid": uid},
        "data": data,
    });
    if let Some(ns) = meta("namespace") {
        obj["metadata"]["namespace"] = json!(ns);
    }
    Ok(obj)
}

// ---------------------------------------------------------------------------------------
// Command lines

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

pub const CREATE_USAGE: &str = "usage: :create ns NAME [--quota cpu=4,memory=8Gi,pods=50,storage=100Gi] [--limits cpu=500m,memory=512Mi] [--requests …] | cm NAME [-n NS] KEY=VALUE… [--from-file PATH] | secret NAME [-n NS] KEY… [--from-file PATH] | -f FILE (or -f - to paste) — each with [@CONTEXT…]";

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
            if let Some(path) = other
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

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn quantities_are_checked_with_a_clear_message() {
        for ok in ["4", "500m", "8Gi", "0.5", "1e3", "100Gi", ".5", "2k"] {
            assert_eq!(quantity("cpu", ok), Ok(()), "{ok}");
        }
        let err = quantity("cpu", "abc").unwrap_err();
        assert!(
            err.contains("cpu=abc") && err.contains("not a quantity"),
            "{err}"
        );
        for bad in ["", "-1", "8GB", "4 cores", "1.2.3", "Gi"] {
            assert!(quantity("memory", bad).is_err(), "{bad}");
        }
        assert!(quantity("pods", "50").is_ok());
        assert!(
            quantity("pods", "1.5")
                .unwrap_err()
                .contains("whole number")
        );
        assert_eq!(
            amounts("cpu=4, memory=8Gi,pods=50"),
            Ok(pairs(&[("cpu", "4"), ("memory", "8Gi"), ("pods", "50")]))
        );
        assert!(amounts("cpu=abc").unwrap_err().contains("not a quantity"));
        assert!(amounts("cpu").unwrap_err().contains("NAME=AMOUNT"));
        assert!(amounts("cpu=1,cpu=2").unwrap_err().contains("twice"));
    }

    #[test]
    fn a_project_is_a_namespace_then_its_quota_and_limits() {
        let objs = project(
            "team-a",
            &pairs(&[("cpu", "4"), ("storage", "100Gi")]),
            &pairs(&[("cpu", "500m"), ("memory", "512Mi")]),
            &[],
        )
        .unwrap();
        let kinds: Vec<&str> = objs.iter().map(|o| o["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["Namespace", "ResourceQuota", "LimitRange"]);
        assert_eq!(objs[1]["metadata"]["namespace"], "team-a");
        assert_eq!(objs[1]["spec"]["hard"]["cpu"], "4");
        assert_eq!(objs[1]["spec"]["hard"]["requests.storage"], "100Gi");
        assert_eq!(objs[2]["spec"]["limits"][0]["default"]["memory"], "512Mi");
        assert!(objs[2]["spec"]["limits"][0].get("defaultRequest").is_none());
        assert_eq!(project("plain", &[], &[], &[]).unwrap().len(), 1);
        assert!(project("Bad_Name", &[], &[], &[]).is_err());
    }

    #[test]
    fn role_bindings_name_the_subject_and_the_role() {
        let b = role_binding("team-a", SubjectKind::ServiceAccount, "builder", "view").unwrap();
        assert_eq!(b["metadata"]["name"], "view-sa-builder");
        assert_eq!(
            b["subjects"][0],
            json!({"kind": "ServiceAccount", "name": "builder", "namespace": "team-a"})
        );
        assert_eq!(b["roleRef"]["name"], "view");
        let u = role_binding("team-a", SubjectKind::User, "Alice@Example.com", "edit").unwrap();
        assert_eq!(u["metadata"]["name"], "edit-user-alice-example.com");
        assert_eq!(u["subjects"][0]["apiGroup"], "rbac.authorization.k8s.io");
        let other = role_binding("a", SubjectKind::ServiceAccount, "ci:deployer", "admin").unwrap();
        assert_eq!(other["subjects"][0]["namespace"], "ci");
        assert!(role_binding("a", SubjectKind::Group, "devs", "cluster-admin").is_err());
        assert!(role_binding("a", SubjectKind::Group, " ", "view").is_err());
        assert_eq!(SubjectKind::parse("SA"), Ok(SubjectKind::ServiceAccount));
        assert!(SubjectKind::parse("robot").is_err());
    }

    #[test]
    fn config_maps_and_secrets_from_key_values() {
        let entries = vec![
            ("a".to_string(), b"1".to_vec()),
            ("bin".to_string(), vec![0xff, 0x00]),
        ];
        let cm = config_map("ns", "cfg", &entries).unwrap();
        assert_eq!(cm["data"]["a"], "1");
        assert_eq!(cm["binaryData"]["bin"], "/wA=");
        let s = secret("ns", "creds", &[("token".into(), b"s3cret".to_vec())]).unwrap();
        assert_eq!(s["data"]["token"], "czNjcmV0");
        assert_eq!(s["type"], "Opaque");
        assert!(config_map("ns", "cfg", &[]).is_err());
        let dup = vec![("a".to_string(), vec![]), ("a".to_string(), vec![])];
        assert!(secret("ns", "s", &dup).unwrap_err().contains("twice"));
        assert!(secret("ns", "s", &[("a/b".into(), vec![])]).is_err());
        assert_eq!(literal("k=v=w"), Ok(("k".into(), b"v=w".to_vec())));
        assert!(literal("novalue").is_err());
    }

    #[test]
    fn a_key_update_keeps_the_keys_flotilla_applied_before() {
        let current = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "s", "namespace": "ns", "uid": "u1", "managedFields": [
                {"manager": "flotilla", "operation": "Apply", "fieldsV1": {"f:data": {"f:old": {}}}},
                {"manager": "kubectl", "operation": "Update", "fieldsV1": {"f:data": {"f:theirs": {}}}},
            ]},
            "data": {"old": "b2xk", "theirs": "dGhlaXJz"},
        });
        let obj = key_update(&current, "new", b"value").unwrap();
        assert_eq!(
            obj,
            json!({"apiVersion": "v1", "kind": "Secret",
                   "metadata": {"name": "s", "namespace": "ns", "uid": "u1"},
                   "data": {"old": "b2xk", "new": "dmFsdWU="}})
        );
        let cm = json!({"kind": "ConfigMap", "metadata": {"name": "c", "uid": "u"}, "data": {}});
        assert_eq!(key_update(&cm, "k", b"v").unwrap()["data"]["k"], "v");
        assert!(key_update(&json!({"kind": "Pod"}), "k", b"v").is_err());
    }

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
