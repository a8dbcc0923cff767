//! Making new objects: `:create` (a namespace with its quota and limits, a ConfigMap, a
//! Secret, or YAML from a file or the paste buffer), `:members` (who may do what in a
//! namespace: RoleBindings to view, edit, admin) and `:set-key` (one key of a ConfigMap or
//! Secret). The objects go to the first live cluster, or to every `@context` named, as one
//! batch.
//!
//! One screen a file: `batch` is `:create`, `members` is `:members`, `set_key` is `:set-key`;
//! `files` reads what `-f` and `--from-file` name. What the three share is here: the clusters
//! and namespace a command goes to, and the resource a kind is on each cluster.

mod batch;
mod files;
mod members;
mod set_key;

pub use batch::{CreateScreen, Item, Phase, State, of_objects, open};
pub use members::{BIND_COMMAND, MembersScreen, open_members};
pub use set_key::{KeyState, SetKeyScreen, open_set_key};

use super::Ctx;
use crate::model::{ClusterId, ObjectRef, ResKey, ResourceInfo};
use crate::ops::build::Scope;
use crate::ops::import;

pub const MODE: &str = "create";

/// The clusters a command goes to: every `@context` named, else the first live one.
fn clusters(ctx: &Ctx, scope: &Scope) -> Result<Vec<(ClusterId, String)>, String> {
    if scope.contexts.is_empty() {
        let first = ctx
            .store
            .clusters
            .iter()
            .find(|s| s.connected)
            .or_else(|| ctx.store.clusters.iter().next())
            .ok_or("no live cluster (see :ctx)")?;
        return Ok(vec![(first.id, first.context.clone())]);
    }
    let mut out: Vec<(ClusterId, String)> = Vec::new();
    for name in &scope.contexts {
        let slot = ctx
            .store
            .clusters
            .by_context(name)
            .ok_or_else(|| format!("no live cluster {name:?} (see :ctx)"))?;
        if !out.iter().any(|(id, _)| *id == slot.id) {
            out.push((slot.id, slot.context.clone()));
        }
    }
    Ok(out)
}

/// The namespace of objects that name none: `-n`, else the namespace last looked at (as
/// `:can-i` takes it), else the context's own, else `default`.
fn namespace_for(ctx: &Ctx, scope: &Scope, cluster: ClusterId) -> String {
    scope
        .namespace
        .clone()
        .or_else(|| ctx.favourites.last().cloned())
        .or_else(|| {
            ctx.store
                .clusters
                .get(cluster)
                .and_then(|s| s.default_namespace.clone())
        })
        .unwrap_or_else(|| "default".into())
}

/// What `cluster` serves: discovery's answer, or the built-in table until it comes.
fn served(ctx: &Ctx, cluster: ClusterId) -> Vec<ResourceInfo> {
    match ctx.store.clusters.get(cluster) {
        Some(s) if !s.resources.is_empty() => s.resources.clone(),
        _ => ctx.builtin.to_vec(),
    }
}

/// The resource for `kind` in `group` on `cluster`, from discovery or the well-known kinds.
fn resource(ctx: &Ctx, cluster: ClusterId, group: &str, kind: &str) -> ResourceInfo {
    let served = served(ctx, cluster);
    let known = import::well_known();
    import::resolve(group, kind, &served, &known)
        .cloned()
        .unwrap_or_else(|| ResourceInfo {
            key: ResKey::new(group, &format!("{}s", kind.to_lowercase())),
            version: "v1".into(),
            kind: kind.into(),
            singular: kind.to_lowercase(),
            short_names: Vec::new(),
            namespaced: true,
            verbs: Vec::new(),
        })
}

fn object_ref(
    info: &ResourceInfo,
    cluster: ClusterId,
    context: &str,
    ns: &str,
    name: &str,
) -> ObjectRef {
    ObjectRef {
        context: context.to_string(),
        cluster,
        res: info.key.clone(),
        version: info.version.clone(),
        kind: info.kind.clone(),
        namespace: if info.namespaced {
            ns.to_string()
        } else {
            String::new()
        },
        name: name.to_string(),
        uid: String::new(),
    }
}
