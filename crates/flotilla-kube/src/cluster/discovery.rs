//! API discovery. Aggregated discovery (2 requests, carries short names) first; the per-group
//! walk when the server answers with the legacy document or fails. kube's own `Discovery`
//! drops short names, which the `:` prompt needs, hence these few raw requests.

use crate::model::{ResKey, ResourceInfo};
use crate::text::clean;
use kube::Client;
use serde::Deserialize;
use std::collections::HashSet;

const AGGREGATED_ACCEPT: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

#[derive(Deserialize, Default)]
struct GroupDiscoveryList {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    items: Vec<GroupDiscovery>,
}

#[derive(Deserialize)]
struct GroupDiscovery {
    #[serde(default)]
    metadata: NameMeta,
    #[serde(default)]
    versions: Vec<VersionDiscovery>,
}

#[derive(Deserialize, Default)]
struct NameMeta {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct VersionDiscovery {
    version: String,
    #[serde(default)]
    resources: Vec<ResourceDiscovery>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceDiscovery {
    resource: String,
    #[serde(default)]
    response_kind: Option<KindRef>,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    singular_resource: String,
    #[serde(default)]
    verbs: Vec<String>,
    #[serde(default)]
    short_names: Vec<String>,
}

#[derive(Deserialize)]
struct KindRef {
    #[serde(default)]
    kind: String,
}

#[derive(Deserialize)]
struct LegacyGroupList {
    #[serde(default)]
    groups: Vec<LegacyGroup>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegacyGroup {
    name: String,
    preferred_version: Option<LegacyGroupVersion>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegacyGroupVersion {
    group_version: String,
    version: String,
}

#[derive(Deserialize)]
struct LegacyResourceList {
    #[serde(default)]
    resources: Vec<LegacyResource>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegacyResource {
    name: String,
    #[serde(default)]
    singular_name: String,
    namespaced: bool,
    kind: String,
    #[serde(default)]
    verbs: Vec<String>,
    #[serde(default)]
    short_names: Vec<String>,
}

pub async fn discover(client: &Client) -> Result<Vec<ResourceInfo>, kube::Error> {
    match aggregated(client).await {
        Ok(found) if !found.is_empty() => Ok(found),
        Ok(_) => legacy(client).await,
        Err(e) => {
            tracing::info!("aggregated discovery failed, walking groups: {e}");
            legacy(client).await
        }
    }
}

async fn aggregated(client: &Client) -> Result<Vec<ResourceInfo>, kube::Error> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for path in ["/api", "/apis"] {
        let req = http::Request::get(path)
            .header(http::header::ACCEPT, AGGREGATED_ACCEPT)
            .body(Vec::new())
            .map_err(kube::Error::HttpError)?;
        let list: GroupDiscoveryList = client.request(req).await?;
        if list.kind != "APIGroupDiscoveryList" {
            // An old server answered with the legacy document: no aggregated discovery here.
            return Ok(Vec::new());
        }
        for group in list.items {
            // Versions come in preference order; a resource is taken at its first version.
            for version in group.versions {
                for r in version.resources {
                    let key = ResKey::new(&group.metadata.name, &r.resource);
                    if !seen.insert(key.clone()) {
                        continue;
                    }
                    out.push(sanitized(ResourceInfo {
                        key,
                        version: version.version.clone(),
                        kind: r.response_kind.map(|k| k.kind).unwrap_or_default(),
                        singular: r.singular_resource,
                        short_names: r.short_names,
                        namespaced: r.scope == "Namespaced",
                        verbs: r.verbs,
                    }));
                }
            }
        }
    }
    Ok(out)
}

async fn legacy(client: &Client) -> Result<Vec<ResourceInfo>, kube::Error> {
    let mut out = Vec::new();
    let mut versions = vec![(String::new(), "v1".to_string(), "/api/v1".to_string())];
    let groups: LegacyGroupList = get(client, "/apis").await?;
    for g in groups.groups {
        if let Some(pv) = g.preferred_version {
            versions.push((g.name, pv.version, format!("/apis/{}", pv.group_version)));
        }
    }
    for (group, version, path) in versions {
        // One broken aggregated API (a dead metrics-server) must not hide every other group.
        let list: LegacyResourceList = match get(client, &path).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!("discovery of {path} failed: {e}");
                continue;
            }
        };
        for r in list.resources.into_iter().filter(|r| !r.name.contains('/')) {
            out.push(sanitized(ResourceInfo {
                key: ResKey::new(&group, &r.name),
                version: version.clone(),
                kind: r.kind,
                singular: r.singular_name,
                short_names: r.short_names,
                namespaced: r.namespaced,
                verbs: r.verbs,
            }));
        }
    }
    Ok(out)
}

/// Discovery documents come from every aggregated API server of the cluster, so their strings
/// are as hostile as any other remote text.
fn sanitized(r: ResourceInfo) -> ResourceInfo {
    let all = |v: Vec<String>| v.iter().map(|s| clean(s)).collect();
    ResourceInfo {
        key: ResKey::new(&clean(&r.key.group), &clean(&r.key.plural)),
        version: clean(&r.version),
        kind: clean(&r.kind),
        singular: clean(&r.singular),
        short_names: all(r.short_names),
        namespaced: r.namespaced,
        verbs: all(r.verbs),
    }
}

async fn get<T: serde::de::DeserializeOwned>(
    client: &Client,
    path: &str,
) -> Result<T, kube::Error> {
    let req = http::Request::get(path)
        .body(Vec::new())
        .map_err(kube::Error::HttpError)?;
    client.request(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovered_names_are_sanitised() {
        // What a hostile aggregated API server could announce.
        let hostile = ResourceInfo {
            key: ResKey::new("evil.example\u{202e}moc", "wid\u{200b}gets"),
            version: "v1\u{1b}[2J".into(),
            kind: "Wid\u{2066}get".into(),
            singular: "widget\u{7}".into(),
            short_names: vec!["p\u{200d}o".into(), "\u{1b}]52;c;ZXZpbA==\u{7}wg".into()],
            namespaced: true,
            verbs: vec!["list\u{feff}".into()],
        };
        let clean = sanitized(hostile);
        assert_eq!(clean.key, ResKey::new("evil.examplemoc", "widgets"));
        assert_eq!(clean.version, "v1");
        assert_eq!(clean.kind, "Widget");
        assert_eq!(clean.singular, "widget");
        assert_eq!(clean.short_names, vec!["po", "wg"]);
        assert!(clean.can("list"));
    }
}
