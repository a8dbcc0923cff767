//! How long a condition must last before triage lists it, and which rules are off: the
//! defaults in `rules::THRESHOLDS`, overridden by `[triage]` in the settings.

use super::rules::{RULES, THRESHOLDS};
use serde::Deserialize;
use std::collections::BTreeMap;

/// `[triage]` in settings.toml: `pending = "10m"`, `off = ["node-cordoned"]`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct TriageSettings {
    #[serde(default)]
    pub off: Vec<String>,
    #[serde(flatten)]
    pub after: BTreeMap<String, String>,
}

#[derive(Clone, Debug)]
pub struct Thresholds {
    secs: BTreeMap<&'static str, i64>,
    off: Vec<String>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            secs: THRESHOLDS.iter().map(|(n, s, _)| (*n, *s)).collect(),
            off: Vec::new(),
        }
    }
}

impl Thresholds {
    /// The defaults with the user's settings; an unknown name or a bad duration is an error
    /// that says which.
    pub fn from_settings(s: &TriageSettings) -> Result<Thresholds, String> {
        let mut t = Thresholds::default();
        for (name, value) in &s.after {
            let Some((key, _, _)) = THRESHOLDS.iter().find(|(n, _, _)| n == name) else {
                let known: Vec<&str> = THRESHOLDS.iter().map(|(n, _, _)| *n).collect();
                return Err(format!(
                    "[triage] {name}: unknown threshold (known: {})",
                    known.join(", ")
                ));
            };
            let secs = crate::human::parse_duration(value)
                .or_else(|| (value.trim() == "0").then_some(0))
                .ok_or_else(|| {
                    format!(
                        "[triage] {name} = {value:?}: not a duration (e.g. \"90s\", \"5m\", \"1h\")"
                    )
                })?;
            t.secs.insert(key, secs);
        }
        for id in &s.off {
            if !RULES.iter().any(|r| r.id == id) {
                return Err(format!("[triage] off: no rule {id:?}"));
            }
        }
        t.off = s.off.clone();
        Ok(t)
    }

    pub fn secs(&self, name: &str) -> i64 {
        self.secs.get(name).copied().unwrap_or(0)
    }

    pub fn on(&self, rule: &str) -> bool {
        !self.off.iter().any(|o| o == rule)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_override_defaults_and_bad_ones_say_why() {
        let mut s = TriageSettings::default();
        s.after.insert("pending".into(), "90s".into());
        let t = Thresholds::from_settings(&s).unwrap();
        assert_eq!(t.secs("pending"), 90);
        assert_eq!(t.secs("rollout"), 600);
        s.after.insert("pendng".into(), "1m".into());
        assert!(
            Thresholds::from_settings(&s)
                .unwrap_err()
                .contains("unknown threshold")
        );
        s.after.remove("pendng");
        s.after.insert("rollout".into(), "soon".into());
        assert!(
            Thresholds::from_settings(&s)
                .unwrap_err()
                .contains("not a duration")
        );
        s.after.remove("rollout");
        s.off.push("pod-failing".into());
        assert!(!Thresholds::from_settings(&s).unwrap().on("pod-failing"));
    }
}
