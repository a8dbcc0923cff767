//! Scores from 0 to 100, as popeye gives them, with the counts they come from so a score can
//! be explained.
//!
//! For one check in one scope (a namespace, a category, a cluster, the fleet) with `n` objects
//! examined and `f` of them found wanting, the check's share of clean objects is `(n - f) / n`
//! (a silenced finding counts as clean: it was accepted). The scope's score weighs the share
//! of every check that examined something by the check's severity, `w` = 3 for an error, 2
//! for a warning, 1 for info:
//!
//! ```text
//! score = floor( 100 × Σ w·(n − f)/n  /  Σ w )
//! ```
//!
//! So one privileged pod in ten costs more than one unused ConfigMap in ten, and a check with
//! nothing to examine (no Ingresses) does not count. A scope where nothing was examined has no
//! score (`None`; `null` in JSON) rather than a perfect one, and while any finding stands the
//! score stays below 100, so 100 means clean. The fleet adds each check's counts over the
//! clusters before scoring, so a big cluster weighs more than a small one.

use super::checks::{Category, Severity, by_id};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Objects examined by a check (or checks), those with a finding, and those silenced.
/// An object examined by three checks counts three times.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    pub examined: u64,
    pub findings: u64,
    pub silenced: u64,
}

impl std::ops::AddAssign for Count {
    fn add_assign(&mut self, o: Count) {
        self.examined += o.examined;
        self.findings += o.findings;
        self.silenced += o.silenced;
    }
}

/// A score and the counts behind it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Score {
    pub score: Option<u8>,
    #[serde(flatten)]
    pub count: Count,
}

pub fn weight(s: Severity) -> u64 {
    match s {
        Severity::Error => 3,
        Severity::Warning => 2,
        Severity::Info => 1,
    }
}

/// The formula of the module's doc, over each check's severity and counts.
pub fn score(parts: impl IntoIterator<Item = (Severity, Count)>) -> Option<u8> {
    let (mut sum, mut weights, mut found) = (0.0, 0u64, false);
    for (sev, c) in parts {
        if c.examined == 0 {
            continue;
        }
        let clean = c.examined.saturating_sub(c.findings) as f64 / c.examined as f64;
        sum += weight(sev) as f64 * clean;
        weights += weight(sev);
        found |= c.findings > 0;
    }
    if weights == 0 {
        return None;
    }
    // The small margin keeps 0.29 × 100 from flooring to 28.
    let s = (100.0 * sum / weights as f64 + 1e-9)
        .floor()
        .clamp(0.0, 100.0) as u8;
    Some(if found { s.min(99) } else { s })
}

/// One scope's scores: overall, per check and per category.
#[derive(Debug, Default, PartialEq)]
pub struct Graded {
    pub score: Option<u8>,
    pub total: Count,
    pub checks: BTreeMap<String, Score>,
    pub categories: BTreeMap<Category, Score>,
}

/// Grades per-check counts (keyed by check id; ids not in the table are left out).
pub fn grade(per_check: &BTreeMap<String, Count>) -> Graded {
    let known: Vec<(&'static super::checks::Check, Count)> = per_check
        .iter()
        .filter_map(|(id, c)| Some((by_id(id)?, *c)))
        .collect();
    let mut categories: BTreeMap<Category, Vec<(Severity, Count)>> = BTreeMap::new();
    for (check, c) in &known {
        categories
            .entry(check.category)
            .or_default()
            .push((check.severity, *c));
    }
    let summed = |parts: &[(Severity, Count)]| Score {
        score: score(parts.iter().copied()),
        count: parts.iter().fold(Count::default(), |mut t, (_, c)| {
            t += *c;
            t
        }),
    };
    let all: Vec<(Severity, Count)> = known.iter().map(|(k, c)| (k.severity, *c)).collect();
    let overall = summed(&all);
    Graded {
        score: overall.score,
        total: overall.count,
        checks: known
            .iter()
            .map(|(k, c)| (k.id.to_string(), summed(&[(k.severity, *c)])))
            .collect(),
        categories: categories
            .iter()
            .map(|(cat, parts)| (*cat, summed(parts)))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(examined: u64, findings: u64) -> Count {
        Count {
            examined,
            findings,
            silenced: 0,
        }
    }

    #[test]
    fn score_weighs_checks_by_severity() {
        use Severity::*;
        assert_eq!(score([]), None);
        assert_eq!(score([(Error, count(0, 0))]), None);
        assert_eq!(score([(Error, count(10, 0))]), Some(100));
        // One check: the share of clean objects.
        assert_eq!(score([(Warning, count(4, 1))]), Some(75));
        // (3·0.5 + 1·1.0) / 4 = 0.625.
        assert_eq!(score([(Error, count(2, 1)), (Info, count(5, 0))]), Some(62));
        // The same finding costs more in an error check than in an info one.
        let err = score([(Error, count(10, 1)), (Info, count(10, 0))]);
        let info = score([(Error, count(10, 0)), (Info, count(10, 1))]);
        assert!(err < info, "{err:?} {info:?}");
        // Any finding keeps the score below 100; silenced ones do not count.
        assert_eq!(score([(Info, count(100_000, 1))]), Some(99));
        let silenced = Count {
            examined: 4,
            findings: 0,
            silenced: 2,
        };
        assert_eq!(score([(Warning, silenced)]), Some(100));
        assert_eq!(score([(Warning, count(100, 29))]), Some(71));
    }

    #[test]
    fn grades_per_check_and_category() {
        let per_check: BTreeMap<String, Count> = [
            ("pod-privileged".to_string(), count(4, 2)),
            ("pod-host-path".to_string(), count(4, 0)),
            ("node-cordoned".to_string(), count(2, 1)),
            ("retired-check".to_string(), count(9, 9)),
        ]
        .into_iter()
        .collect();
        let g = grade(&per_check);
        assert_eq!(g.checks["pod-privileged"].score, Some(50));
        assert!(!g.checks.contains_key("retired-check"));
        // Security: (3·0.5 + 2·1) / 5 = 0.7.
        assert_eq!(
            g.categories[&Category::Security],
            Score {
                score: Some(70),
                count: count(8, 2)
            }
        );
        assert_eq!(g.categories[&Category::Nodes].score, Some(50));
        // All: (3·0.5 + 2·1 + 2·0.5) / 7 = 0.642.
        assert_eq!(g.score, Some(64));
        assert_eq!(g.total, count(10, 3));
    }
}
