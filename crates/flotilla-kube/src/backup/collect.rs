//! Reading what a backup holds from one cluster: every namespaced resource the identity can
//! list, in each chosen namespace (custom resources too), the namespaces themselves and the
//! CRDs of the custom resources found. Lists are paged and a few run at once; a list the
//! identity may not read is named in the manifest's warnings, not fatal.

use super::archive::Stored;
use super::clean::{clean, skip_reason};
use super::{Manifest, Selection, Source, order, resource_name};
use crate::cluster::request::{short_error, timed};
use crate::cluster::{discovery, fetch};
use crate::kinds::selector::{LabelReq, parse_selector};
use crate::model::ResourceInfo;
use crate::text::first_line;
use futures::{FutureExt, StreamExt};
use kube::Client;
use serde_json::Value;
use std::collections::BTreeSet;

const PAGE: usize = 500;
const PARALLEL: usize = 8;

/// Resources that are the cluster's running state, not anything an owner wrote.
fn runtime_state(r: &ResourceInfo) -> bool {
    let (g, p) = (r.key.group.as_str(), r.key.plural.as_str());
    matches!(
        (g, p),
        ("", "events")
            | ("events.k8s.io", "events")
            | ("coordination.k8s.io", "leases")
            | ("apps", "controllerrevisions")
            | ("storage.k8s.io", "csistoragecapacities")
            | (
                "velero.io",
                "backups" | "restores" | "podvolumebackups" | "podvolumerestores"
            )
    ) || g == "metrics.k8s.io"
}

/// The resources `kinds` names (plural, `plural.group`, kind, singular or short name), or all
/// the backup-worthy ones when `kinds` is empty.
pub fn resources<'a>(
    served: &'a [ResourceInfo],
    kinds: &[String],
) -> Result<Vec<&'a ResourceInfo>, String> {
    let worthy: Vec<&ResourceInfo> = served
        .iter()
        .filter(|r| r.namespaced && r.can("list") && r.can("create") && !runtime_state(r))
        .collect();
    if kinds.is_empty() {
        return Ok(worthy);
    }
    let mut out: Vec<&ResourceInfo> = Vec::new();
    for k in kinds {
        let k = k.trim().to_lowercase();
        let found: Vec<&ResourceInfo> = worthy
            .iter()
            .copied()
            .filter(|r| r.names().any(|n| n == k) || r.key.to_string() == k)
            .collect();
        if found.is_empty() {
            return Err(format!(
                "--kinds {k}: no namespaced resource of that name can be backed up here"
            ));
        }
        for r in found {
            if !out.iter().any(|o| o.key == r.key) {
                out.push(r);
            }
        }
    }
    Ok(out)
}

/// The resource, namespace and name of each `resource/namespace/name` in `objects`.
fn singles(
    served: &[ResourceInfo],
    objects: &[String],
) -> Result<Vec<(ResourceInfo, String, String)>, String> {
    let worthy = resources(served, &[])?;
    objects
        .iter()
        .map(|o| {
            let mut parts = o.splitn(3, '/');
            let (Some(res), Some(ns), Some(name)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(format!("{o}: name an object as resource/namespace/name"));
            };
            let r = worthy
                .iter()
                .find(|r| r.key.to_string() == res)
                .ok_or_else(|| format!("{o}: {res} cannot be backed up here"))?;
            Ok(((*r).clone(), ns.to_string(), name.to_string()))
        })
        .collect()
}

/// What was read, cleaned and ordered, with the manifest's account of it.
pub struct Collected {
    pub manifest: Manifest,
    pub objects: Vec<Stored>,
}

