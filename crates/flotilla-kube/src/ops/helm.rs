//! Rolls a Helm release back or uninstalls it on one cluster, as `helm rollback` and
//! `helm uninstall` do, with no helm binary: the records and the live objects are read
//! fresh, `helm::change` says what to send, and the records are written the way Helm's
//! storage drivers write them, so `helm history` and `helm list` run later agree.
//!
//! A dry run sends every object's request with `dryRun=All` and reports, per object, what
//! would change (the server's answer against the live object); nothing is written. The
//! chart's hooks are not run, as with `helm rollback --no-hooks`; the plan names them.

use super::call::{self, Call};
use crate::cluster::fetch;
use crate::helm::change::{self, Doing, Live, Placed, Step};
use crate::helm::manifest;
use crate::helm::record::{self, Driver};
use crate::kinds::document::diff_view;
use crate::model::ApiError;
use crate::model::ObjectRef;
use crate::model::resource::api_prefix;
use crate::protocol::op::{HelmOp, Patch, PatchKind};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Diff lines shown per object in a plan; the rest is counted.
const DIFF_LINES: usize = 40;

/// What one release came to.
pub struct Report {
    /// One line: "would change 1, create 1, delete 1", "rolled back to 1: revision 4 deployed".
    pub summary: String,
    /// Per object what it came to (a dry run: what would), with its diff; then the records.
    pub lines: Vec<String>,
    /// Why it stopped (a dry run: why it would fail); what was done is in `lines`.
    pub error: Option<String>,
}

impl Report {
    fn failed(e: impl Into<String>) -> Report {
        Report {
            summary: String::new(),
            lines: Vec::new(),
            error: Some(e.into()),
        }
    }
}

/// One revision's record: the storage object and the release it holds.
struct Stored {
    object: Value,
    release: Value,
}

impl Stored {
    fn version(&self) -> i64 {
        self.release
            .get("version")
            .and_then(Value::as_i64)
            .unwrap_or(0)
    }

    fn status(&self) -> &str {
        self.release
            .pointer("/info/status")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    fn name(&self) -> &str {
        self.object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
}

/// The release's context, as every request needs it.
struct Release<'a> {
    client: &'a kube::Client,
    driver: Driver,
    namespace: &'a str,
    name: &'a str,
    dry_run: bool,
}

fn said(e: &ApiError) -> String {
    crate::text::clean(&e.message)
}

pub async fn run(client: &kube::Client, obj: &ObjectRef, op: HelmOp, dry_run: bool) -> Report {
    let Some((name, revision)) = record::release_of(&obj.name) else {
        return Report::failed(format!("{} is not a Helm release record", obj.name));
    };
    let driver = match obj.kind.as_str() {
        "Secret" => Driver::Secret,
        "ConfigMap" => Driver::ConfigMap,
        k => return Report::failed(format!("a {k} is not a Helm release record")),
    };
    let rel = Release {
        client,
        driver,
        namespace: &obj.namespace,
        name,
        dry_run,
    };
    let records = match rel.records().await {
        Ok(r) => r,
        Err(e) => return Report::failed(e),
    };
    // The plan was made against this revision; a release that moved on is planned again.
    match records.last().map(Stored::version) {
        Some(v) if v == revision => {}
        Some(v) => {
            return Report::failed(format!(
                "the release changed meanwhile: revision {v} is now its newest (the plan was for {revision}); look at it again"
            ));
        }
        None => return Report::failed("the release has no records any more"),
    }
    let result = match op {
        HelmOp::Rollback { revision: to } => rel.rollback(&records, to).await,
        HelmOp::Uninstall { keep_history } => rel.uninstall(&records, keep_history).await,
    };
    result.unwrap_or_else(Report::failed)
}

impl Release<'_> {
    fn records_path(&self) -> String {
        format!(
            "/api/v1/namespaces/{}/{}",
            self.namespace,
            self.driver.plural()
        )
    }

