//! PersistentVolumeClaims and PersistentVolumes (kubectl's `describePersistentVolumeClaim`,
//! `describePersistentVolume`): whether storage is bound, to what, and who uses it.

use super::table::{Writer, annotations, arr, conditions, labels, obj, or_none, s, scalar};
use super::{Related, Slot};
use serde_json::Value;

/// The claim's storage class, from the field or the annotation that came before it.
pub fn claim_class(c: &Value) -> String {
    match c.pointer("/spec/storageClassName").and_then(Value::as_str) {
        Some(sc) => sc.to_string(),
        None => s(
            c,
            "/metadata/annotations/volume.beta.kubernetes.io~1storage-class",
        )
        .into(),
    }
}

/// Access modes as Go prints the slice: `[ReadWriteOnce ReadOnlyMany]`.
pub fn modes_list(o: &Value, ptr: &str) -> String {
    let modes: Vec<String> = arr(o, ptr).iter().map(scalar).collect();
    format!("[{}]", modes.join(" "))
}

/// Access modes abbreviated as `kubectl get` does (`RWO,ROX`).
fn modes(o: &Value, ptr: &str) -> String {
    let have: Vec<String> = arr(o, ptr).iter().map(scalar).collect();
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .iter()
    .filter(|(m, _)| have.iter().any(|h| h == m))
    .map(|(_, short)| *short)
    .collect::<Vec<_>>()
    .join(",")
}

fn finalizers(o: &Value) -> String {
    let f: Vec<String> = arr(o, "/metadata/finalizers").iter().map(scalar).collect();
    format!("[{}]", f.join(" "))
}

fn status(o: &Value, now: i64) -> String {
    match crate::human::parse_time(s(o, "/metadata/deletionTimestamp")) {
        Some(t) => format!("Terminating (lasts {})", crate::human::age(now - t)),
        None => s(o, "/status/phase").to_string(),
    }
}

