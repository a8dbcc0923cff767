//! The objects `:create` and `:members` make, built from what the user typed: namespaces with
//! their ResourceQuota and LimitRange, RoleBindings, ConfigMaps and Secrets — and the command
//! lines that name them. Pure: everything here is checked before anything is sent, so a typo
//! (`cpu=abc`) is refused with a message instead of a server round trip.
//!
//! By what they are: `quantity` (amounts: `cpu=4,memory=8Gi`), `names` (what object names
//! and data keys may be), `namespace` (a namespace with its quota and limit range),
//! `role_binding` (members), `data` (ConfigMaps and Secrets, and one key of either) and
//! `args` (the command lines), `expose` (a Service and an Ingress for a workload, and the
//! one-line forms of their ports and rules), `workload` (Deployments, StatefulSets, DaemonSets, Jobs and
//! CronJobs from a form).

mod args;
mod data;
pub mod expose;
mod names;
mod namespace;
mod quantity;
mod role_binding;
pub mod workload;

pub use args::{
    CREATE_USAGE, CreateArgs, FileArg, SET_KEY_USAGE, Scope, SetKeyArgs, What, parse_create,
    parse_members, parse_set_key, words,
};
pub use data::{applied_keys, config_map, key_update, literal, secret};
pub use names::{data_key, dns_label, dns_name, random_suffix};
pub use namespace::{LIMITS_NAME, QUOTA_NAME, limit_range, namespace, project, resource_quota};
pub use quantity::{amounts, quantity};
pub use role_binding::{ROLES, SubjectKind, role_binding};

#[cfg(test)]
fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
