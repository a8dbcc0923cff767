//! Changes a list starts on the selected (or marked) objects: the actions menu, the forms
//! that ask for what a change needs (replicas, images, labels, taints…), then one
//! change (`Ctx::mutate`). The app checks, confirms, sends and audits; this only asks.

use super::TableScreen;
use crate::modal::{Modal, ModalResult};
use crate::model::{Action, ApiError, Fetched, ObjectRef};
use crate::ops::build::expose;
use crate::ops::{catalog, plan};
use crate::protocol::op::{DrainOpts, MetaField, Mutation, Op, Propagation, Taint};
use crate::quantity::Quantity;
use crate::screens::revisions::RevisionsScreen;
use crate::screens::{Ctx, Deliver, Request};
use serde_json::Value;

/// How a key's action reads on this kind: k9s's per-kind keys (`s` scales a workload and
/// suspends a cron job, `r` drains a node, `c` cordons one).
fn on_kind(action: &Action, kind: &str) -> Option<Action> {
    let scalable = matches!(
        kind,
        "Deployment" | "StatefulSet" | "ReplicaSet" | "ReplicationController"
    );
    Some(match (action, kind) {
        (Action::Shell, "CronJob") => Action::Suspend,
        (Action::Shell, _) if scalable => Action::Scale,
        (Action::Restart, "Node") => Action::Drain,
        (Action::Copy, "Node") => Action::Cordon,
        (
            Action::Delete
            | Action::Kill
            | Action::ForceDelete
            | Action::DeleteOrphan
            | Action::Scale
            | Action::Stop
            | Action::Start
            | Action::Restart
            | Action::Pause
            | Action::Resume
            | Action::SetImage
            | Action::Rollback
            | Action::Labels
            | Action::Annotations
            | Action::Cordon
            | Action::Uncordon
            | Action::Drain
            | Action::Taints
            | Action::Trigger
            | Action::Suspend
            | Action::Strategy
            | Action::Autoscale
            | Action::DefaultClass
            | Action::Expose
            | Action::EditPorts
            | Action::EditRules
            | Action::ReclaimPolicy
            | Action::Resize
            | Action::Actions,
            _,
        ) => action.clone(),
        _ => return None,
    })
}

/// `k=v k2=v2 k3-` (kubectl label syntax): set those, remove these.
pub fn parse_meta(field: MetaField, text: &str) -> Result<Op, String> {
    let (mut set, mut remove) = (Vec::new(), Vec::new());
    for word in text.split_whitespace() {
        if let Some(k) = word.strip_suffix('-') {
            remove.push(k.to_string());
        } else if let Some((k, v)) = word.split_once('=') {
            if k.is_empty() {
                return Err(format!("{word:?}: the key is empty"));
            }
            set.push((k.to_string(), v.to_string()));
        } else {
            return Err(format!("{word:?}: write key=value to set, key- to remove"));
        }
    }
    if set.is_empty() && remove.is_empty() {
        return Err("nothing to change".into());
    }
    Ok(Op::Meta { field, set, remove })
}

/// `key=value:Effect key:Effect key-` (kubectl taint syntax): add those, remove these.
pub fn parse_taints(text: &str) -> Result<Op, String> {
    let (mut add, mut remove) = (Vec::new(), Vec::new());
    for word in text.split_whitespace() {
        if let Some(k) = word.strip_suffix('-') {
            remove.push(k.to_string());
            continue;
        }
        let (kv, effect) = word.rsplit_once(':').ok_or(format!(
            "{word:?}: write key=value:Effect, or key- to remove"
        ))?;
        let (key, value) = kv.split_once('=').unwrap_or((kv, ""));
        add.push(Taint {
            key: key.into(),
            value: value.into(),
            effect: effect.into(),
        });
    }
    if add.is_empty() && remove.is_empty() {
        return Err("nothing to change".into());
    }
    Ok(Op::Taint { add, remove })
}

fn yes(s: &str) -> bool {
    matches!(s.trim().to_lowercase().as_str(), "y" | "yes" | "true" | "1")
}

