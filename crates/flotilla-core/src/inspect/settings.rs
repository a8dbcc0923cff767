//! `[inspect]` in config.toml: the thresholds checks judge by, and the silences.
//!
//! ```toml
//! [inspect]
//! restarts = 5      # a container restarted more often than this is reported
//! cert-days = 30    # a certificate expiring within this many days is reported
//! [[inspect.silence]]
//! check = "pod-no-limits"
//! namespace = "legacy"
//! reason = "vendor chart"
//! ```

use super::silence::{Silence, Silences};
use serde::Deserialize;

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct InspectSettings {
    pub restarts: u32,
    pub cert_days: u32,
    pub silence: Vec<Silence>,
}

impl Default for InspectSettings {
    fn default() -> Self {
        InspectSettings {
            restarts: 5,
            cert_days: 30,
            silence: Vec::new(),
        }
    }
}

/// The settings, checked: what `inspect` runs with.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    pub restarts: u32,
    pub cert_days: u32,
    pub silences: Silences,
}

impl Options {
    pub fn from_settings(s: &InspectSettings) -> Result<Options, String> {
        Ok(Options {
            restarts: s.restarts,
            cert_days: s.cert_days,
            silences: Silences::new(&s.silence)?,
        })
    }
}

impl Default for Options {
    fn default() -> Self {
        let s = InspectSettings::default();
        Options {
            restarts: s.restarts,
            cert_days: s.cert_days,
            silences: Silences::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_from_toml_with_defaults() {
        let s: InspectSettings = toml::from_str(
            "cert-days = 14\n[[silence]]\ncheck = \"node-cordoned\"\nreason = \"maintenance\"",
        )
        .unwrap();
        let o = Options::from_settings(&s).unwrap();
        assert_eq!((o.restarts, o.cert_days), (5, 14));
        assert!(toml::from_str::<InspectSettings>("restart = 3").is_err());
        let bad = InspectSettings {
            silence: vec![Silence {
                check: "nope".into(),
                cluster: None,
                namespace: None,
                object: None,
                reason: "x".into(),
            }],
            ..InspectSettings::default()
        };
        assert!(Options::from_settings(&bad).is_err());
    }
}
