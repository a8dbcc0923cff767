//! What changed before a line's problem started: the reads `triage::changed::SOURCES` ask
//! for, made for the highlighted line only, and the verdict; and the same object where it is
//! healthy on another cluster.

use super::{Line, TriageScreen};
use crate::model::{ApiError, ClusterId, Fetched, ResKey};
use crate::ops::audit::{self, Record};
use crate::screens::diff::{ObjectDiff, Side};
use crate::screens::table::TableScreen;
use crate::screens::{Ctx, Deliver};
use crate::triage::Problem;
use crate::triage::changed::{self, Change, Open, Read, Subject};
use serde_json::Value;
use std::sync::Arc;

/// What changed before a line's problem started, as read from its cluster.
pub(super) struct Look {
    /// The start it was read for: a new start looks again.
    pub(super) start: i64,
    /// When it was asked (a failed read is asked again after `RELOOK`).
    pub(super) asked: i64,
    pub(super) object: Option<Value>,
    pub(super) nodes: Vec<String>,
    pub(super) audit: Vec<Record>,
    /// The autoscalers whose target the object is.
    pub(super) autoscalers: Vec<String>,
    pub(super) read: Read,
    pub(super) pending: usize,
    pub(super) found: Option<Result<Vec<Change>, String>>,
    /// The same object on clusters where it has no problem, as read there, and how many of
    /// those reads are still out.
    pub(super) healthy: Vec<(ClusterId, String, Value)>,
    pub(super) others: usize,
    /// How it differs on each of them (`judge`).
    pub(super) elsewhere: Vec<Elsewhere>,
}

/// The object where it is healthy: how this one differs from it.
pub(super) struct Elsewhere {
    pub(super) cluster: ClusterId,
    pub(super) context: String,
    pub(super) path: String,
    /// From there to here, in words (`template_changes`).
    pub(super) what: String,
}

/// How long a line stays under the cursor before what changed before it is read.
const REST: std::time::Duration = std::time::Duration::from_millis(400);

/// How soon a look whose reads failed is tried again.
const RELOOK: i64 = 30;

