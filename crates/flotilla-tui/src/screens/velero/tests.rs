use super::model::{Kind, item, items, parse_mapping, slot_of};
use super::{BackupForm, RestoreForm, SCHEDULE_LABEL, backup_from_schedule, stamp};
use serde_json::json;

/// 2025-06-02T00:00:00Z
const NOW: i64 = 1_748_822_400;

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn backup_rows_show_phase_progress_errors_and_why() {
    let list = json!({"items": [
        {"metadata": {"name": "old", "namespace": "velero",
            "creationTimestamp": "2025-05-01T00:00:00Z"},
         "spec": {"includedNamespaces": ["shop"], "ttl": "720h0m0s", "storageLocation": "default"},
         "status": {"phase": "Completed", "progress": {"itemsBackedUp": 42, "totalItems": 42},
            "expiration": "2025-06-01T00:00:00Z"}},
        {"metadata": {"name": "data-full\u{1b}[31m", "namespace": "velero",
            "creationTimestamp": "2025-06-01T00:00:00Z",
            "labels": {"velero.io/schedule-name": "nightly"}},
         "spec": {"includedNamespaces": ["data", "batch"], "snapshotVolumes": true},
         "status": {"phase": "PartiallyFailed", "errors": 3, "warnings": 7,
            "progress": {"itemsBackedUp": 118, "totalItems": 121},
            "failureReason": "quota\u{7} exceeded"}},
        {"metadata": {"name": "fresh", "namespace": "velero"}, "spec": {}},
    ]});
    let rows = items(Kind::Backup, &list, NOW);
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["data-full", "old", "fresh"],
        "newest first, cleaned"
    );
    let failed = &rows[0];
    assert_eq!(failed.phase, "PartiallyFailed");
    assert_eq!(failed.progress, "118/121");
    assert_eq!((failed.errors, failed.warnings), (Some(3), Some(7)));
    assert_eq!(failed.slot, "row-warn");
    assert_eq!(
        failed.detail,
        "namespaces data,batch · snapshots on · schedule nightly · failure: quota exceeded"
    );
    assert_eq!(rows[1].expires, Some(NOW - 86_400));
    assert_eq!(
        rows[1].detail,
        "namespaces shop · location default · ttl 720h0m0s"
    );
    // Not picked up by a server yet: no status at all.
    assert_eq!(
        (rows[2].phase.as_str(), rows[2].progress.as_str()),
        ("New", "")
    );
    assert_eq!(rows[2].errors, None);
}

#[test]
fn schedules_storage_locations_and_restores_say_their_state() {
    let schedule = item(
        Kind::Schedule,
        &json!({"metadata": {"name": "daily"},
            "spec": {"schedule": "0 2 * * *", "paused": true,
                "template": {"includedNamespaces": ["shop"], "ttl": "168h0m0s"}},
            "status": {"phase": "Enabled", "lastBackup": "2025-06-01T00:00:00Z"}}),
        NOW,
    );
    assert_eq!(schedule.phase, "Paused · last backup 24h ago");
    assert_eq!(
        schedule.detail,
        "cron 0 2 * * * · namespaces shop · ttl 168h0m0s"
    );
    assert!(schedule.raw.is_some());
    let never = item(
        Kind::Schedule,
        &json!({"metadata": {"name": "new"}, "spec": {"schedule": "@daily"}}),
        NOW,
    );
    assert_eq!(never.phase, "New · last backup never");
    let bsl = item(
        Kind::Bsl,
        &json!({"metadata": {"name": "default"},
            "spec": {"provider": "aws", "default": true, "accessMode": "ReadWrite",
                "objectStorage": {"bucket": "b", "prefix": "velero"}},
            "status": {"phase": "Unavailable", "lastValidationTime": "2025-06-01T23:59:00Z",
                "message": "NoSuchBucket"}}),
        NOW,
    );
    assert_eq!(bsl.phase, "Unavailable · validated 60s ago");
    assert_eq!(bsl.slot, "row-error");
    assert!(bsl.default);
    assert_eq!(
        bsl.detail,
        "provider aws · bucket b/velero · ReadWrite · default · NoSuchBucket"
    );
    let restore = item(
        Kind::Restore,
        &json!({"metadata": {"name": "r"},
            "spec": {"backupName": "b1", "namespaceMapping": {"shop": "shop2"},
                "existingResourcePolicy": "update"},
            "status": {"phase": "InProgress", "progress": {"itemsRestored": 5}, "warnings": 1}}),
        NOW,
    );
    assert_eq!(restore.progress, "5/?");
    assert_eq!(restore.warnings, Some(1));
    assert_eq!(
        restore.detail,
        "from backup b1 · mapping shop→shop2 · existing update"
    );
    assert_eq!(slot_of("Completed"), "row-ok");
    assert_eq!(slot_of("FailedValidation"), "row-error");
}

#[test]
fn a_list_without_items_is_no_rows() {
    assert!(items(Kind::Backup, &json!({"kind": "Status"}), NOW).is_empty());
}

