//! Silences: findings the operators know about and accept, from `[[inspect.silence]]` in the
//! settings. A silenced finding is not dropped: the report lists it with the reason, so what
//! is accepted stays visible and is reviewed, and it does not lower the score.
//!
//! ```toml
//! [[inspect.silence]]
//! check = "pod-no-limits"          # a check id, or a glob (`pod-*`)
//! namespace = "legacy"             # optional glob
//! object = "Deployment/batch-*"    # optional: Kind/name, the name a glob
//! cluster = "prod-*"               # optional glob (the context name)
//! reason = "vendor chart, sized by the vendor"
//! ```

use super::checks::CHECKS;
use super::report::Finding;
use glob::Pattern;
use serde::{Deserialize, Serialize};

/// One silence as written in the settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Silence {
    pub check: String,
    #[serde(default)]
    pub cluster: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub object: Option<String>,
    pub reason: String,
}

/// The silences, checked and compiled.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Silences(Vec<Compiled>);

#[derive(Clone, Debug, PartialEq)]
struct Compiled {
    check: Pattern,
    cluster: Option<Pattern>,
    namespace: Option<Pattern>,
    /// The kind (compared without case: `deployment/web` is how kubectl writes it) and the
    /// name's pattern.
    object: Option<(String, Pattern)>,
    reason: String,
}

impl Silences {
    /// Compiles the silences; a bad pattern, a check that matches no check id (a typo would
    /// silently silence nothing), an object without `Kind/` or a missing reason is an error
    /// that says which.
    pub fn new(list: &[Silence]) -> Result<Silences, String> {
        let pattern = |i: usize, field: &str, p: &str| {
            Pattern::new(p)
                .map_err(|e| format!("[[inspect.silence]] #{}: {field} {p:?}: {e}", i + 1))
        };
        let mut out = Vec::new();
        for (i, s) in list.iter().enumerate() {
            let at = |what: String| format!("[[inspect.silence]] #{}: {what}", i + 1);
            let check = pattern(i, "check", &s.check)?;
            if !CHECKS.iter().any(|c| check.matches(c.id)) {
                return Err(at(format!("check {:?} matches no check", s.check)));
            }
            if s.reason.trim().is_empty() {
                return Err(at("a reason is required".into()));
            }
            let object = match &s.object {
                None => None,
                Some(o) => {
                    let (kind, name) = o
                        .split_once('/')
                        .ok_or_else(|| at(format!("object {o:?}: expected Kind/name")))?;
                    Some((kind.to_string(), pattern(i, "object", name)?))
                }
            };
            let opt = |field: &str, p: &Option<String>| {
                p.as_deref().map(|p| pattern(i, field, p)).transpose()
            };
            out.push(Compiled {
                check,
                cluster: opt("cluster", &s.cluster)?,
                namespace: opt("namespace", &s.namespace)?,
                object,
                reason: s.reason.clone(),
            });
        }
        Ok(Silences(out))
    }

    /// The reason of the first silence matching the finding.
    pub fn reason(&self, f: &Finding) -> Option<&str> {
        let holds = |p: &Option<Pattern>, v: Option<&str>| {
            p.as_ref().is_none_or(|p| v.is_some_and(|v| p.matches(v)))
        };
        self.0
            .iter()
            .find(|s| {
                s.check.matches(&f.check)
                    && holds(&s.cluster, Some(&f.cluster))
                    && holds(&s.namespace, f.namespace.as_deref())
                    && s.object.as_ref().is_none_or(|(kind, name)| {
                        kind.eq_ignore_ascii_case(&f.kind) && name.matches(&f.name)
                    })
            })
            .map(|s| s.reason.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::checks::Severity;

    fn finding(check: &'static str, ns: Option<&str>, kind: &str, name: &str) -> Finding {
        Finding {
            check: check.into(),
            severity: Severity::Warning,
            cluster: "prod-eu".into(),
            namespace: ns.map(String::from),
            kind: kind.into(),
            name: name.into(),
            detail: String::new(),
        }
    }

    fn silences(toml: &str) -> Result<Silences, String> {
        #[derive(Deserialize)]
        struct File {
            silence: Vec<Silence>,
        }
        let f: File = toml::from_str(toml).map_err(|e| e.to_string())?;
        Silences::new(&f.silence)
    }

    #[test]
    fn silences_match_by_check_namespace_object_and_cluster() {
        let s = silences(
            r#"
            [[silence]]
            check = "pod-no-limits"
            namespace = "legacy"
            reason = "vendor chart"
            [[silence]]
            check = "pod-*"
            object = "deployment/batch-*"
            cluster = "prod-*"
            reason = "batch sized by hand"
            "#,
        )
        .unwrap();
        let legacy = finding("pod-no-limits", Some("legacy"), "Deployment", "web");
        assert_eq!(s.reason(&legacy), Some("vendor chart"));
        let other_ns = finding("pod-no-limits", Some("shop"), "Deployment", "web");
        assert_eq!(s.reason(&other_ns), None);
        let batch = finding("pod-no-probes", Some("shop"), "Deployment", "batch-7");
        assert_eq!(s.reason(&batch), Some("batch sized by hand"));
        let sts = finding("pod-no-probes", Some("shop"), "StatefulSet", "batch-7");
        assert_eq!(s.reason(&sts), None);
        let node = finding("node-cordoned", None, "Node", "n1");
        assert_eq!(s.reason(&node), None);
    }

    #[test]
    fn bad_silences_say_what_is_wrong() {
        let err = |t: &str| silences(t).unwrap_err();
        assert!(
            err("[[silence]]\ncheck = \"pod-no-limit\"\nreason = \"x\"")
                .contains("matches no check")
        );
        assert!(err("[[silence]]\ncheck = \"pod-no-limits\"\nreason = \" \"").contains("reason"));
        assert!(
            err("[[silence]]\ncheck = \"pod-no-limits\"\nobject = \"web\"\nreason = \"x\"")
                .contains("Kind/name")
        );
        assert!(
            err("[[silence]]\ncheck = \"pod-no-limits\"\nreason = \"x\"\nnamspace = \"a\"")
                .contains("unknown field")
        );
        assert!(err("[[silence]]\ncheck = \"pod-[\"\nreason = \"x\"").contains("#1: check"));
    }
}