fn optional(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

fn number(s: &str, what: &str) -> Result<Option<i64>, String> {
    match optional(s) {
        None => Ok(None),
        Some(t) => t
            .parse::<i64>()
            .map(Some)
            .map_err(|_| format!("{what}: {t:?} is not a number")),
    }
}

impl TableScreen {
    /// Handles a change action; `false` when `action` is not one here.
    pub(super) fn change(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        let Some(kind) = self.selected.as_ref().map(|o| o.kind.clone()) else {
            return false;
        };
        let Some(action) = on_kind(action, &kind) else {
            return false;
        };
        if action == Action::Actions {
            self.menu(ctx);
        } else {
            self.start(action, ctx);
        }
        true
    }

    /// The targets of `action`: the marked rows that offer it, else the selection.
    fn targets_of(&self, action: &Action, ctx: &mut Ctx) -> Vec<ObjectRef> {
        let all = self.marked_or_selected(ctx);
        let n = all.len();
        let fit: Vec<ObjectRef> = all
            .into_iter()
            .filter(|o| catalog::entry(o, action).is_some())
            .collect();
        if fit.len() < n {
            ctx.info(format!(
                "{} marked object(s) skipped: that action does not apply to them",
                n - fit.len()
            ));
        }
        fit
    }

    fn start(&mut self, action: Action, ctx: &mut Ctx) {
        let targets = self.targets_of(&action, ctx);
        let Some(first) = targets.first().cloned() else {
            if let Some(obj) = self.target(ctx) {
                ctx.error(format!("{} offers no such action", obj.short()));
            }
            return;
        };
        let submit = |op: Op, ctx: &mut Ctx| submit(op, targets.clone(), ctx);
        let delete = |propagation, grace, force| Op::Delete {
            propagation,
            grace,
            force,
        };
        match action {
            Action::Delete => submit(delete(Propagation::Background, None, false), ctx),
            Action::DeleteOrphan => submit(delete(Propagation::Orphan, None, false), ctx),
            Action::Kill => submit(delete(Propagation::Background, Some(0), false), ctx),
            Action::ForceDelete => submit(delete(Propagation::Background, Some(0), true), ctx),
            Action::Stop => submit(Op::Stop, ctx),
            Action::Start => submit(Op::Start, ctx),
            Action::Restart => submit(Op::Restart, ctx),
            Action::Pause => submit(Op::Pause, ctx),
            Action::Resume => submit(Op::Resume, ctx),
            Action::Cordon => submit(Op::Cordon, ctx),
            Action::Uncordon => submit(Op::Uncordon, ctx),
            Action::Trigger => submit(Op::Trigger, ctx),
            Action::Suspend => {
                // The SUSPEND column says which way it goes; mixed marks follow the first.
                let suspended = self.cell(ctx, &first, "SUSPEND").as_deref() == Some("True");
                submit(Op::Suspend(!suspended), ctx)
            }
            Action::Rollback => ctx.push(Box::new(RevisionsScreen::new(first))),
            Action::DefaultClass => {
                // Every class, to find the default(s) the change must unset.
                let step = self.change_step();
                ctx.fetch(
                    first.cluster,
                    plan::collection_path(&first),
                    None,
                    Deliver::OnStack,
                    move |me: &mut Self, r, ctx| {
                        if me.change_steps == step {
                            default_class(first, r, ctx);
                        }
                    },
                );
            }
            Action::Expose | Action::EditPorts | Action::EditRules => {
                // The object, for its ports, selector, or rules.
                let step = self.change_step();
                ctx.fetch(
                    first.cluster,
                    first.path(),
                    None,
                    Deliver::OnStack,
                    move |me: &mut Self, r, ctx| {
                        if me.change_steps != step {
                            return;
                        }
                        let Some(object) = ctx.checked(&first, r) else {
                            return;
                        };
                        if action == Action::Expose {
                            return me.expose_form(first, object, None, ctx);
                        }
                        let (title, label, now) = if action == Action::EditPorts {
                            ("Ports", expose::FIELDS[2], expose::ports_line(&object))
                        } else {
                            (
                                "Rules",
                                "rules (HOST/PATH=SERVICE:PORT …)",
                                expose::rules_line(&object),
                            )
                        };
                        let title = format!("{title} of {}", what(&targets));
                        me.form(
                            action,
                            targets,
                            vec![],
                            title,
                            vec![(label, now, false)],
                            ctx,
                        );
                    },
                );
            }
            Action::ReclaimPolicy => {
                let now = self.cell(ctx, &first, "reclaim policy").unwrap_or_default();
                let title = format!("Reclaim policy of {}", what(&targets));
                let fields = vec![("policy (Retain or Delete)", now, false)];
                self.form(action, targets, vec![], title, fields, ctx);
            }
            Action::Resize => {
                // The claim, for its size and class; then the class, which must allow it.
                let step = self.change_step();
                ctx.fetch(
                    first.cluster,
                    first.path(),
                    None,
                    Deliver::OnStack,
                    move |me: &mut Self, r, ctx| {
                        if me.change_steps == step {
                            me.resize_claim(targets, r, ctx);
                        }
                    },
                );
            }
            Action::SetImage => {
                // The first target, for its containers.
                let step = self.change_step();
                ctx.fetch(
                    first.cluster,
                    first.path(),
                    None,
                    Deliver::OnStack,
                    move |me: &mut Self, r, ctx| {
                        if me.change_steps == step {
                            me.images_form(targets, r, ctx);
                        }
                    },
                );
            }
            Action::Scale => {
                let current = self
                    .cell(ctx, &first, "READY")
                    .and_then(|r| r.split_once('/').map(|(_, d)| d.to_string()))
                    .or_else(|| self.cell(ctx, &first, "DESIRED"))
                    .unwrap_or_default();
                let title = format!("Scale {}", what(&targets));
                self.form(
                    action,
                    targets,
                    vec![],
                    title,
                    vec![("replicas", current, false)],
                    ctx,
                );
            }
            Action::Labels | Action::Annotations => {
                let title = format!(
                    "{} of {} (key=value sets, key- removes)",
                    if action == Action::Labels {
                        "Labels"
                    } else {
                        "Annotations"
                    },
                    what(&targets)
                );
                self.form(
                    action,
                    targets,
                    vec![],
                    title,
                    vec![("changes", String::new(), false)],
                    ctx,
                );
            }
            Action::Taints => {
                let title = format!(
                    "Taints of {} (key=value:NoSchedule adds, key- removes)",
                    what(&targets)
                );
                self.form(
                    action,
                    targets,
                    vec![],
                    title,
                    vec![("taints", String::new(), false)],
                    ctx,
                );
            }
            Action::Drain => {
                let title = format!("Drain {}", what(&targets));
                let fields = vec![
                    ("timeout (s)", "120".to_string(), false),
                    ("grace (s, empty: each pod's own)", String::new(), false),
                    (
                        "evict pods with emptyDir (data is lost) y/n",
                        "n".into(),
                        false,
                    ),
                    ("evict unmanaged pods too (force) y/n", "n".into(), false),
                ];
                self.form(action, targets, vec![], title, fields, ctx);
            }
            Action::Strategy => {
                let title = format!("Update strategy of {} (empty: unchanged)", what(&targets));
                let fields = match first.kind.as_str() {
                    "StatefulSet" => vec![
                        ("partition", String::new(), false),
                        ("maxUnavailable", String::new(), false),
                    ],
                    _ => vec![
                        ("maxSurge", String::new(), false),
                        ("maxUnavailable", String::new(), false),
                    ],
                };
                self.form(action, targets, vec![], title, fields, ctx);
            }
            Action::Autoscale => {
                let min = self.cell(ctx, &first, "MINPODS").unwrap_or_default();
                let max = self.cell(ctx, &first, "MAXPODS").unwrap_or_default();
                let title = format!("Autoscale {}", what(&targets));
                let fields = vec![
                    ("min replicas", min, false),
                    ("max replicas", max, false),
                    ("CPU target % (empty: unchanged)", String::new(), false),
                ];
                self.form(action, targets, vec![], title, fields, ctx);
            }
            _ => {}
        }
    }

    /// The cell of `column` in `obj`'s row, as the list shows it.
    fn cell(&self, ctx: &Ctx, obj: &ObjectRef, column: &str) -> Option<String> {
        let row = ctx.store.lookup(obj)?;
        let sheet = ctx.store.sheet(obj.cluster, &obj.res)?;
        let i = sheet
            .columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(column))?;
        row.cells.get(i).cloned()
    }

    /// A new step of a change, which drops the answer to any step before.
    fn change_step(&mut self) -> u64 {
        self.change_steps += 1;
        self.change_steps
    }

    /// Asks for what `action` needs; the change goes once the form is submitted.
    /// `containers`: the containers and their images of a set-image form, in field order.
    fn form(
        &mut self,
        action: Action,
        targets: Vec<ObjectRef>,
        containers: Vec<(String, String)>,
        title: String,
        fields: Vec<(&str, String, bool)>,
        ctx: &mut Ctx,
    ) {
        let step = self.change_step();
        let fields = fields
            .iter()
            .map(|(l, v, s)| (*l, v.as_str(), *s))
            .collect();
        ctx.modal(Modal::form(title, fields), move |me: &mut Self, r, ctx| {
            if me.change_steps == step
                && let ModalResult::Submitted(values) = r
            {
                match op_from_form(&action, &values, &containers, &targets) {
                    Ok(op) => submit(op, targets, ctx),
                    Err(e) => ctx.error(e),
                }
            }
        });
    }

    fn menu(&mut self, ctx: &mut Ctx) {
        let Some(obj) = self.target(ctx) else {
            return;
        };
        let items: Vec<(Action, Option<String>)> = catalog::entries(&obj)
            .into_iter()
            .map(|e| {
                let why = e
                    .checks
                    .iter()
                    .find_map(|c| ctx.store.clusters.get(obj.cluster)?.denied(c));
                (e.action, why)
            })
            .collect();
        let keymap = &ctx.config.keymap;
        let labels = catalog::entries(&obj)
            .iter()
            .zip(&items)
            .map(|(e, (_, why))| {
                let key = keymap
                    .key_for(super::MODE, &e.action)
                    .map(|k| format!(" <{k}>"))
                    .unwrap_or_default();
                match why {
                    Some(why) => format!("✗ {}{key} — not allowed: {why}", e.label),
                    None => format!("  {}{key}", e.label),
                }
            })
            .collect();
        let step = self.change_step();
        ctx.modal(
            Modal::pick(format!("Actions: {obj}"), labels),
            move |me: &mut Self, r, ctx| {
                if me.change_steps == step
                    && let ModalResult::Picked(i) = r
                {
                    me.picked(obj, items, i, ctx);
                }
            },
        );
    }

    /// The user picked item `i` of the actions menu on `obj` (`items`: each action, and why
    /// it is not allowed if it is not).
    fn picked(
        &mut self,
        obj: ObjectRef,
        items: Vec<(Action, Option<String>)>,
        i: usize,
        ctx: &mut Ctx,
    ) {
        let Some((action, why)) = items.into_iter().nth(i) else {
            return;
        };
        match why {
            Some(why) => ctx.error(format!("not allowed on {}: {why}", obj.context)),
            None if action == Action::Edit => ctx.push(Box::new(
                crate::screens::text::TextScreen::object(crate::screens::text::TextKind::Yaml, obj)
                    .editing(true),
            )),
            None if action == Action::Debug => self.debug(ctx),
            None if action == Action::Shell => self.shell(false, ctx),
            None => self.start(action, ctx),
        }
    }

    /// The first target, fetched: the set-image form, one field per container.
    fn images_form(
        &mut self,
        targets: Vec<ObjectRef>,
        result: Result<Fetched, ApiError>,
        ctx: &mut Ctx,
    ) {
        let Some(first) = targets.first() else {
            return;
        };
        let Some(object) = ctx.checked(first, result) else {
            return;
        };
        let containers = plan::containers(&first.kind, &object);
        if containers.is_empty() {
            return ctx.error(format!("{} has no containers", first.short()));
        }
        let fields = containers
            .iter()
            .map(|(n, image)| (n.as_str(), image.clone(), false))
            .collect();
        let title = format!("Images of {}", what(&targets));
        self.form(
            Action::SetImage,
            targets,
            containers.clone(),
            title,
            fields,
            ctx,
        );
    }

    /// The expose form for `object` (again, with what was wrong, when a value was refused);
    /// what it describes opens in `:create`'s review: a dry run, then Enter creates it.
    fn expose_form(
        &mut self,
        obj: ObjectRef,
        object: Value,
        again: Option<(Vec<String>, String)>,
        ctx: &mut Ctx,
    ) {
        let Some(selector) = expose::selector_of(&object) else {
            return ctx.error(format!("{} has no selector to expose", obj.short()));
        };
        let (values, error) = match again {
            Some((v, e)) => (v, Some(e)),
            None => (expose::defaults(&obj.name, &object), None),
        };
        let rows: Vec<(&str, &str, bool)> = expose::FIELDS
            .iter()
            .zip(&values)
            .map(|(l, v)| (*l, v.as_str(), false))
            .collect();
        let mut modal = Modal::form(format!("Expose {} on {}", obj.short(), obj.context), rows);
        if let Modal::Form(f) = &mut modal {
            f.error = error;
        }
        let step = self.change_step();
        ctx.modal(modal, move |me: &mut Self, r, ctx| {
            if me.change_steps != step {
                return;
            }
            let ModalResult::Submitted(values) = r else {
                return;
            };
            match expose::expose(&obj.namespace, &selector, &values) {
                Ok(docs) => {
                    let title = format!("expose {} on {}", obj.short(), obj.context);
                    let cluster = (obj.cluster, obj.context.clone());
                    let screen = crate::screens::create::of_objects(
                        title,
                        cluster,
                        obj.namespace.clone(),
                        docs,
                    );
                    ctx.push(Box::new(screen));
                }
                Err(e) => me.expose_form(obj, object, Some((values, e)), ctx),
            }
        });
    }

    /// The first claim to resize, fetched: its class is read, and the form opens when the
    /// class allows expansion.
    fn resize_claim(
        &mut self,
        targets: Vec<ObjectRef>,
        result: Result<Fetched, ApiError>,
        ctx: &mut Ctx,
    ) {
        let Some(first) = targets.first().cloned() else {
            return;
        };
        let Some(claim) = ctx.checked(&first, result) else {
            return;
        };
        let text = |p: &str| {
            claim
                .pointer(p)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let size = text("/spec/resources/requests/storage");
        let class = text("/spec/storageClassName");
        if class.is_empty() {
            return ctx.error(format!(
                "{} names no storage class: only a class with allowVolumeExpansion expands a claim",
                first.short()
            ));
        }
        let step = self.change_step();
        let path = format!("/apis/storage.k8s.io/v1/storageclasses/{class}");
        ctx.fetch(
            first.cluster,
            path,
            None,
            Deliver::OnStack,
            move |me: &mut Self, r: Result<Fetched, ApiError>, ctx| {
                if me.change_steps != step {
                    return;
                }
                let allows = match r {
                    Ok(f) => f.object.get("allowVolumeExpansion") == Some(&Value::Bool(true)),
                    Err(e) => return ctx.error(format!("storage class {class}: {e}")),
                };
                if !allows {
                    return ctx.error(format!(
                        "storage class {class} does not allow expansion (allowVolumeExpansion is not true)"
                    ));
                }
                let title = format!("Expand {} (now {size})", what(&targets));
                let fields = vec![("size", size, false)];
                me.form(Action::Resize, targets, vec![], title, fields, ctx);
            },
        );
    }

    /// Asks what the identity may do to the selection, once per selected object, so the
    /// menu can say which actions are not allowed before the user tries.
    pub(super) fn ask_access(&mut self, ctx: &mut Ctx) {
        let Some(obj) = &self.selected else {
            return;
        };
        let key = (obj.cluster, obj.uid.clone());
        // Asked again when the answers were dropped (a new identity) or the connection was
        // not up yet when it was asked.
        let known = ctx
            .store
            .clusters
            .get(obj.cluster)
            .is_some_and(|s| s.access.contains_key(&catalog::probe(obj)));
        if known && self.asked.as_ref() == Some(&key) {
            return;
        }
        let checks = catalog::entries(obj)
            .into_iter()
            .flat_map(|e| e.checks)
            .collect();
        ctx.request(Request::Access {
            cluster: obj.cluster,
            checks,
        });
        self.asked = Some(key);
    }
}

fn op_from_form(
    action: &Action,
    values: &[String],
    containers: &[(String, String)],
    targets: &[ObjectRef],
) -> Result<Op, String> {
    let v = |i: usize| values.get(i).map(String::as_str).unwrap_or("");
    Ok(match action {
        Action::Scale => Op::Scale {
            replicas: number(v(0), "replicas")?.ok_or("replicas: type a number")?,
        },
        Action::Labels => parse_meta(MetaField::Labels, v(0))?,
        Action::Annotations => parse_meta(MetaField::Annotations, v(0))?,
        Action::Taints => parse_taints(v(0))?,
        Action::Drain => Op::Drain(DrainOpts {
            timeout_secs: number(v(0), "timeout")?.unwrap_or(120).max(1) as u64,
            grace: number(v(1), "grace")?,
            delete_emptydir_data: yes(v(2)),
            force: yes(v(3)),
        }),
        Action::Strategy => {
            if targets.first().is_some_and(|t| t.kind == "StatefulSet") {
                Op::Strategy {
                    max_surge: None,
                    partition: number(v(0), "partition")?,
                    max_unavailable: optional(v(1)),
                }
            } else {
                Op::Strategy {
                    max_surge: optional(v(0)),
                    max_unavailable: optional(v(1)),
                    partition: None,
                }
            }
        }
        Action::Autoscale => Op::Autoscale {
            min: number(v(0), "min replicas")?,
            max: number(v(1), "max replicas")?.ok_or("max replicas: type a number")?,
            cpu_percent: number(v(2), "CPU target")?,
        },
        Action::EditPorts => Op::SetSpec {
            field: "ports",
            value: Value::Array(expose::service_ports(v(0)).map_err(|e| format!("ports: {e}"))?),
        },
        Action::EditRules => Op::SetSpec {
            field: "rules",
            value: Value::Array(expose::ingress_rules(v(0)).map_err(|e| format!("rules: {e}"))?),
        },
        Action::ReclaimPolicy => {
            let policy = match v(0).trim().to_ascii_lowercase().as_str() {
                "retain" => "Retain",
                "delete" => "Delete",
                other => return Err(format!("policy: {other:?} is not Retain or Delete")),
            };
            Op::ReclaimPolicy(policy.into())
        }
        Action::Resize => {
            let size = v(0).trim();
            if Quantity::parse(size).is_none_or(|q| q.is_negative() || q.is_zero()) {
                return Err(format!("size: {size:?} is not a quantity (e.g. 20Gi)"));
            }
            Op::Resize(size.into())
        }
        Action::SetImage => {
            // Only what the user changed: an untouched field must not put back an image
            // someone else set meanwhile.
            let images: Vec<(String, String)> = containers
                .iter()
                .zip(values)
                .filter(|((_, was), image)| !image.trim().is_empty() && image.trim() != was)
                .map(|((c, _), image)| (c.clone(), image.trim().to_string()))
                .collect();
            if images.is_empty() {
                return Err("no image changed".into());
            }
            Op::SetImage(images)
        }
        other => return Err(format!("{other:?} takes no form")),
    })
}

/// Every StorageClass fetched: the selected one becomes the default and the default(s) before
/// it stop being one, in one batch; when it is the default already, it stops being one.
fn default_class(selected: ObjectRef, result: Result<Fetched, ApiError>, ctx: &mut Ctx) {
    let list = match result {
        Ok(f) => f.object,
        Err(e) => return ctx.error(format!("storage classes on {}: {e}", selected.context)),
    };
    let is_default = |class: &Value| {
        [plan::DEFAULT_CLASS, plan::DEFAULT_CLASS_BETA]
            .iter()
            .any(|a| {
                class
                    .pointer("/metadata/annotations")
                    .and_then(|m| m.get(*a))
                    .and_then(Value::as_str)
                    == Some("true")
            })
    };
    let classes = list
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let field = |c: &Value, p: &str| {
        c.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let Some(chosen) = classes
        .iter()
        .find(|c| field(c, "/metadata/uid") == selected.uid)
    else {
        return ctx.error(format!("{selected} no longer exists"));
    };
    let (class, mut targets) = if is_default(chosen) {
        (None, Vec::new())
    } else {
        (Some(selected.name.clone()), vec![selected.clone()])
    };
    for c in classes.iter().filter(|c| is_default(c)) {
        targets.push(ObjectRef {
            name: field(c, "/metadata/name"),
            uid: field(c, "/metadata/uid"),
            ..selected.clone()
        });
    }
    submit(Op::DefaultClass { class }, targets, ctx);
}

fn submit(op: Op, targets: Vec<ObjectRef>, ctx: &mut Ctx) {
    let mutation = Mutation {
        op,
        targets,
        dry_run: false,
    };
    // The app says how the change went, and the list shows it as its watch sees it.
    ctx.mutate(mutation, |_: &mut TableScreen, _, _| {});
}

/// "deployment/web" or "4 objects".
fn what(targets: &[ObjectRef]) -> String {
    match targets {
        [one] => format!("{} on {}", one.short(), one.context),
        many => format!("{} objects", many.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_and_taint_syntax_is_kubectl_s() {
        let op = parse_meta(MetaField::Labels, "a=1 b= c-").expect("parses");
        assert_eq!(
            op,
            Op::Meta {
                field: MetaField::Labels,
                set: vec![("a".into(), "1".into()), ("b".into(), "".into())],
                remove: vec!["c".into()],
            }
        );
        assert!(parse_meta(MetaField::Labels, "=x").is_err());
        assert!(parse_meta(MetaField::Labels, "word").is_err());
        assert!(parse_meta(MetaField::Labels, "  ").is_err());
        let op = parse_taints("gpu=true:NoSchedule old- spot:NoExecute").expect("parses");
        let Op::Taint { add, remove } = op else {
            panic!("a taint op");
        };
        assert_eq!(add.len(), 2);
        assert_eq!((add[1].key.as_str(), add[1].value.as_str()), ("spot", ""));
        assert_eq!(remove, vec!["old".to_string()]);
        assert!(parse_taints("novalue").is_err());
    }
}