    /// Every record of the release, oldest first.
    async fn records(&self) -> Result<Vec<Stored>, String> {
        let path = format!(
            "{}?labelSelector=owner%3Dhelm%2Cname%3D{}",
            self.records_path(),
            self.name
        );
        let list = fetch::get(self.client, &path)
            .await
            .map_err(|e| format!("cannot read the release's records: {}", said(&e)))?;
        let mut out = Vec::new();
        for object in list
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = object
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("?");
            // Items of a list carry no kind, and decoding depends on it.
            let mut object = object.clone();
            object["kind"] = Value::String(self.driver.kind().into());
            // A record that cannot be read stops the operation: Helm's history would fail too.
            let release = record::decode(&object).map_err(|e| format!("record {name}: {e}"))?;
            out.push(Stored { object, release });
        }
        out.sort_by_key(Stored::version);
        Ok(out)
    }

    /// Where each manifest object lives, from the servers' discovery of its group version.
    async fn place(
        &self,
        manifest: &str,
        found: &mut HashMap<String, Value>,
    ) -> Result<Vec<Placed>, String> {
        let mut out = Vec::new();
        for named in manifest::objects(manifest)? {
            let prefix = api_prefix(&named.group, &named.version);
            if !found.contains_key(&prefix) {
                let list = fetch::get(self.client, &prefix).await.map_err(|e| {
                    format!(
                        "the server does not serve {}: {}",
                        prefix.trim_start_matches('/'),
                        said(&e)
                    )
                })?;
                found.insert(prefix.clone(), list);
            }
            let resource = found[&prefix]
                .get("resources")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|r| {
                    r.get("kind").and_then(Value::as_str) == Some(named.kind.as_str())
                        && r.get("name")
                            .and_then(Value::as_str)
                            .is_some_and(|n| !n.contains('/'))
                })
                .ok_or_else(|| {
                    format!(
                        "the server has no kind {} in {}",
                        named.kind,
                        prefix.trim_start_matches('/')
                    )
                })?;
            let plural = resource.get("name").and_then(Value::as_str).unwrap_or("");
            let namespaced = resource.get("namespaced").and_then(Value::as_bool) == Some(true);
            let namespace = match (namespaced, named.namespace.is_empty()) {
                (false, _) => String::new(),
                (true, true) => self.namespace.to_string(),
                (true, false) => named.namespace.clone(),
            };
            let collection = if namespaced {
                format!("{prefix}/namespaces/{namespace}/{plural}")
            } else {
                format!("{prefix}/{plural}")
            };
            out.push(Placed {
                path: format!("{collection}/{}", named.name),
                collection,
                namespace,
                named,
            });
        }
        Ok(out)
    }

    /// The live objects: missing ones as `None`; one that cannot be read stops the plan.
    async fn live(&self, objs: &[&Placed]) -> Result<Live, String> {
        let mut live = Live::new();
        for p in objs {
            if live.contains_key(&p.path) {
                continue;
            }
            let got = match fetch::get(self.client, &p.path).await {
                Ok(v) => Some(v),
                Err(e) if e.code == 404 => None,
                Err(e) => return Err(format!("cannot read {}: {}", p.title(), said(&e))),
            };
            live.insert(p.path.clone(), got);
        }
        Ok(live)
    }

    async fn rollback(&self, records: &[Stored], to: Option<i64>) -> Result<Report, String> {
        let current = records.last().ok_or("the release has no records")?;
        let to = to.unwrap_or(current.version() - 1);
        if to < 1 {
            return Err(format!(
                "revision {} is the release's first: there is nothing to roll back to",
                current.version()
            ));
        }
        if to == current.version() {
            return Err(format!("revision {to} is the release's newest"));
        }
        let target = records
            .iter()
            .find(|r| r.version() == to)
            .ok_or(format!("release has no {to} version"))?;
        let mut found = HashMap::new();
        let now_objects = self
            .place(record::manifest(&current.release), &mut found)
            .await?;
        let target_objects = self
            .place(record::manifest(&target.release), &mut found)
            .await?;
        let live = self
            .live(
                &now_objects
                    .iter()
                    .chain(&target_objects)
                    .collect::<Vec<_>>(),
            )
            .await?;
        let server_side = target.release.get("apply_method").and_then(Value::as_str) == Some("ssa");
        let steps = change::rollback(
            &now_objects,
            &target_objects,
            &live,
            server_side,
            self.name,
            self.namespace,
        );
        let now = jiff::Timestamp::now();
        let next = change::rollback_record(&current.release, &target.release, &now.to_string())?;
        let next_version = current.version() + 1;
        let deployed: Vec<&Stored> = records
            .iter()
            .filter(|r| r.status() == "deployed")
            .collect();
        let mut lines = hooks_not_run(&target.release, "rollback");
        if self.dry_run {
            let (tally, failed) = self.send_all(&steps, &live, &mut lines).await;
            lines.push(format!(
                "revision {next_version} would be recorded: deployed, \"Rollback to {to}\""
            ));
            for d in &deployed {
                lines.push(format!("revision {} would be superseded", d.version()));
            }
            return Ok(Report {
                summary: format!("rollback to {to} would {tally}"),
                lines,
                error: failed,
            });
        }
        // As Helm: the new revision is recorded first, pending, so a rollback cut short
        // leaves a record saying so rather than objects nobody recorded.
        let body = record::storage_object(
            self.driver,
            &next,
            change::record_labels(&next, ("createdAt", now.as_second())),
            None,
        )?;
        let created = call::send_as(
            self.client,
            &Call::Create {
                path: self.records_path(),
                body,
            },
            false,
            change::MANAGER,
        )
        .await
        .map_err(|e| match e.code {
            409 => format!("revision {next_version} was written meanwhile by another operation"),
            _ => format!("cannot record revision {next_version}: {}", said(&e)),
        })?;
        let created = Stored {
            object: created,
            release: next,
        };
        let (tally, failed) = self.send_all(&steps, &live, &mut lines).await;
        if let Some(e) = failed {
            let why = format!("Rollback {:?} failed: {e}", self.name);
            self.update(current, "superseded", None, &mut lines).await;
            self.update(&created, "failed", Some(&why), &mut lines)
                .await;
            return Ok(Report {
                summary: String::new(),
                lines,
                error: Some(format!(
                    "{why} (revision {next_version} recorded as failed)"
                )),
            });
        }
        for d in deployed {
            self.update(d, "superseded", None, &mut lines).await;
        }
        let recorded = self.update(&created, "deployed", None, &mut lines).await;
        Ok(Report {
            summary: format!("rolled back to revision {to}: revision {next_version} {tally}"),
            lines,
            error: (!recorded).then(|| {
                format!("the objects were rolled back but revision {next_version} could not be marked deployed")
            }),
        })
    }

    async fn uninstall(&self, records: &[Stored], keep_history: bool) -> Result<Report, String> {
        let newest = records.last().ok_or("the release has no records")?;
        let mut lines = hooks_not_run(&newest.release, "delete");
        if newest.status() == "uninstalled" {
            if keep_history {
                return Err(format!(
                    "the release named {:?} is already deleted",
                    self.name
                ));
            }
            // Already uninstalled with its history kept: what is left is the history.
            if self.dry_run {
                lines.push(format!(
                    "the release's {} records would be deleted",
                    records.len()
                ));
                return Ok(Report {
                    summary: "uninstall would delete the history".into(),
                    lines,
                    error: None,
                });
            }
            let n = self.purge(records, &mut lines).await?;
            return Ok(Report {
                summary: format!("history deleted ({n} records)"),
                lines,
                error: None,
            });
        }
        let mut found = HashMap::new();
        let objects = self
            .place(record::manifest(&newest.release), &mut found)
            .await?;
        let live = self.live(&objects.iter().collect::<Vec<_>>()).await?;
        let steps = change::uninstall(&objects, &live, self.name, self.namespace);
        if self.dry_run {
            let (tally, failed) = self.send_all(&steps, &live, &mut lines).await;
            lines.push(if keep_history {
                format!("revision {} would be marked uninstalled", newest.version())
            } else {
                format!("the release's {} records would be deleted", records.len())
            });
            return Ok(Report {
                summary: format!("uninstall would {tally}"),
                lines,
                error: failed,
            });
        }
        let now = jiff::Timestamp::now().to_string();
        let mut rel = change::with_status(
            &newest.release,
            "uninstalling",
            Some("Deletion in progress (or silently failed)"),
        );
        rel["info"]["deleted"] = json!(now);
        let Some(marked) = self.write(&newest.object, &rel).await? else {
            return Err("the newest record changed meanwhile; nothing was deleted".into());
        };
        let (tally, failed) = self.send_all(&steps, &live, &mut lines).await;
        let mut errors: Vec<String> = failed.into_iter().collect();
        if keep_history {
            let done = Stored {
                object: marked,
                release: rel,
            };
            if !self
                .update(
                    &done,
                    "uninstalled",
                    Some("Uninstallation complete"),
                    &mut lines,
                )
                .await
            {
                errors.push("the record could not be marked uninstalled".into());
            }
            for r in records.iter().filter(|r| r.status() == "deployed") {
                if r.version() != newest.version() {
                    self.update(r, "superseded", None, &mut lines).await;
                }
            }
        } else if let Err(e) = self.purge(records, &mut lines).await {
            errors.push(e);
        }
        Ok(Report {
            summary: format!("uninstalled: {tally}"),
            lines,
            error: (!errors.is_empty()).then(|| {
                format!(
                    "uninstallation completed with {} error(s): {}",
                    errors.len(),
                    errors.join("; ")
                )
            }),
        })
    }

    /// Deletes every record (`helm uninstall` without `--keep-history`).
    async fn purge(&self, records: &[Stored], lines: &mut Vec<String>) -> Result<usize, String> {
        for r in records {
            let path = format!("{}/{}", self.records_path(), r.name());
            let options = json!({"kind": "DeleteOptions", "apiVersion": "v1"});
            match call::send(self.client, &Call::Delete { path, options }, false).await {
                Ok(_) => {}
                Err(e) if e.code == 404 => {}
                Err(e) => {
                    return Err(format!(
                        "uninstall: failed to purge the release: record {}: {}",
                        r.name(),
                        said(&e)
                    ));
                }
            }
        }
        lines.push(format!("{} records deleted", records.len()));
        Ok(records.len())
    }

    /// Writes `release` into the record read as `object`, at the version it was read at:
    /// `None` when it changed meanwhile.
    async fn write(&self, object: &Value, release: &Value) -> Result<Option<Value>, String> {
        let name = object
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let rv = object
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str);
        let labels =
            change::record_labels(release, ("modifiedAt", jiff::Timestamp::now().as_second()));
        let body = record::storage_object(self.driver, release, labels, rv)?;
        let path = format!("{}/{name}", self.records_path());
        match call::send_as(
            self.client,
            &Call::Replace { path, body },
            false,
            change::MANAGER,
        )
        .await
        {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.code == 409 => Ok(None),
            Err(e) => Err(format!("cannot write record {name}: {}", said(&e))),
        }
    }

    /// Sets a record's status (and description); says in `lines` what happened. False when
    /// it could not.
    async fn update(
        &self,
        r: &Stored,
        status: &str,
        description: Option<&str>,
        lines: &mut Vec<String>,
    ) -> bool {
        let release = change::with_status(&r.release, status, description);
        let why = match self.write(&r.object, &release).await {
            Ok(Some(_)) => {
                lines.push(format!("revision {}: {status}", r.version()));
                return true;
            }
            Ok(None) => "it changed meanwhile".to_string(),
            Err(e) => e,
        };
        lines.push(format!(
            "revision {}: not marked {status}: {why}",
            r.version()
        ));
        false
    }

    /// Sends each step (in order, stopping at the first refusal) and says of each what it
    /// did, or would do. The tally, and the refusal.
    async fn send_all(
        &self,
        steps: &[Step],
        live: &Live,
        lines: &mut Vec<String>,
    ) -> (String, Option<String>) {
        let mut tally: [usize; 5] = [0; 5];
        for s in steps {
            let title = s.obj.title();
            let before = live.get(&s.obj.path).and_then(Option::as_ref);
            let (slot, verb) = match &s.doing {
                Doing::Unchanged => {
                    tally[3] += 1;
                    lines.push(format!("= {title}: unchanged"));
                    continue;
                }
                Doing::Keep(why) => {
                    tally[4] += 1;
                    lines.push(format!("· {title}: kept ({why})"));
                    continue;
                }
                Doing::Create(_) => (1, "created"),
                Doing::Apply(_) if before.is_none() => (1, "created"),
                Doing::Delete => (2, "deleted"),
                Doing::Apply(_) | Doing::Patch(_) => (0, "changed"),
            };
            let call = request(s, before);
            match call::send_as(self.client, &call, self.dry_run, change::MANAGER).await {
                Ok(after) => {
                    let diff = match s.doing {
                        Doing::Delete => Vec::new(),
                        _ => diff_lines(before, &after),
                    };
                    if slot == 0 && diff.is_empty() {
                        tally[3] += 1;
                        lines.push(format!("= {title}: unchanged"));
                        continue;
                    }
                    tally[slot] += 1;
                    let sign = ["~", "+", "-"][slot];
                    let verb = if self.dry_run {
                        ["would change", "would be created", "would be deleted"][slot]
                    } else {
                        verb
                    };
                    let size = if slot == 0 {
                        format!(" ({} lines)", diff.len())
                    } else {
                        String::new()
                    };
                    lines.push(format!("{sign} {title}: {verb}{size}"));
                    if slot != 1 || self.dry_run {
                        let n = diff.len();
                        lines.extend(
                            diff.into_iter()
                                .take(DIFF_LINES)
                                .map(|l| format!("    {l}")),
                        );
                        if n > DIFF_LINES {
                            lines.push(format!("    … {} more lines", n - DIFF_LINES));
                        }
                    }
                }
                Err(e) if matches!(s.doing, Doing::Delete) && e.code == 404 => {
                    lines.push(format!("- {title}: already gone"));
                }
                Err(e) => {
                    let why = format!("{title}: {}", said(&e));
                    lines.push(format!("✗ {why}"));
                    return (tally_text(&tally, self.dry_run), Some(why));
                }
            }
        }
        (tally_text(&tally, self.dry_run), None)
    }
}

