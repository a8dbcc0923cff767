//! Claims that wait for a volume, and volumes left behind.

use super::Ctx;
use crate::inspect::object::str_at;
use crate::inspect::out::{Out, Place};
use crate::inspect::snapshot::Kind;
use serde_json::Value;

pub fn examine<'a>(cx: &Ctx<'a>, out: &mut Out<'a>) {
    for pvc in cx.snap.of(Kind::PersistentVolumeClaim) {
        let at = Place::of(Kind::PersistentVolumeClaim, pvc);
        let pending = (str_at(pvc, "/status/phase") == Some("Pending")).then(|| {
            let class = str_at(pvc, "/spec/storageClassName").unwrap_or("(default)");
            format!("Pending, storage class {class}")
        });
        out.record("pvc-pending", &at, pending);
    }
    for pv in cx.snap.of(Kind::PersistentVolume) {
        let at = Place::of(Kind::PersistentVolume, pv);
        let phase = str_at(pv, "/status/phase");
        out.record(
            "pv-released",
            &at,
            (phase == Some("Released")).then(|| released(pv)),
        );
        out.record(
            "pv-failed",
            &at,
            (phase == Some("Failed")).then(|| {
                let why = str_at(pv, "/status/message").unwrap_or("no message");
                format!("Failed: {why}")
            }),
        );
    }
}

fn released(pv: &Value) -> String {
    let claim = match (
        str_at(pv, "/spec/claimRef/namespace"),
        str_at(pv, "/spec/claimRef/name"),
    ) {
        (Some(ns), Some(n)) => format!("{ns}/{n}"),
        _ => "a deleted claim".to_string(),
    };
    let policy = str_at(pv, "/spec/persistentVolumeReclaimPolicy").unwrap_or("Retain");
    format!("Released from {claim}, reclaim policy {policy}")
}

#[cfg(test)]
mod tests {
    use super::super::testing::{examined, found, obj, snapshot};
    use crate::inspect::snapshot::Kind;
    use serde_json::json;

    #[test]
    fn pending_claims_and_left_volumes() {
        let pvc = |name: &str, phase: &str| {
            let c = obj(
                "shop",
                name,
                json!({"spec": {"storageClassName": "fast"}, "status": {"phase": phase}}),
            );
            (Kind::PersistentVolumeClaim, c)
        };
        let pv = |name: &str, status: serde_json::Value| {
            let v = obj(
                "",
                name,
                json!({"spec": {"claimRef": {"namespace": "shop", "name": "old"},
                    "persistentVolumeReclaimPolicy": "Retain"}, "status": status}),
            );
            (Kind::PersistentVolume, v)
        };
        let snap = snapshot(vec![
            pvc("bound", "Bound"),
            pvc("waiting", "Pending"),
            pv("pv-1", json!({"phase": "Bound"})),
            pv("pv-2", json!({"phase": "Released"})),
            pv(
                "pv-3",
                json!({"phase": "Failed", "message": "recycler refused"}),
            ),
        ]);
        assert_eq!(
            found(&snap, "pvc-pending"),
            ["shop/PersistentVolumeClaim/waiting: Pending, storage class fast"]
        );
        assert_eq!(examined(&snap, "pvc-pending"), 2);
        assert_eq!(
            found(&snap, "pv-released"),
            ["-/PersistentVolume/pv-2: Released from shop/old, reclaim policy Retain"]
        );
        assert_eq!(
            found(&snap, "pv-failed"),
            ["-/PersistentVolume/pv-3: Failed: recycler refused"]
        );
        assert_eq!(examined(&snap, "pv-failed"), 3);
    }
}
