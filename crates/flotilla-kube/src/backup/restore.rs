//! Restoring an archive into a live cluster: the plan, every object judged by a server-side
//! dry run (or, in read-only mode, from reads alone), then the confirmed changes in dependency
//! order, every one audited before it is reported. The plan's types and the pure steps are
//! `flotilla_core::backup::restore`, re-exported here.

pub use flotilla_core::backup::restore::*;

use super::clean::clean;
use super::{Entry, order};
use crate::cluster::fetch;
use crate::cluster::request::short_error;
use crate::model::ApiError;
use crate::model::ResourceInfo;
use crate::ops::audit::{self, AuditLog, Record};
use crate::ops::call::{self, Call};
use crate::ops::record;
use crate::ops::{changed_lines, import};
use crate::protocol::op::{Patch, PatchKind};
use crate::text::first_line;
use futures::StreamExt;
use kube::Client;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// Objects judged (or sent) at once.
const PARALLEL: usize = 16;

/// Plans restoring `objects` (an archive's, in its order) into the cluster of `client`.
pub async fn plan(
    client: &Client,
    context: &str,
    objects: Vec<(Entry, Value)>,
    opts: &Options,
) -> Result<Plan, String> {
    let served = crate::cluster::discovery::discover(client)
        .await
        .map_err(|e| format!("{context}: discovery: {}", short_error(&e)))?;
    let objects = selected(objects, opts);
    let docs: Vec<Value> = objects.iter().map(|(_, v)| v.clone()).collect();
    // Resources the restore itself defines (their CRDs are in the archive).
    let defined = import::defined(&docs);

    let mut steps: Vec<Step> = Vec::with_capacity(objects.len());
    let mut unresolved: Vec<(usize, String)> = Vec::new();
    for (i, (e, v)) in objects.iter().enumerate() {
        let object = mapped(v, &opts.namespace_map);
        let (group, version) = import::group_version(&e.api_version);
        let info = import::resolve(group, &e.kind, &served, &[])
            .map(|r| (r.clone(), false))
            .or_else(|| import::resolve(group, &e.kind, &[], &defined).map(|r| (r.clone(), true)));
        let (info, pending_crd) = match info {
            Some(found) => found,
            None => {
                unresolved.push((
                    i,
                    format!("{context} does not serve {} {}", e.api_version, e.kind),
                ));
                (
                    ResourceInfo {
                        key: crate::model::ResKey::new(
                            group,
                            e.resource.split('.').next().unwrap_or(""),
                        ),
                        version: version.into(),
                        kind: e.kind.clone(),
                        singular: String::new(),
                        short_names: Vec::new(),
                        namespaced: !e.namespace.is_empty(),
                        verbs: Vec::new(),
                    },
                    false,
                )
            }
        };
        let namespace = text(&object, "/metadata/namespace").to_string();
        let name = text(&object, "/metadata/name").to_string();
        let title = if namespace.is_empty() {
            format!("{} {name}", e.resource)
        } else {
            format!("{} {namespace}/{name}", e.resource)
        };
        steps.push(Step {
            title,
            group: group.into(),
            version: version.into(),
            plural: info.key.plural.clone(),
            kind: e.kind.clone(),
            namespace,
            name,
            object,
            action: Action::Create,
            diff: Vec::new(),
            live_rv: None,
            seen: None,
            note: pending_crd.then(|| {
                "checked when applied: its CustomResourceDefinition comes with this restore".into()
            }),
        });
    }
    for (i, why) in unresolved {
        steps[i].action = Action::Refused(why);
    }

    let live = live_objects(client, &steps).await?;
    // Namespaces the target lacks and this restore creates: what goes in them is dry-run in
    // a stand-in namespace (it cannot be dry-run in one that does not exist yet).
    let new_namespaces: BTreeSet<String> = steps
        .iter()
        .filter(|s| s.kind == "Namespace" && !live.contains_key(&key(s)))
        .map(|s| s.name.clone())
        .collect();
    let checks: Vec<_> = steps
        .iter()
        .enumerate()
        .filter(|(_, s)| !matches!(s.action, Action::Refused(_)))
        .map(|(i, s)| {
            let client = client.clone();
            let live = live.get(&key(s)).cloned();
            let in_new_ns = new_namespaces.contains(&s.namespace);
            let step = s.clone();
            async move { (i, judge(&client, &step, live, in_new_ns, opts).await) }
        })
        .collect();
    let mut judged = futures::stream::iter(checks).buffer_unordered(PARALLEL);
    while let Some((i, j)) = judged.next().await {
        let s = &mut steps[i];
        s.action = j.action;
        s.diff = j.diff;
        s.live_rv = j.live_rv;
        s.seen = j.seen;
        if j.note.is_some() {
            s.note = j.note;
        }
    }
    Ok(Plan {
        context: context.into(),
        steps,
        dry_run: opts.dry_run,
    })
}