/// Reads `selection` from one cluster.
pub async fn collect(
    client: &Client,
    context: &str,
    server: &str,
    selection: &Selection,
) -> Result<Collected, String> {
    let started = std::time::Instant::now();
    let created = jiff::Timestamp::now().to_string();
    let version = timed(client.apiserver_version())
        .await
        .map_err(|e| format!("{context}: {}", e.message))?;
    let selector: Vec<LabelReq> = match &selection.selector {
        Some(s) => parse_selector(s).map_err(|e| format!("--selector: {e}"))?,
        None => Vec::new(),
    };
    let served = discovery::discover(client)
        .await
        .map_err(|e| format!("{context}: discovery: {}", short_error(&e)))?;
    let wanted = resources(&served, &selection.kinds)?;

    let mut manifest = Manifest {
        flotilla: env!("CARGO_PKG_VERSION").into(),
        created,
        cluster: Source {
            context: context.into(),
            server: server.into(),
            version: version.git_version,
        },
        selection: selection.clone(),
        ..Manifest::default()
    };
    let mut kept: Vec<Stored> = Vec::new();
    for ns in &selection.namespaces {
        let path = format!("/api/v1/namespaces/{ns}");
        let obj = fetch::get(client, &path).await.map_err(|e| match e.code {
            404 => format!("{context}: there is no namespace {ns}"),
            _ => format!("{context}: namespace {ns}: {}", e.message),
        })?;
        kept.push(Stored {
            group: String::new(),
            plural: "namespaces".into(),
            object: with_type(obj, "v1", "Namespace"),
        });
    }

    let query = match &selection.selector {
        Some(s) if !s.trim().is_empty() => format!("?labelSelector={}", crate::text::url_encode(s)),
        _ => String::new(),
    };
    let mut reads: Vec<_> = selection
        .namespaces
        .iter()
        .filter(|ns| !selection.has_objects_in(ns))
        .flat_map(|ns| wanted.iter().map(move |r| (ns.clone(), (*r).clone())))
        .map(|(ns, r)| {
            let client = client.clone();
            let path = format!("{}/namespaces/{ns}/{}{query}", r.api_prefix(), r.key.plural);
            async move {
                let got = fetch::list_all(&client, &path, PAGE).await;
                (ns, r, None, got)
            }
            .boxed()
        })
        .collect();
    for (r, ns, name) in singles(&served, &selection.objects)? {
        let client = client.clone();
        let path = format!("{}/namespaces/{ns}/{}/{name}", r.api_prefix(), r.key.plural);
        let read = async move {
            let got = fetch::get(&client, &path).await.map(|o| vec![o]);
            (ns, r, Some(name), got)
        }
        .boxed();
        reads.push(read);
    }
    let mut reads = futures::stream::iter(reads).buffer_unordered(PARALLEL);
    let mut raw: Vec<(ResourceInfo, Value)> = Vec::new();
    while let Some((ns, r, single, got)) = reads.next().await {
        match got {
            Ok(items) => {
                let api_version = if r.key.group.is_empty() {
                    r.version.clone()
                } else {
                    format!("{}/{}", r.key.group, r.version)
                };
                raw.extend(
                    items
                        .into_iter()
                        .map(|o| (r.clone(), with_type(o, &api_version, &r.kind))),
                );
            }
            Err(e) if e.code == 404 => {
                if let Some(name) = single {
                    manifest
                        .warnings
                        .push(format!("{} {ns}/{name} not backed up: it is gone", r.key));
                }
            }
            Err(e) => manifest.warnings.push(format!(
                "{} in {ns} not backed up: {}",
                r.key,
                first_line(&e.message)
            )),
        }
    }
    // An Endpoints object of a Service with a selector is the Service's controller's work.
    let selecting: BTreeSet<(String, String)> = raw
        .iter()
        .filter(|(r, o)| {
            r.key.is("", "services")
                && o.pointer("/spec/selector")
                    .and_then(Value::as_object)
                    .is_some_and(|s| !s.is_empty())
        })
        .map(|(_, o)| ns_name(o))
        .collect();
    for (r, obj) in raw {
        // A server-side selector already held; this catches a list that ignored it.
        if !selector.iter().all(|q| q.matches_object(&obj)) {
            continue;
        }
        let reason = if r.key.is("", "endpoints") && selecting.contains(&ns_name(&obj)) {
            Some("kept by its Service's selector")
        } else {
            skip_reason(&obj)
        };
        if let Some(why) = reason {
            *manifest
                .skipped
                .entry(format!("{}: {why}", r.key))
                .or_default() += 1;
            continue;
        }
        kept.push(Stored {
            group: r.key.group.clone(),
            plural: r.key.plural.clone(),
            object: obj,
        });
    }
    crds(client, &served, &mut kept, &mut manifest).await;
    for s in &mut kept {
        s.object = clean(&s.object);
    }
    kept.sort_by(|a, b| {
        let key = |s: &Stored| {
            (
                order::rank(&s.group, s.object["kind"].as_str().unwrap_or("")),
                resource_name(&s.group, &s.plural),
                ns_name(&s.object),
            )
        };
        key(a).cmp(&key(b))
    });
    manifest.took_ms = started.elapsed().as_millis() as u64;
    Ok(Collected {
        manifest,
        objects: kept,
    })
}

/// The CRD of every custom resource kept, so a restore into a cluster without it works.
async fn crds(
    client: &Client,
    served: &[ResourceInfo],
    kept: &mut Vec<Stored>,
    manifest: &mut Manifest,
) {
    let groups: BTreeSet<(String, String)> = kept
        .iter()
        .filter(|s| s.group.contains('.') && !s.group.ends_with(".k8s.io"))
        .map(|s| (s.group.clone(), s.plural.clone()))
        .collect();
    let crd_served = served.iter().any(|r| {
        r.key
            .is("apiextensions.k8s.io", "customresourcedefinitions")
    });
    for (group, plural) in groups {
        let name = format!("{plural}.{group}");
        if !crd_served {
            break;
        }
        let path = format!("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}");
        match fetch::get(client, &path).await {
            Ok(crd) => kept.push(Stored {
                group: "apiextensions.k8s.io".into(),
                plural: "customresourcedefinitions".into(),
                object: with_type(crd, "apiextensions.k8s.io/v1", "CustomResourceDefinition"),
            }),
            // An aggregated API, not a CRD: the cluster restored into needs that server.
            Err(e) if e.code == 404 => {}
            Err(e) => manifest.warnings.push(format!(
                "CustomResourceDefinition {name} not backed up: {} (a restore needs it on the cluster)",
                first_line(&e.message)
            )),
        }
    }
}

/// List items come without their type; an archive's objects carry it.
fn with_type(mut obj: Value, api_version: &str, kind: &str) -> Value {
    if let Some(map) = obj.as_object_mut() {
        map.insert("apiVersion".into(), Value::String(api_version.into()));
        map.insert("kind".into(), Value::String(kind.into()));
    }
    obj
}

fn ns_name(o: &Value) -> (String, String) {
    let s = |p: &str| {
        o.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    (s("/metadata/namespace"), s("/metadata/name"))
}