impl TriageScreen {
    /// Starts reading what changed before the current line's problem, unless it was read
    /// for this start already.
    pub(super) fn look(&mut self, ctx: &mut Ctx) {
        let Some(line) = self.current() else {
            return;
        };
        let p = Arc::clone(&line.problem);
        let start = line.start;
        let Some(path) = changed::subject_path(&p) else {
            return;
        };
        let id = line.id;
        if let Some(k) = self.looks.get(&id)
            && k.start == start
            && (k.pending > 0 || matches!(k.found, Some(Ok(_))) || ctx.now - k.asked < RELOOK)
        {
            return;
        }
        // Only a line that stays under the cursor: scrolling past rows, or a list reordering
        // under churn, reads nothing.
        match self.resting {
            Some((at, since)) if at == id => {
                if since.elapsed() < REST {
                    return;
                }
            }
            _ => {
                self.resting = Some((id, std::time::Instant::now()));
                return;
            }
        }
        // The nodes the row's pods run on, from the pod list already at hand.
        let mut nodes: Vec<String> = Vec::new();
        let pods = ResKey::core("pods");
        if let Some(sheet) = ctx.store.sheet(p.cluster, &pods) {
            for pod in line.pods.iter().chain(std::iter::once(&p)) {
                if let Some((_, row)) = sheet.find(&pod.uid)
                    && let Some(node) = crate::triage::rules::cell(&sheet.columns, row, "node")
                    && !nodes.iter().any(|n| n == node)
                {
                    nodes.push(node.to_string());
                }
            }
        }
        // The autoscalers targeting it, from their REFERENCE cells (`Deployment/web`).
        let hpas = ResKey::new("autoscaling", "horizontalpodautoscalers");
        let (kind, name) = p.object.split_once('/').unwrap_or(("", ""));
        let autoscalers: Vec<String> = ctx
            .store
            .sheet(p.cluster, &hpas)
            .map(|sheet| {
                sheet
                    .rows()
                    .filter(|(_, r)| r.namespace == p.namespace)
                    .filter(|(_, r)| {
                        crate::triage::rules::cell(&sheet.columns, r, "reference")
                            .and_then(|c| c.split_once('/'))
                            .is_some_and(|(k, n)| k.eq_ignore_ascii_case(kind) && n == name)
                    })
                    .map(|(_, r)| r.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        // The same workload on the other live clusters where triage finds nothing wrong with it
        // (a pod's name is its cluster's own).
        let workload = !p.object.starts_with("pod/");
        let healthy: Vec<ClusterId> = ctx
            .store
            .clusters
            .iter()
            .filter(|c| workload && c.connected && c.id != p.cluster)
            .filter(|c| {
                ctx.store.sheet(c.id, &p.res).is_some_and(|sh| {
                    sh.rows()
                        .any(|(_, r)| r.namespace == p.namespace && r.name == p.name)
                })
            })
            .filter(|c| {
                !self.engine.problems.iter().any(|q| {
                    q.cluster == c.id && q.namespace == p.namespace && q.object == p.object
                })
            })
            .map(|c| c.id)
            .collect();
        // A log that cannot be read has nothing to say here; `:audit` says why.
        let audit = audit::read(&audit::path_for(&ctx.config.settings)).unwrap_or_default();
        self.looks.insert(
            id,
            Look {
                start,
                asked: ctx.now,
                object: None,
                nodes,
                audit,
                autoscalers,
                read: Read::new(),
                pending: 1,
                found: None,
                healthy: Vec::new(),
                others: healthy.len(),
                elsewhere: Vec::new(),
            },
        );
        for cluster in healthy {
            let path = path.clone();
            ctx.fetch(
                cluster,
                path.clone(),
                None,
                Deliver::OnStack,
                move |me: &mut Self, r: Result<Fetched, ApiError>, ctx| {
                    let Some(look) = me.looks.get_mut(&id) else {
                        return;
                    };
                    look.others = look.others.saturating_sub(1);
                    if let (Ok(f), Some(slot)) = (r, ctx.store.clusters.get(cluster)) {
                        look.healthy.push((cluster, slot.context.clone(), f.object));
                    }
                    me.judge(id);
                },
            );
        }
        ctx.fetch(
            p.cluster,
            path,
            None,
            Deliver::OnStack,
            move |me: &mut Self, r: Result<Fetched, ApiError>, ctx| me.object_read(id, p, r, ctx),
        );
    }

    /// The problem's object came: read what the sources need.
    fn object_read(
        &mut self,
        id: u64,
        p: Arc<Problem>,
        r: Result<Fetched, ApiError>,
        ctx: &mut Ctx,
    ) {
        let Some(look) = self.looks.get_mut(&id) else {
            return;
        };
        look.pending = 0;
        let object = match r {
            Ok(f) => f.object,
            Err(e) => {
                look.found = Some(Err(format!("cannot read {}: {}", p.object, e.message)));
                return;
            }
        };
        let (kind, name) = p.object.split_once('/').unwrap_or(("", &p.object));
        let paths = changed::reads(&Subject {
            context: &p.context,
            namespace: &p.namespace,
            kind,
            name,
            object: &object,
            nodes: &look.nodes,
            audit: &look.audit,
            autoscalers: &look.autoscalers,
        });
        look.object = Some(object);
        look.pending = paths.len();
        for path in paths {
            let at = path.clone();
            ctx.fetch(
                p.cluster,
                path,
                None,
                Deliver::OnStack,
                move |me: &mut Self, r: Result<Fetched, ApiError>, _ctx| {
                    me.part_read(id, at, r.ok().map(|f| f.object))
                },
            );
        }
        self.judge(id);
    }

    /// One source's read came (`None`: it failed, and that source finds nothing).
    fn part_read(&mut self, id: u64, path: String, value: Option<Value>) {
        let Some(look) = self.looks.get_mut(&id) else {
            return;
        };
        if let Some(v) = value {
            look.read.insert(path, changed::keep(v));
        }
        look.pending = look.pending.saturating_sub(1);
        self.judge(id);
    }

    /// Once every read answered: the changes before the line's start.
    fn judge(&mut self, id: u64) {
        let Some(line) = self.lines.iter().find(|l| l.id == id) else {
            return;
        };
        let Some(look) = self.looks.get_mut(&id) else {
            return;
        };
        let Some(object) = &look.object else {
            return;
        };
        if look.pending > 0 || look.others > 0 {
            return;
        }
        let p = &line.problem;
        let (kind, name) = p.object.split_once('/').unwrap_or(("", &p.object));
        let subject = Subject {
            context: &p.context,
            namespace: &p.namespace,
            kind,
            name,
            object,
            nodes: &look.nodes,
            audit: &look.audit,
            autoscalers: &look.autoscalers,
        };
        look.found = Some(Ok(changed::before(
            &subject,
            &look.read,
            look.start,
            self.window,
        )));
        let template = |v: &Value| v.pointer("/spec/template").cloned().unwrap_or_default();
        look.elsewhere =
            look.healthy
                .drain(..)
                .map(|(cluster, context, there)| Elsewhere {
                    cluster,
                    context,
                    path: changed::subject_path(p).unwrap_or_default(),
                    what: match template(&there) == template(object) {
                        true => "the same pod template".into(),
                        false => changed::template_changes(&template(&there), &template(object))
                            .join(", "),
                    },
                })
                .collect();
        // Only the verdict is kept: the objects read may be large, and a Secret's metadata
        // is still more than the screen needs.
        look.read.clear();
        look.object = None;
        look.audit.clear();
        self.lay_out();
    }
}

/// A change: two templates side by side, or the object changed in its list.
pub(super) fn open_change(c: &Change, line: &Line, ctx: &mut Ctx) {
    match &c.open {
        Open::Templates([(a, before), (b, after)]) => {
            let side = |name: &str, text: &str| {
                Side::lines(name, text.lines().map(crate::text::clean).collect())
            };
            let what = format!("{} pod template", line.problem.object);
            ctx.push(Box::new(ObjectDiff::new(
                &what,
                side(a, before),
                side(b, after),
            )));
        }
        Open::Object {
            group,
            plural,
            namespace,
            name,
        } => ctx.push(Box::new(TableScreen::at_object(
            ResKey::new(group, plural),
            ctx,
            line.problem.cluster,
            namespace,
            name,
            None,
        ))),
        Open::Nothing => ctx.info(crate::text::clean(&c.what)),
    }
}