type Key = (String, String, String, String);

fn key(s: &Step) -> Key {
    (
        s.group.clone(),
        s.plural.clone(),
        s.namespace.clone(),
        s.name.clone(),
    )
}

/// The target's objects of the plan's names: one list per resource and namespace (a GET
/// each for cluster-scoped ones, which are few).
async fn live_objects(client: &Client, steps: &[Step]) -> Result<HashMap<Key, Value>, String> {
    let mut lists: BTreeMap<(String, String, String, String), ()> = BTreeMap::new();
    let mut singles: Vec<&Step> = Vec::new();
    for s in steps
        .iter()
        .filter(|s| !matches!(s.action, Action::Refused(_)))
    {
        if s.namespace.is_empty() {
            singles.push(s);
        } else {
            lists.insert(
                (
                    s.group.clone(),
                    s.version.clone(),
                    s.plural.clone(),
                    s.namespace.clone(),
                ),
                (),
            );
        }
    }
    let mut out = HashMap::new();
    let reads: Vec<_> = lists
        .into_keys()
        .map(|(group, version, plural, ns)| {
            let client = client.clone();
            async move {
                let prefix = crate::model::resource::api_prefix(&group, &version);
                let path = format!("{prefix}/namespaces/{ns}/{plural}");
                let got = fetch::list_all(&client, &path, 500).await;
                (group, plural, ns, got)
            }
        })
        .collect();
    let mut reads = futures::stream::iter(reads).buffer_unordered(8);
    while let Some((group, plural, ns, got)) = reads.next().await {
        match got {
            Ok(items) => {
                for o in items {
                    let name = text(&o, "/metadata/name").to_string();
                    out.insert((group.clone(), plural.clone(), ns.clone(), name), o);
                }
            }
            // Not served yet (its CRD comes with the restore).
            Err(e) if e.code == 404 => {}
            Err(e) => {
                return Err(format!(
                    "cannot read {plural} in {ns} on the target: {}",
                    first_line(&e.message)
                ));
            }
        }
    }
    for s in singles {
        match fetch::get(client, &s.path()).await {
            Ok(o) => {
                out.insert(key(s), o);
            }
            Err(e) if e.code == 404 => {}
            Err(e) => {
                return Err(format!(
                    "cannot read {} on the target: {}",
                    s.title,
                    first_line(&e.message)
                ));
            }
        }
    }
    Ok(out)
}

/// What judging one object found.
struct Judged {
    action: Action,
    diff: Vec<String>,
    live_rv: Option<String>,
    note: Option<String>,
    seen: Option<Value>,
}

impl Judged {
    fn new(action: Action) -> Judged {
        Judged {
            action,
            diff: Vec::new(),
            live_rv: None,
            note: None,
            seen: None,
        }
    }
}

/// One object's action, from the live object (if any) and a dry run.
async fn judge(
    client: &Client,
    step: &Step,
    live: Option<Value>,
    in_new_ns: bool,
    opts: &Options,
) -> Judged {
    let Some(mut live) = live else {
        return match opts.dry_run {
            DryRun::Server => judge_create(client, step, in_new_ns).await,
            DryRun::Client => Judged::new(Action::Create),
        };
    };
    // List items come without their type.
    for k in ["apiVersion", "kind"] {
        live[k] = step.object[k].clone();
    }
    let rv = live
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .map(str::to_string);
    let with_rv = |action| Judged {
        live_rv: rv.clone(),
        ..Judged::new(action)
    };
    if live.pointer("/metadata/deletionTimestamp").is_some() {
        return with_rv(Action::Conflict("it is being deleted".into()));
    }
    if let Some(owner) = controller(&live) {
        return with_rv(Action::Conflict(format!(
            "it is owned by {owner}, whose controller would undo a restore"
        )));
    }
    let current = clean(&live);
    if current == step.object {
        return with_rv(Action::Unchanged);
    }
    // No resourceVersion guard on the dry run: a controller writing status meanwhile is no
    // reason to call the object conflicting. The apply checks the object is still as seen.
    let after = match opts.dry_run {
        DryRun::Server => {
            let update = update_call(step, &current, None);
            match call::send_as(client, &update, true, MANAGER).await {
                Ok(after) => clean(&after),
                Err(e) => return with_rv(Action::Conflict(first_line(&e.message))),
            }
        }
        // What the server would make of the same patch, worked out here.
        DryRun::Client => merge_patched(&current, &update_patch(step, &current)),
    };
    if after == current {
        return with_rv(Action::Unchanged);
    }
    let action = match opts.existing {
        Existing::Update => Action::Update,
        Existing::Skip => {
            Action::Skip("it differs; --existing update would restore the archive's version".into())
        }
    };
    Judged {
        diff: changed_lines(&masked_yaml(&current), &masked_yaml(&after)),
        seen: Some(current),
        ..with_rv(action)
    }
}