/// The request a step sends, with a precondition on the live object's uid where the API
/// takes one (a patch, a delete).
fn request(s: &Step, live: Option<&Value>) -> Call {
    let uid = live
        .and_then(|l| l.pointer("/metadata/uid"))
        .cloned()
        .unwrap_or(Value::Null);
    let path = s.obj.path.clone();
    match &s.doing {
        Doing::Create(body) => Call::Create {
            path: s.obj.collection.clone(),
            body: body.clone(),
        },
        Doing::Apply(body) => Call::Apply {
            path,
            body: body.clone(),
            force: false,
        },
        Doing::Patch(body) => {
            let mut body = body.clone();
            body["metadata"]["uid"] = uid;
            Call::Patch {
                path,
                patch: Patch {
                    kind: PatchKind::Merge,
                    body,
                },
            }
        }
        Doing::Delete | Doing::Unchanged | Doing::Keep(_) => Call::Delete {
            path,
            options: json!({"kind": "DeleteOptions", "apiVersion": "v1",
                "propagationPolicy": "Background", "preconditions": {"uid": uid}}),
        },
    }
}

/// The object before and after as YAML lines that changed; Secret values hashed.
fn diff_lines(before: Option<&Value>, after: &Value) -> Vec<String> {
    let yaml = |v: &Value| {
        let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
        super::yaml_of(&super::audit::Key::ephemeral().redact(kind, diff_view(v)))
    };
    let before = before.map(yaml).unwrap_or_default();
    super::changed_lines(&before, &yaml(after))
}