#[test]
fn backup_form_builds_the_backup_and_refuses_bad_fields() {
    let form =
        BackupForm::parse(&strings(&["shop-1", "shop, data", "72h", "default", "no"])).unwrap();
    assert_eq!(
        form.object("velero"),
        json!({"apiVersion": "velero.io/v1", "kind": "Backup",
            "metadata": {"name": "shop-1", "namespace": "velero"},
            "spec": {"includedNamespaces": ["shop", "data"], "ttl": "72h",
                "storageLocation": "default", "snapshotVolumes": false}})
    );
    let all = BackupForm::parse(&strings(&["all", "", "", "", ""])).unwrap();
    assert_eq!(all.object("v")["spec"], json!({}), "Velero's defaults");
    assert!(BackupForm::parse(&strings(&["", "", "", "", ""])).is_err());
    let e = BackupForm::parse(&strings(&["x", "", "30 days", "", ""])).unwrap_err();
    assert!(e.contains("ttl"), "{e}");
    assert!(BackupForm::parse(&strings(&["x", "", "720h0m0s", "", "maybe"])).is_err());
}

#[test]
fn restore_form_maps_namespaces() {
    let form =
        RestoreForm::parse(&strings(&["r1", "shop=shop-copy, data=data2", "update"])).unwrap();
    assert_eq!(
        form.object("velero", "b1"),
        json!({"apiVersion": "velero.io/v1", "kind": "Restore",
            "metadata": {"name": "r1", "namespace": "velero"},
            "spec": {"backupName": "b1", "existingResourcePolicy": "update",
                "namespaceMapping": {"shop": "shop-copy", "data": "data2"}}})
    );
    assert!(parse_mapping("shop").is_err());
    assert!(parse_mapping("=x").is_err());
    assert!(parse_mapping("").unwrap().is_empty());
    assert!(RestoreForm::parse(&strings(&["r", "", "replace"])).is_err());
}

#[test]
fn backup_from_schedule_is_what_velero_makes() {
    let schedule = json!({
        "metadata": {"name": "daily-shop", "namespace": "backup-system", "uid": "u1",
            "labels": {"team": "sre"}, "annotations": {"note": "x"}},
        "spec": {"schedule": "0 2 * * *", "template": {"includedNamespaces": ["shop"],
            "ttl": "168h0m0s", "storageLocation": "default"}},
    });
    let b = backup_from_schedule(&schedule, NOW).unwrap();
    assert_eq!(stamp(NOW), "20250602000000");
    assert_eq!(
        b,
        json!({"apiVersion": "velero.io/v1", "kind": "Backup",
            "metadata": {"name": "daily-shop-20250602000000", "namespace": "backup-system",
                "labels": {"team": "sre", SCHEDULE_LABEL: "daily-shop"},
                "annotations": {"note": "x"}},
            "spec": {"includedNamespaces": ["shop"], "ttl": "168h0m0s",
                "storageLocation": "default"}})
    );
    // The template's own labels win over the Schedule's; an owner reference on request.
    let owned = json!({
        "metadata": {"name": "s", "namespace": "velero", "uid": "u2", "labels": {"a": "1"}},
        "spec": {"useOwnerReferencesInBackup": true,
            "template": {"metadata": {"labels": {"b": "2"}}}},
    });
    let b = backup_from_schedule(&owned, NOW).unwrap();
    assert_eq!(
        b["metadata"]["labels"],
        json!({"b": "2", SCHEDULE_LABEL: "s"})
    );
    assert_eq!(b["metadata"]["ownerReferences"][0]["uid"], "u2");
    assert_eq!(
        b["spec"]["metadata"]["labels"]["b"], "2",
        "the template as it is"
    );
    assert!(backup_from_schedule(&json!({}), NOW).is_err());
}

fn cluster(lists: [Option<Result<Vec<super::Item>, crate::model::ApiError>>; 4]) -> super::Cluster {
    super::Cluster {
        id: crate::model::ClusterId(0),
        context: "c".into(),
        lists,
        asked: true,
    }
}

#[test]
fn a_cluster_without_the_crds_is_a_note_and_a_failed_list_names_itself() {
    use super::Note;
    use crate::model::ApiError;
    let missing = || {
        Some(Err(ApiError {
            code: 404,
            message: "not found".into(),
        }))
    };
    let c = cluster([missing(), missing(), missing(), missing()]);
    assert_eq!(c.note(), Note::Absent);
    let c = cluster([
        Some(Ok(Vec::new())),
        Some(Err(ApiError {
            code: 403,
            message: "forbidden\u{1b}[0m".into(),
        })),
        Some(Ok(Vec::new())),
        None,
    ]);
    assert_eq!(c.note(), Note::Loading);
    let c = cluster([
        Some(Ok(Vec::new())),
        Some(Err(ApiError {
            code: 403,
            message: "forbidden\u{1b}[0m".into(),
        })),
        Some(Ok(Vec::new())),
        Some(Ok(Vec::new())),
    ]);
    assert_eq!(c.note(), Note::Failed("restores: forbidden".into()));
    assert_eq!(c.velero_namespace(), super::DEFAULT_NAMESPACE);
    let mut idle = cluster(Default::default());
    idle.asked = false;
    assert_eq!(idle.note(), Note::NotConnected);
}
