//! Mutations: the one path every change takes — permission check → plan → confirmation →
//! request with preconditions → result → audit record. The app decides (read-only mode,
//! permissions, confirmation); `run` carries a batch out on the clusters and writes the
//! audit log before it reports anything done.

pub mod audit;
pub mod build;
pub mod call;
pub mod catalog;
pub mod drain;
pub mod helm;
pub mod import;
pub mod plan;
pub mod revisions;
pub mod run;

use serde_json::Value;

/// YAML for a diff (JSON when YAML fails, which it does not for API objects).
pub fn yaml_of(v: &Value) -> String {
    serde_saphyr::to_string(v).unwrap_or_else(|_| v.to_string())
}

/// The lines that differ, "+ " added and "- " removed, in order.
pub fn changed_lines(before: &str, after: &str) -> Vec<String> {
    similar::TextDiff::from_lines(before, after)
        .iter_all_changes()
        .filter_map(|c| {
            let sign = match c.tag() {
                similar::ChangeTag::Delete => "- ",
                similar::ChangeTag::Insert => "+ ",
                similar::ChangeTag::Equal => return None,
            };
            Some(format!("{sign}{}", c.value().trim_end_matches('\n')))
        })
        .collect()
}
