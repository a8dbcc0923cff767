//! `:diff` — drift between two clusters. `:diff deploy/web -n shop @staging @prod` (or
//! `deploy/shop/web`) compares one object; `:diff ns/shop @staging @prod` a whole namespace.
//! In a list, the diff key compares the two marked objects (or the one marked with the one
//! under the cursor). What is compared, and what is left out, is `kinds::drift`'s.

mod namespace;
mod object;

pub use namespace::NamespaceDiff;
pub use object::{ObjectDiff, SIDE_BY_SIDE, Side};

use super::{Ctx, Screen};
use crate::kinds::resource;
use crate::model::{ClusterId, ObjectRef};

pub const MODE: &str = "diff";

const USAGE: &str = "usage: :diff KIND/NAME [-n NAMESPACE] @CLUSTER @CLUSTER, or :diff ns/NAMESPACE @CLUSTER @CLUSTER";

#[derive(Debug, PartialEq, Eq)]
struct Args {
    kind: String,
    namespace: Option<String>,
    name: String,
    clusters: Vec<String>,
}

fn parse(args: &str) -> Result<Args, String> {
    let mut target = None;
    let mut namespace: Option<String> = None;
    let mut clusters = Vec::new();
    let mut words = args.split_whitespace();
    while let Some(w) = words.next() {
        if let Some(c) = w.strip_prefix('@') {
            clusters.extend(c.split(',').filter(|s| !s.is_empty()).map(str::to_string));
        } else if w == "-n" || w == "--namespace" {
            namespace = Some(words.next().ok_or(USAGE)?.to_string());
        } else if let Some(ns) = w
            .strip_prefix("-n=")
            .or_else(|| w.strip_prefix("--namespace="))
        {
            namespace = Some(ns.to_string());
        } else if w.starts_with('-') {
            return Err(format!("unknown option {w:?}; {USAGE}"));
        } else if target.replace(w).is_some() {
            return Err(USAGE.into());
        }
    }
    let parts: Vec<&str> = target.ok_or(USAGE)?.split('/').collect();
    let (kind, ns, name) = match parts.as_slice() {
        [kind, name] => (*kind, None, *name),
        [kind, ns, name] => (*kind, Some(ns.to_string()), *name),
        _ => return Err(USAGE.into()),
    };
    if kind.is_empty() || name.is_empty() {
        return Err(USAGE.into());
    }
    let namespace = match (ns, namespace) {
        (Some(a), Some(b)) if a != b => {
            return Err(format!("two namespaces given ({a} and {b}); {USAGE}"));
        }
        (a, b) => a.or(b),
    };
    Ok(Args {
        kind: kind.to_string(),
        namespace,
        name: name.to_string(),
        clusters,
    })
}

/// The two live clusters the command names (or the only two there are).
fn clusters(named: &[String], ctx: &Ctx) -> Result<[(ClusterId, String); 2], String> {
    let names: Vec<String> = if named.is_empty() && ctx.store.clusters.len() == 2 {
        ctx.store
            .clusters
            .iter()
            .map(|s| s.context.clone())
            .collect()
    } else {
        named.to_vec()
    };
    let [a, b] = names.as_slice() else {
        return Err(format!(
            "diff: name two clusters (@A @B), not {}",
            names.len()
        ));
    };
    if a == b {
        return Err(format!(
            "diff: {a} against itself: name two different clusters"
        ));
    }
    let live = |n: &String| {
        ctx.store
            .clusters
            .by_context(n)
            .map(|s| (s.id, s.context.clone()))
            .ok_or_else(|| format!("diff: no live cluster {n:?} (see :ctx)"))
    };
    Ok([live(a)?, live(b)?])
}