/// A create, dry-run where it can be.
async fn judge_create(client: &Client, step: &Step, in_new_ns: bool) -> Judged {
    if step.note.is_some() {
        return Judged::new(Action::Create);
    }
    let (path, body) = if in_new_ns {
        let own = format!("/namespaces/{}/", step.namespace);
        let stand_in = format!("/namespaces/{}/", import::STAND_IN);
        (
            step.collection().replacen(&own, &stand_in, 1),
            import::in_stand_in(&step.object),
        )
    } else {
        (step.collection(), step.object.clone())
    };
    match call::send_as(client, &Call::Create { path, body }, true, MANAGER).await {
        Ok(_) => Judged::new(Action::Create),
        Err(e) if in_new_ns && import::about_stand_in(&e.message) => Judged {
            note: Some("checked when applied: the dry run's stand-in namespace refused it".into()),
            ..Judged::new(Action::Create)
        },
        Err(e) => Judged::new(Action::Refused(first_line(&e.message))),
    }
}

/// A JSON merge patch from the live object to the archive's, both cleaned: what the owner
/// wrote becomes the archive's version (fields it lacks are removed), what the cluster
/// filled in (a clusterIP, a bound volume) is not touched.
fn update_patch(step: &Step, current: &Value) -> Value {
    Value::Object(crate::helm::change::three_way(
        Some(current),
        &step.object,
        Some(current),
    ))
}

/// The update as it is sent: `update_patch`, refused if the object changed since `rv`, when
/// given.
fn update_call(step: &Step, current: &Value, rv: Option<&str>) -> Call {
    let mut body = update_patch(step, current);
    if let Some(rv) = rv {
        body["metadata"]["resourceVersion"] = Value::String(rv.into());
    }
    Call::Patch {
        path: step.path(),
        patch: Patch {
            kind: PatchKind::Merge,
            body,
        },
    }
}

/// What became of one object.
#[derive(Clone, Debug)]
pub struct Applied {
    pub title: String,
    /// "created", "updated"; the planned word for objects not changed.
    pub result: Result<&'static str, String>,
}

/// Who restores, for the audit records.
pub struct Audit {
    pub log: Arc<AuditLog>,
    pub batch: String,
    pub context: String,
    pub server: String,
    /// The Kubernetes identity the connection acts as, when known.
    pub identity: Option<String>,
    /// The archive's file name, said in each record.
    pub archive: String,
}

impl Audit {
    /// A record of this restore about `target`; the caller says what came of it.
    fn record(&self, target: audit::Target) -> Record {
        Record {
            time: jiff::Timestamp::now().to_string(),
            user: audit::os_user(),
            host: audit::host_name(),
            identity: self.identity.clone(),
            context: self.context.clone(),
            server: self.server.clone(),
            action: "restore".into(),
            batch: self.batch.clone(),
            target,
            ..Record::default()
        }
    }

    /// The restore as a whole: the archive it comes from.
    fn whole(&self) -> audit::Target {
        audit::Target {
            kind: "Archive".into(),
            name: self.archive.clone(),
            ..audit::Target::default()
        }
    }
}

