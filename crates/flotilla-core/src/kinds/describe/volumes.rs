//! `Volumes:` of a pod or pod template, each source as kubectl's `describeVolumes` prints it.

use super::table::{Writer, arr, int, int_or_str, or_none, s};
use serde_json::Value;

pub fn volumes(w: &mut Writer, vols: &[Value], space: &str) {
    if vols.is_empty() {
        return w.kv(0, &format!("{space}Volumes"), "<none>");
    }
    w.line(0, &format!("{space}Volumes:"));
    let name_indent = if space.is_empty() { "" } else { " " };
    for v in vols {
        w.line(1, &format!("{name_indent}{}:", s(v, "/name")));
        let b = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_bool) == Some(true);
        if let Some(h) = v.get("hostPath") {
            w.kv(2, "Type", "HostPath (bare host directory volume)");
            w.kv(2, "Path", s(h, "/path"));
            w.kv(2, "HostPathType", or_none(s(h, "/type")));
        } else if let Some(e) = v.get("emptyDir") {
            w.kv(
                2,
                "Type",
                "EmptyDir (a temporary directory that shares a pod's lifetime)",
            );
            w.kv(2, "Medium", s(e, "/medium"));
            let size = int_or_str(e, "/sizeLimit");
            w.kv(
                2,
                "SizeLimit",
                if size.is_empty() {
                    "<unset>".into()
                } else {
                    size
                },
            );
        } else if let Some(x) = v.get("secret") {
            w.kv(2, "Type", "Secret (a volume populated by a Secret)");
            w.kv(2, "SecretName", s(x, "/secretName"));
            w.kv(2, "Optional", b(x, "/optional").to_string());
        } else if let Some(x) = v.get("configMap") {
            w.kv(2, "Type", "ConfigMap (a volume populated by a ConfigMap)");
            w.kv(2, "Name", s(x, "/name"));
            w.kv(2, "Optional", b(x, "/optional").to_string());
        } else if let Some(x) = v.get("persistentVolumeClaim") {
            w.kv(2, "Type",
                "PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)".to_string(),
            );
            w.kv(2, "ClaimName", s(x, "/claimName"));
            w.kv(2, "ReadOnly", b(x, "/readOnly").to_string());
        } else if let Some(x) = v.get("projected") {
            w.kv(
                2,
                "Type",
                "Projected (a volume that contains injected data from multiple sources)"
                    .to_string(),
            );
            for src in arr(x, "/sources") {
                if let Some(sec) = src.get("secret") {
                    w.kv(2, "SecretName", s(sec, "/name"));
                    w.kv(2, "Optional", b(sec, "/optional").to_string());
                } else if src.get("downwardAPI").is_some() {
                    w.kv(2, "DownwardAPI", "true");
                } else if let Some(cm) = src.get("configMap") {
                    w.kv(2, "ConfigMapName", s(cm, "/name"));
                    w.kv(2, "Optional", b(cm, "/optional").to_string());
                } else if let Some(t) = src.get("serviceAccountToken") {
                    w.kv(
                        2,
                        "TokenExpirationSeconds",
                        int(t, "/expirationSeconds").to_string(),
                    );
                }
            }
        } else if let Some(x) = v.get("downwardAPI") {
            w.kv(
                2,
                "Type",
                "DownwardAPI (a volume populated by information about the pod)",
            );
            w.line(2, "Items:");
            for i in arr(x, "/items") {
                let from = match s(i, "/fieldRef/fieldPath") {
                    "" => s(i, "/resourceFieldRef/resource"),
                    f => f,
                };
                w.line(3, &format!("{from} -> {}", s(i, "/path")));
            }
        } else if let Some(x) = v.get("nfs") {
            w.kv(
                2,
                "Type",
                "NFS (an NFS mount that lasts the lifetime of a pod)",
            );
            w.kv(2, "Server", s(x, "/server"));
            w.kv(2, "Path", s(x, "/path"));
            w.kv(2, "ReadOnly", b(x, "/readOnly").to_string());
        } else if let Some(x) = v.get("csi") {
            w.kv(
                2,
                "Type",
                "CSI (a Container Storage Interface (CSI) volume source)",
            );
            w.kv(2, "Driver", s(x, "/driver"));
            w.kv(2, "FSType", s(x, "/fsType"));
            w.kv(2, "ReadOnly", b(x, "/readOnly").to_string());
        } else if v.get("ephemeral").is_some() {
            w.kv(2, "Type",
                "EphemeralVolume (an inline specification for a volume that gets created and deleted with the pod)".to_string(),
            );
        } else {
            w.line(1, "<unknown>");
        }
    }
}
