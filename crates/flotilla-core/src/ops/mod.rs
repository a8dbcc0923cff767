//! Mutations, the pure half: planning the calls of an `Op`, the catalog of what each needs,
//! importing and building objects, revisions, and the audit log. Sending them is the client
//! layer's `ops` (`run`, `drain`, `helm`), which extends this module.

pub mod audit;
pub mod build;
pub mod call;
pub mod catalog;
pub mod import;
pub mod plan;
pub mod revisions;

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