/// Carries the plan's changes out in its order, phase by phase (objects of one phase at
/// once), each audited before it is reported. CRDs are waited on until established.
/// Failures do not stop the rest: every object's result is in the answer.
///
/// Before anything is sent, one intent record lists every planned change (nothing is sent
/// when it cannot be written: the error says so); every object's record names it, and a
/// closing record sums the restore up.
pub async fn apply(client: &Client, plan: &Plan, audit: &Audit) -> Result<Vec<Applied>, String> {
    let planned: Vec<String> = plan
        .steps
        .iter()
        .filter(|s| s.action.changes())
        .map(|s| format!("{} {}", s.action.word(), s.title))
        .collect();
    let intent = record::intend(
        &audit.log,
        audit.record(audit.whole()),
        json!({ "archive": audit.archive, "plan": planned }),
    )
    .await
    .map_err(|e| format!("not restored: {e}"))?;
    let mut out = send_phases(client, plan, audit, &intent).await;
    let failed = out.iter().filter(|a| a.result.is_err()).count();
    let changed = out
        .iter()
        .filter(|a| matches!(a.result, Ok("created" | "updated")))
        .count();
    let closing = Record {
        change: Some(json!({ "restored": changed, "failed": failed })),
        result: if failed == 0 { "ok" } else { "failed" }.into(),
        error: (failed > 0).then(|| format!("{failed} objects were not restored")),
        intent: Some(intent),
        ..audit.record(audit.whole())
    };
    if let Err(e) = record::append(&audit.log, closing).await {
        out.push(Applied {
            title: "audit log".into(),
            result: Err(format!(
                "the restore's outcome record could not be written (the log reads \"outcome unknown\"): {e}"
            )),
        });
    }
    Ok(out)
}

async fn send_phases(client: &Client, plan: &Plan, audit: &Audit, intent: &str) -> Vec<Applied> {
    let mut out: Vec<Option<Applied>> = vec![None; plan.steps.len()];
    let mut phases: BTreeMap<u8, Vec<usize>> = BTreeMap::new();
    for (i, s) in plan.steps.iter().enumerate() {
        if s.action.changes() {
            phases
                .entry(order::rank(&s.group, &s.kind))
                .or_default()
                .push(i);
        } else {
            out[i] = Some(Applied {
                title: s.title.clone(),
                result: Ok(s.action.word()),
            });
        }
    }
    for (phase, idx) in phases {
        let sends: Vec<_> = idx
            .iter()
            .map(|&i| {
                let client = client.clone();
                let step = &plan.steps[i];
                async move { (i, one(&client, step, audit, intent).await) }
            })
            .collect();
        let mut sends = futures::stream::iter(sends).buffer_unordered(PARALLEL);
        while let Some((i, r)) = sends.next().await {
            out[i] = Some(r);
        }
        if phase == order::CRDS {
            for &i in &idx {
                let s = &plan.steps[i];
                if out[i].as_ref().is_some_and(|a| a.result.is_ok())
                    && let Err(e) = established(client, s).await
                {
                    out[i] = Some(Applied {
                        title: s.title.clone(),
                        result: Err(e),
                    });
                }
            }
        }
        if phase == order::NAMESPACES {
            let created: Vec<&str> = idx
                .iter()
                .filter(|&&i| out[i].as_ref().is_some_and(|a| a.result.is_ok()))
                .map(|&i| plan.steps[i].name.as_str())
                .collect();
            default_accounts(client, &created).await;
        }
    }
    out.into_iter().flatten().collect()
}

/// Waits (up to 30 s in all) until each namespace the restore created has its `default`
/// ServiceAccount: the server refuses a pod whose account does not exist, and the controller
/// that makes it runs a moment after the namespace is created (on a busy server, after the
/// restore's pods were sent). Past the deadline the restore goes on and the server says why.
async fn default_accounts(client: &Client, namespaces: &[&str]) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    for ns in namespaces {
        let path = format!("/api/v1/namespaces/{ns}/serviceaccounts/default");
        while fetch::get(client, &path).await.is_err() && std::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
}

/// An update, sent only while the object is as the plan saw it (its status may have moved
/// on: a busy Deployment's does every few seconds), guarded by the resourceVersion read just
/// before; a write in between is retried from a fresh read.
async fn update(client: &Client, step: &Step) -> Result<Value, String> {
    let seen = step
        .seen
        .as_ref()
        .ok_or("no plan for this update (a bug)")?;
    for _ in 0..3 {
        let mut live = fetch::get(client, &step.path())
            .await
            .map_err(|e| first_line(&e.message))?;
        for k in ["apiVersion", "kind"] {
            live[k] = step.object[k].clone();
        }
        let current = clean(&live);
        if current != *seen {
            return Err("it changed since the plan was made; plan again".into());
        }
        let rv = live
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str);
        match call::send_as(client, &update_call(step, &current, rv), false, MANAGER).await {
            Err(e) if e.code == 409 => continue,
            r => return r.map_err(|e| first_line(&e.message)),
        }
    }
    Err("it kept changing while it was updated; plan again".into())
}