/// Pods of the claim's namespace that mount it, or that own it (a generic ephemeral volume).
fn used_by(pvc: &Value, pods: &[Value]) -> Vec<String> {
    let name = s(pvc, "/metadata/name");
    let owners: Vec<&str> = arr(pvc, "/metadata/ownerReferences")
        .iter()
        .filter(|r| s(r, "/kind") == "Pod")
        .map(|r| s(r, "/uid"))
        .collect();
    let mut out: Vec<String> = pods
        .iter()
        .filter(|p| {
            arr(p, "/spec/volumes")
                .iter()
                .any(|v| s(v, "/persistentVolumeClaim/claimName") == name)
                || owners.contains(&s(p, "/metadata/uid"))
        })
        .map(|p| s(p, "/metadata/name").to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

pub fn pvc(c: &Value, related: &Related, now: i64) -> Vec<String> {
    let mut w = Writer::new();
    w.kv(0, "Name", s(c, "/metadata/name"));
    w.kv(0, "Namespace", s(c, "/metadata/namespace"));
    w.kv(0, "StorageClass", claim_class(c));
    w.kv(0, "Status", status(c, now));
    let volume = s(c, "/spec/volumeName");
    w.kv(0, "Volume", volume);
    labels(&mut w, "", "Labels", obj(c, "/metadata/labels"));
    annotations(&mut w, "Annotations", obj(c, "/metadata/annotations"));
    w.kv(0, "Finalizers", finalizers(c));
    // Only a bound claim has a capacity and modes of its own; a pending one shows none.
    let (cap, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (
            s(c, "/status/capacity/storage").to_string(),
            modes(c, "/status/accessModes"),
        )
    };
    w.kv(0, "Capacity", cap);
    w.kv(0, "Access Modes", modes);
    if !s(c, "/spec/volumeMode").is_empty() {
        w.kv(0, "VolumeMode", s(c, "/spec/volumeMode"));
    }
    if let Some(ds) = c.pointer("/spec/dataSource").filter(|d| d.is_object()) {
        w.line(0, "DataSource:");
        if !s(ds, "/apiGroup").is_empty() {
            w.kv(1, "APIGroup", s(ds, "/apiGroup"));
        }
        w.kv(1, "Kind", s(ds, "/kind"));
        w.kv(1, "Name", s(ds, "/name"));
    }
    match related.items(Slot::Pods) {
        Ok(pods) => {
            let users = used_by(c, pods);
            if users.is_empty() {
                w.kv(0, "Used By", "<none>");
            }
            for (i, u) in users.iter().enumerate() {
                w.line(0, &format!("{}\t{u}", if i == 0 { "Used By:" } else { "" }));
            }
        }
        Err(e) => w.kv(0, "Used By", e),
    }
    conditions(
        &mut w,
        c,
        true,
        &[
            ("Type", "type"),
            ("Status", "status"),
            ("LastProbeTime", "lastProbeTime"),
            ("LastTransitionTime", "lastTransitionTime"),
            ("Reason", "reason"),
            ("Message", "message"),
        ],
    );
    w.finish()
}

pub fn pv(v: &Value, now: i64) -> Vec<String> {
    let mut w = Writer::new();
    w.kv(0, "Name", s(v, "/metadata/name"));
    labels(&mut w, "", "Labels", obj(v, "/metadata/labels"));
    annotations(&mut w, "Annotations", obj(v, "/metadata/annotations"));
    w.kv(0, "Finalizers", finalizers(v));
    let class = match v.pointer("/spec/storageClassName").and_then(Value::as_str) {
        Some(sc) => sc.to_string(),
        None => s(
            v,
            "/metadata/annotations/volume.beta.kubernetes.io~1storage-class",
        )
        .into(),
    };
    w.kv(0, "StorageClass", class);
    w.kv(0, "Status", status(v, now));
    let claim = match v.pointer("/spec/claimRef") {
        Some(r) => format!("{}/{}", s(r, "/namespace"), s(r, "/name")),
        None => String::new(),
    };
    w.kv(0, "Claim", claim);
    w.kv(
        0,
        "Reclaim Policy",
        s(v, "/spec/persistentVolumeReclaimPolicy"),
    );
    w.kv(0, "Access Modes", modes(v, "/spec/accessModes"));
    if !s(v, "/spec/volumeMode").is_empty() {
        w.kv(0, "VolumeMode", s(v, "/spec/volumeMode"));
    }
    w.kv(0, "Capacity", s(v, "/spec/capacity/storage"));
    match v.pointer("/spec/nodeAffinity/required") {
        None => w.kv(0, "Node Affinity", "<none>"),
        Some(req) => {
            w.line(0, "Node Affinity:\t");
            let terms = arr(req, "/nodeSelectorTerms");
            if terms.is_empty() {
                w.kv(1, "Required Terms", "<none>");
            } else {
                w.line(1, "Required Terms:\t");
                for (i, t) in terms.iter().enumerate() {
                    let exprs: Vec<String> = arr(t, "/matchExpressions")
                        .iter()
                        .map(|e| {
                            let values: Vec<String> =
                                arr(e, "/values").iter().map(scalar).collect();
                            let op = s(e, "/operator").to_lowercase();
                            if values.is_empty() {
                                format!("{} {op}", s(e, "/key"))
                            } else {
                                format!("{} {op} [{}]", s(e, "/key"), values.join(", "))
                            }
                        })
                        .collect();
                    if exprs.is_empty() {
                        w.line(2, &format!("Term {i}:\t<none>"));
                    }
                    for (j, e) in exprs.iter().enumerate() {
                        let title = if j == 0 {
                            format!("Term {i}:")
                        } else {
                            String::new()
                        };
                        w.line(2, &format!("{title}\t{e}"));
                    }
                }
            }
        }
    }
    w.kv(0, "Message", s(v, "/status/message"));
    w.line(0, "Source:");
    let spec = v.get("spec").unwrap_or(&Value::Null);
    let b = |x: &Value, p: &str| x.pointer(p).and_then(Value::as_bool) == Some(true);
    if let Some(h) = spec.get("hostPath") {
        w.kv(2, "Type", "HostPath (bare host directory volume)");
        w.kv(2, "Path", s(h, "/path"));
        w.kv(2, "HostPathType", or_none(s(h, "/type")));
    } else if let Some(l) = spec.get("local") {
        w.kv(
            2,
            "Type",
            "LocalVolume (a persistent volume backed by local storage on a node)",
        );
        w.kv(2, "Path", s(l, "/path"));
    } else if let Some(n) = spec.get("nfs") {
        w.kv(
            2,
            "Type",
            "NFS (an NFS mount that lasts the lifetime of a pod)",
        );
        w.kv(2, "Server", s(n, "/server"));
        w.kv(2, "Path", s(n, "/path"));
        w.kv(2, "ReadOnly", b(n, "/readOnly"));
    } else if let Some(c) = spec.get("csi") {
        w.kv(
            2,
            "Type",
            "CSI (a Container Storage Interface (CSI) volume source)",
        );
        w.kv(2, "Driver", s(c, "/driver"));
        w.kv(2, "FSType", s(c, "/fsType"));
        w.kv(2, "VolumeHandle", s(c, "/volumeHandle"));
        w.kv(2, "ReadOnly", b(c, "/readOnly"));
    } else {
        w.line(1, "<unknown>");
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pending_claim_shows_no_capacity_and_its_users() {
        let c = json!({"kind":"PersistentVolumeClaim","metadata":{"name":"scratch","namespace":"data",
            "finalizers":["kubernetes.io/pvc-protection"]},
            "spec":{"storageClassName":"fast-ssd","accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}},
            "status":{"phase":"Pending"}});
        let mut related = Related::default();
        related.set(Slot::Pods, Ok(json!({"items":[
            {"metadata":{"name":"b-user"},"spec":{"volumes":[{"name":"v","persistentVolumeClaim":{"claimName":"scratch"}}]}},
            {"metadata":{"name":"other"},"spec":{"volumes":[{"name":"v","emptyDir":{}}]}},
            {"metadata":{"name":"a-user"},"spec":{"volumes":[{"name":"v","persistentVolumeClaim":{"claimName":"scratch"}}]}}]})));
        let lines = pvc(&c, &related, 0);
        let text = lines.join("\n");
        assert!(text.contains("Status:        Pending"), "{text}");
        assert!(text.contains("StorageClass:  fast-ssd"), "{text}");
        assert!(
            text.contains("Finalizers:    [kubernetes.io/pvc-protection]"),
            "{text}"
        );
        assert!(lines.iter().any(|l| l == "Capacity:"), "{text}");
        let at = lines
            .iter()
            .position(|l| l.starts_with("Used By:"))
            .expect("used by");
        assert!(
            lines[at].ends_with("a-user") && lines[at + 1].trim() == "b-user",
            "{text}"
        );
    }

    #[test]
    fn bound_claim_and_its_volume() {
        let c = json!({"kind":"PersistentVolumeClaim","metadata":{"name":"backup","namespace":"data"},
            "spec":{"storageClassName":"standard","volumeName":"backup-pv"},
            "status":{"phase":"Bound","capacity":{"storage":"5Gi"},"accessModes":["ReadWriteOnce","ReadOnlyMany"]}});
        let text = pvc(&c, &Related::default(), 0).join("\n");
        assert!(
            text.contains("Capacity:      5Gi") && text.contains("Access Modes:  RWO,ROX"),
            "{text}"
        );
        assert!(text.contains("Used By:       loading…"), "{text}");
        let v = json!({"kind":"PersistentVolume","metadata":{"name":"backup-pv"},
            "spec":{"storageClassName":"standard","capacity":{"storage":"5Gi"},"accessModes":["ReadWriteOnce"],
                "persistentVolumeReclaimPolicy":"Retain","claimRef":{"namespace":"data","name":"backup"},
                "hostPath":{"path":"/data/backup"}},"status":{"phase":"Bound"}});
        let text = pv(&v, 0).join("\n");
        assert!(text.contains("Claim:           data/backup"), "{text}");
        assert!(text.contains("    Path:          /data/backup"), "{text}");
        assert!(text.contains("Node Affinity:   <none>"), "{text}");
    }
}