fn tally_text(t: &[usize; 5], dry_run: bool) -> String {
    let words = if dry_run {
        ["change", "create", "delete"]
    } else {
        ["changed", "created", "deleted"]
    };
    let mut parts: Vec<String> = words
        .iter()
        .zip(t)
        .map(|(w, n)| format!("{w} {n}"))
        .collect();
    let rest: Vec<String> = [(t[3], "unchanged"), (t[4], "kept")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, w)| format!("{n} {w}"))
        .collect();
    if !rest.is_empty() {
        parts.push(format!("({})", rest.join(", ")));
    }
    parts.join(", ").replace(", (", " (")
}

/// The hooks of `event` (rollback: pre-/post-rollback; delete: pre-/post-delete) the
/// release has, which flotilla does not run.
fn hooks_not_run(release: &Value, event: &str) -> Vec<String> {
    let names: Vec<String> = release
        .get("hooks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|h| {
            h.get("events").and_then(Value::as_array).is_some_and(|e| {
                e.iter().any(|e| {
                    e.as_str().is_some_and(|e| {
                        e == format!("pre-{event}") || e == format!("post-{event}")
                    })
                })
            })
        })
        .filter_map(|h| h.get("name").and_then(Value::as_str).map(str::to_string))
        .collect();
    if names.is_empty() {
        Vec::new()
    } else {
        vec![format!(
            "! hooks not run (as with --no-hooks): {}",
            names.join(", ")
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tally_names_what_is_left_alone_only_when_there_is_some() {
        assert_eq!(
            tally_text(&[1, 0, 2, 0, 0], true),
            "change 1, create 0, delete 2"
        );
        assert_eq!(
            tally_text(&[0, 1, 0, 3, 1], false),
            "changed 0, created 1, deleted 0 (3 unchanged, 1 kept)"
        );
    }

    #[test]
    fn only_rollback_hooks_are_named_for_a_rollback() {
        let rel = json!({"hooks": [
            {"name": "migrate", "events": ["post-install", "post-upgrade"]},
            {"name": "restore", "events": ["pre-rollback"]}]});
        assert_eq!(
            hooks_not_run(&rel, "rollback"),
            vec!["! hooks not run (as with --no-hooks): restore".to_string()]
        );
        assert!(hooks_not_run(&rel, "delete").is_empty());
    }
}