async fn one(client: &Client, step: &Step, audit: &Audit, intent: &str) -> Applied {
    let (sent, verb, plan_word) = match step.action {
        Action::Update => (update(client, step).await, "updated", "update"),
        _ => {
            let create = Call::Create {
                path: step.collection(),
                body: step.object.clone(),
            };
            let sent = call::send_as(client, &create, false, MANAGER).await;
            (sent.map_err(|e| explain(&e)), "created", "create")
        }
    };
    let result = sent.as_ref().map(|_| verb).map_err(Clone::clone);
    let after = sent.as_ref().ok();
    let mut change = json!({ "archive": audit.archive, "plan": plan_word });
    if !step.diff.is_empty() {
        change["diff"] = json!(step.diff);
    }
    let target = audit::Target {
        group: step.group.clone(),
        version: step.version.clone(),
        kind: step.kind.clone(),
        namespace: step.namespace.clone(),
        name: step.name.clone(),
        uid: after
            .map(|a| text(a, "/metadata/uid").to_string())
            .unwrap_or_default(),
    };
    let record = Record {
        rv_before: step.live_rv.clone(),
        rv_after: after
            .and_then(|a| a.pointer("/metadata/resourceVersion"))
            .and_then(Value::as_str)
            .map(str::to_string),
        change: Some(audit.log.key().redact(&step.kind, change)),
        result: if result.is_ok() { "ok" } else { "failed" }.into(),
        error: result.as_ref().err().cloned(),
        intent: Some(intent.to_string()),
        ..audit.record(target)
    };
    let result = match (record::append(&audit.log, record).await, result) {
        (Ok(_), r) => r,
        (Err(e), Ok(_)) => Err(format!(
            "restored, but the audit record could not be written: {e}"
        )),
        (Err(e), Err(why)) => Err(format!(
            "{why} (and the audit record could not be written: {e})"
        )),
    };
    Applied {
        title: step.title.clone(),
        result,
    }
}

/// The server's refusal of a create, said for this restore.
fn explain(e: &ApiError) -> String {
    let msg = first_line(&e.message);
    match e.code {
        409 => format!("it was created since the plan was made: {msg}"),
        _ => msg,
    }
}

/// Waits (up to a minute, as Velero does) for a CRD the restore wrote to be established, so
/// its resources can be created.
async fn established(client: &Client, step: &Step) -> Result<(), String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        if let Ok(crd) = fetch::get(client, &step.path()).await {
            let ok = crd
                .pointer("/status/conditions")
                .and_then(Value::as_array)
                .is_some_and(|cs| {
                    cs.iter()
                        .any(|c| text(c, "/type") == "Established" && text(c, "/status") == "True")
                });
            if ok {
                return Ok(());
            }
        }
        if std::time::Instant::now() > deadline {
            return Err(
                "created, but not established within 60 s: its resources cannot be restored".into(),
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_plan_in_read_only_mode_judges_without_asking_the_server() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = kube::Config::new("http://127.0.0.1:9".parse().unwrap());
        let client = Client::try_from(config).unwrap();
        let cm = |value: &str| {
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "web", "namespace": "shop"}, "data": {"mode": value}})
        };
        let step = Step {
            title: "configmaps shop/web".into(),
            group: String::new(),
            version: "v1".into(),
            plural: "configmaps".into(),
            kind: "ConfigMap".into(),
            namespace: "shop".into(),
            name: "web".into(),
            object: cm("archived"),
            action: Action::Create,
            diff: Vec::new(),
            live_rv: None,
            seen: None,
            note: None,
        };
        let mut live = cm("live");
        live["metadata"]["uid"] = json!("u1");
        live["metadata"]["resourceVersion"] = json!("42");
        let reads_only = |existing| Options {
            existing,
            dry_run: DryRun::Client,
            ..Options::default()
        };

        let (skip, update) = (reads_only(Existing::Skip), reads_only(Existing::Update));
        let j = judge(&client, &step, None, false, &skip).await;
        assert_eq!(j.action, Action::Create);
        let j = judge(&client, &step, Some(live.clone()), false, &update).await;
        assert_eq!(j.action, Action::Update);
        assert_eq!(j.live_rv.as_deref(), Some("42"));
        assert_eq!(j.diff, ["-   mode: live", "+   mode: archived"]);
        let j = judge(&client, &step, Some(live.clone()), false, &skip).await;
        assert!(matches!(j.action, Action::Skip(_)), "{:?}", j.action);
        let mut same = cm("archived");
        same["metadata"]["uid"] = json!("u1");
        let j = judge(&client, &step, Some(same), false, &skip).await;
        assert_eq!(j.action, Action::Unchanged);

        let server = Options::default();
        let j = judge(&client, &step, Some(live), false, &server).await;
        assert!(matches!(j.action, Action::Conflict(_)), "{:?}", j.action);
    }
}