/// `:diff …`
pub fn open(args: &str, ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    let a = parse(args).map_err(|e| crate::text::clean(&e))?;
    let info = resource::resolve(&a.kind, ctx.known_resources())
        .cloned()
        .ok_or_else(|| crate::text::clean(&format!("diff: unknown resource {:?}", a.kind)))?;
    let sides = clusters(&a.clusters, ctx).map_err(|e| crate::text::clean(&e))?;
    if info.key.is("", "namespaces") {
        return Ok(Box::new(NamespaceDiff::new(&a.name, sides, ctx)));
    }
    let ns = match (info.namespaced, a.namespace) {
        (false, _) => String::new(),
        (true, Some(ns)) => ns,
        (true, None) => default_namespace(&sides, ctx)?,
    };
    let kind = info.kind.to_lowercase();
    let what = if ns.is_empty() {
        format!("{kind}/{}", a.name)
    } else {
        format!("{kind}/{} in {ns}", a.name)
    };
    let [left, right] = sides.map(|(id, context)| match ctx.resource_on(id, &info.key) {
        Some(r) => Side::fetch(&context, id, r.object_path(&ns, &a.name), None),
        None => Side::failed(&context, format!("does not serve {}", info.key)),
    });
    Ok(Box::new(ObjectDiff::new(&what, left, right)))
}

/// Without `-n`: the namespace both contexts default to (as kubectl would use).
fn default_namespace(sides: &[(ClusterId, String); 2], ctx: &Ctx) -> Result<String, String> {
    let ns = |id: ClusterId| {
        ctx.store
            .clusters
            .get(id)
            .and_then(|s| s.default_namespace.clone())
            .unwrap_or_else(|| "default".into())
    };
    let (a, b) = (ns(sides[0].0), ns(sides[1].0));
    if a == b {
        Ok(a)
    } else {
        Err(crate::text::clean(&format!(
            "diff: {} defaults to namespace {a}, {} to {b}: add -n NAMESPACE",
            sides[0].1, sides[1].1
        )))
    }
}

/// The diff key in a list: the two marked objects, or the one marked and the one under the
/// cursor; the first marked on the left.
pub fn of_marks(marks: &[ObjectRef], cursor: Option<ObjectRef>) -> Result<ObjectDiff, String> {
    let (a, b) = match (marks, cursor) {
        ([a, b], _) => (a.clone(), b.clone()),
        ([a], Some(c)) if !(c.cluster == a.cluster && c.uid == a.uid) => (a.clone(), c),
        _ => {
            return Err(format!(
                "diff: mark two objects (space), e.g. one object on two clusters ({} marked)",
                marks.len()
            ));
        }
    };
    if a.res != b.res {
        return Err(crate::text::clean(&format!(
            "diff: a {} and a {}: mark two objects of one kind",
            a.kind, b.kind
        )));
    }
    let name = |o: &ObjectRef| match o.namespace.as_str() {
        "" => o.short(),
        ns => format!("{} in {ns}", o.short()),
    };
    let what = if (&a.namespace, &a.name) == (&b.namespace, &b.name) {
        name(&a)
    } else {
        format!("{} ↔ {}", name(&a), name(&b))
    };
    let side = |o: ObjectRef| Side::fetch(&o.context, o.cluster, o.path(), Some(o.uid.clone()));
    Ok(ObjectDiff::new(&what, side(a), side(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets_namespaces_and_clusters() {
        let args = |kind: &str, ns: Option<&str>, name: &str, clusters: &[&str]| Args {
            kind: kind.into(),
            namespace: ns.map(str::to_string),
            name: name.into(),
            clusters: clusters.iter().map(|c| c.to_string()).collect(),
        };
        assert_eq!(
            parse("deploy/web -n shop @staging @prod"),
            Ok(args("deploy", Some("shop"), "web", &["staging", "prod"]))
        );
        assert_eq!(
            parse("deploy/shop/web @staging,prod"),
            Ok(args("deploy", Some("shop"), "web", &["staging", "prod"]))
        );
        assert_eq!(
            parse("ns/shop --namespace=x @a @b"),
            Ok(args("ns", Some("x"), "shop", &["a", "b"]))
        );
        assert_eq!(parse("cm/x"), Ok(args("cm", None, "x", &[])));
        for bad in [
            "",
            "web",
            "deploy/",
            "a/b/c/d",
            "deploy/web -n",
            "deploy/web --bogus",
            "deploy/a deploy/b",
            "deploy/shop/web -n data",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
