//! The app's half of the change path: read-only mode and permissions decide each target,
//! a confirmation names what will change where (typing the context's name on protected
//! contexts), then one `Effect::Mutate` carries the batch out and audits every target —
//! those refused or denied too. Results come back per target and end in one line.

use super::{App, Layer};
use crate::config::Settings;
use crate::modal::{Modal, ModalResult};
use crate::model::{ClusterId, ObjectRef};
use crate::ops::{catalog, plan};
use crate::protocol::Effect;
use crate::protocol::op::{Access, Check, Decision, Mutation, Op, Outcome, Target};
use crate::screens::{Answer, FlashLevel, Mutated, Reply};

/// The owner of layers the app opens itself (confirmations, progress of a batch).
pub(super) const APP_LAYER: u64 = u64::MAX;

/// Which contexts accept changes, and which ask for their name first. Fixed for the session:
/// nothing in the app turns read-only mode off.
#[derive(Debug, Default)]
pub struct Policy {
    all_read_only: bool,
    read_only: Vec<ContextPattern>,
    protected: Vec<ContextPattern>,
}

/// A context named in the settings: its name literally, then as a glob. `prod[1]` is a real
/// context name (the glob alone would match `prod1` only), and a name that is not a valid glob
/// is still itself.
#[derive(Debug)]
struct ContextPattern {
    name: String,
    glob: Option<glob::Pattern>,
}

impl ContextPattern {
    fn matches(&self, context: &str) -> bool {
        self.name == context || self.glob.as_ref().is_some_and(|g| g.matches(context))
    }
}

fn patterns<'a>(names: impl Iterator<Item = &'a String>) -> Vec<ContextPattern> {
    names
        .map(|n| ContextPattern {
            name: n.clone(),
            glob: glob::Pattern::new(n).ok(),
        })
        .collect()
}

impl Policy {
    pub fn from_settings(s: &Settings) -> Policy {
        let fleet_members = s
            .read_only_fleets
            .iter()
            .filter_map(|f| s.fleets.get(f))
            .flatten();
        Policy {
            all_read_only: s.read_only,
            read_only: patterns(s.read_only_contexts.iter().chain(fleet_members)),
            protected: patterns(s.protected_contexts.iter()),
        }
    }

    /// `--read-only`: every context, for the rest of the session.
    pub fn make_read_only(&mut self) {
        self.all_read_only = true;
    }

    pub fn all_read_only(&self) -> bool {
        self.all_read_only
    }

    pub fn read_only(&self, context: &str) -> bool {
        self.all_read_only || self.read_only.iter().any(|p| p.matches(context))
    }

    pub fn protected(&self, context: &str) -> bool {
        self.protected.iter().any(|p| p.matches(context))
    }
}

/// A confirmation waiting for the user.
pub(super) struct Confirming {
    screen: u64,
    reply: Reply,
    mutation: Mutation,
    decisions: Vec<(ObjectRef, Decision)>,
}

/// A batch on its way: who asked, and what came back so far.
pub(super) struct Batch {
    screen: u64,
    /// Out while an answer is being delivered.
    reply: Option<Reply>,
    verb: &'static str,
    dry_run: bool,
    targets: Vec<ObjectRef>,
    done: usize,
    ok: Vec<String>,
    failed: Vec<String>,
    /// Targets never sent: refused by read-only mode or not allowed.
    held: usize,
    progress: bool,
}

impl App {
    pub(super) fn decide(&self, op: &Op, obj: &ObjectRef) -> Decision {
        if self.policy.read_only(&obj.context) {
            return Decision::Refused(format!(
                "read-only mode: {} accepts no changes in this session",
                obj.context
            ));
        }
        // A cluster known through an index is acted on through its own context only.
        let via = self
            .store
            .clusters
            .get(obj.cluster)
            .and_then(|s| s.via.as_ref());
        if let Some(hub) = via
            && !self.contexts.iter().any(|c| c.name == obj.context)
        {
            return Decision::Refused(crate::model::indexed_only(&obj.context, hub));
        }
        for check in catalog::checks_of(op, obj) {
            if let Some(why) = self
                .store
                .clusters
                .get(obj.cluster)
                .and_then(|s| s.denied(&check))
            {
                return Decision::Denied(why);
            }
        }
        Decision::Go
    }

    pub(super) fn mutate(&mut self, from: u64, reply: Reply, mutation: Mutation) {
        if mutation.targets.is_empty() {
            return self.flash_error("nothing selected to change");
        }
        let decisions: Vec<(ObjectRef, Decision)> = mutation
            .targets
            .iter()
            .map(|t| (t.clone(), self.decide(&mutation.op, t)))
            .collect();
        let any_go = decisions.iter().any(|(_, d)| *d == Decision::Go);
        // A dry run changes nothing, and nothing is sent when no target may be changed.
        if mutation.dry_run || !any_go {
            return self.send(from, reply, mutation, decisions);
        }
        let modal = confirmation(&mutation, &decisions, &self.policy);
        let id = self.next_id();
        self.confirming.insert(
            id,
            Confirming {
                screen: from,
                reply,
                mutation,
                decisions,
            },
        );
        self.layers.push(Layer {
            modal,
            owner: APP_LAYER,
            id,
            reply: None,
        });
    }

    fn send(
        &mut self,
        screen: u64,
        reply: Reply,
        mutation: Mutation,
        decisions: Vec<(ObjectRef, Decision)>,
    ) {
        let ticket = self.next_id();
        let verb = plan::verb(&mutation.op);
        // A Helm plan screen shows each release's result itself.
        let progress = !mutation.dry_run
            && match mutation.op {
                Op::Drain(_) => true,
                Op::Helm { .. } | Op::Restore { .. } => false,
                _ => decisions.len() > 1,
            };
        if progress {
            let title = format!("{verb}: {} objects", decisions.len());
            self.layers.push(Layer {
                modal: Modal::progress(title, decisions.len()),
                owner: APP_LAYER,
                id: ticket,
                reply: None,
            });
        }
        self.batches.insert(
            ticket,
            Batch {
                screen,
                reply: Some(reply),
                verb,
                dry_run: mutation.dry_run,
                targets: mutation.targets,
                done: 0,
                ok: Vec::new(),
                failed: Vec::new(),
                held: decisions.iter().filter(|(_, d)| *d != Decision::Go).count(),
                progress,
            },
        );
        let targets = self.targets(decisions);
        self.effects.push(Effect::Mutate {
            ticket,
            op: mutation.op,
            dry_run: mutation.dry_run,
            targets,
        });
    }

    pub(super) fn targets(&self, decisions: Vec<(ObjectRef, Decision)>) -> Vec<Target> {
        decisions
            .into_iter()
            .map(|(obj, decision)| Target {
                identity: self
                    .store
                    .clusters
                    .get(obj.cluster)
                    .and_then(|s| s.identity.clone()),
                obj,
                decision,
            })
            .collect()
    }

    /// A layer the app opened was answered.
    pub(super) fn app_modal(&mut self, tag: u64, result: ModalResult) {
        if self.session_confirmed(tag, result == ModalResult::Confirmed) {
            return;
        }
        if let Some(c) = self.confirming.remove(&tag) {
            if result == ModalResult::Confirmed {
                self.send(c.screen, c.reply, c.mutation, c.decisions);
            } else {
                self.flash("not changed".into(), FlashLevel::Info);
                // The screen that asked learns nothing will come back.
                let mut reply = c.reply;
                self.with_screen(c.screen, |s, ctx| {
                    reply.answer(s, Answer::Mutated(Mutated::Cancelled), ctx)
                });
            }
        }
        // A progress layer closed: the batch goes on; its result still ends in one line.
    }

    pub(super) fn mutated(&mut self, ticket: u64, index: usize, result: Result<Outcome, String>) {
        // A log that refused an intent may have been found cut or replaced: the header says so.
        if let Err(e) = &result
            && e.contains("the audit log")
            && e.contains("cannot be written")
        {
            self.effects.push(Effect::ReadAudit);
        }
        if self.session_intent(ticket, result.clone()) {
            return;
        }
        let Some(b) = self.batches.get_mut(&ticket) else {
            return;
        };
        b.done += 1;
        let what = b
            .targets
            .get(index)
            .map(|t| t.to_string())
            .unwrap_or_default();
        let line = match &result {
            Ok(o) => {
                b.ok.push(format!("{what}: {}", o.summary));
                format!("✓ {what}: {}", o.summary)
            }
            Err(e) => {
                b.failed.push(format!("{what}: {e}"));
                format!("✗ {what}: {e}")
            }
        };
        let (screen, finished) = (b.screen, b.done >= b.targets.len());
        let reply = b.reply.take();
        if b.progress {
            self.progress_layer(ticket, |p| p.advance(line));
        }
        if finished && let Some(b) = self.batches.remove(&ticket) {
            self.batch_done(ticket, b);
        }
        let Some(mut reply) = reply else {
            return;
        };
        let answer = Answer::Mutated(Mutated::Target { index, result });
        self.with_screen(screen, |s, ctx| reply.answer(s, answer, ctx));
        if let Some(b) = self.batches.get_mut(&ticket) {
            b.reply = Some(reply);
        }
    }

    pub(super) fn mutate_progress(&mut self, ticket: u64, line: String) {
        self.progress_layer(ticket, |p| p.lines.push(line));
    }

    fn progress_layer(&mut self, ticket: u64, f: impl FnOnce(&mut crate::modal::Progress)) {
        if let Some(Layer {
            modal: Modal::Progress(p),
            ..
        }) = self
            .layers
            .iter_mut()
            .find(|l| l.owner == APP_LAYER && l.id == ticket)
        {
            f(p);
        }
    }

    fn batch_done(&mut self, ticket: u64, b: Batch) {
        let total = b.targets.len();
        let verb = if b.dry_run {
            format!("{} (dry run)", b.verb)
        } else {
            b.verb.to_string()
        };
        // Nothing was sent for held targets: they were refused, not failed.
        let failed = if b.held == total { "refused" } else { "failed" };
        let (text, level) = match (b.ok.len(), b.failed.first()) {
            (1, None) => (b.ok[0].clone(), FlashLevel::Info),
            (n, None) => (format!("{verb}: {n} objects done"), FlashLevel::Info),
            (_, Some(first)) if total == 1 => {
                (format!("{verb} {failed}: {first}"), FlashLevel::Error)
            }
            (_, Some(first)) => (
                format!("{verb}: {} of {total} {failed} — {first}", b.failed.len()),
                FlashLevel::Error,
            ),
        };
        if b.progress {
            let last = text.clone();
            self.progress_layer(ticket, |p| p.finish(last));
        }
        self.flash(text, level);
    }

    pub(super) fn access_answers(&mut self, cluster: ClusterId, answers: Vec<(Check, Access)>) {
        if let Some(slot) = self.store.clusters.get_mut(cluster) {
            for (check, access) in answers {
                slot.access.insert(check, Some(access));
            }
        }
    }

    /// Asks the servers about the checks the screens want answered and nobody asked yet.
    pub(super) fn plan_access(&mut self, wanted: Vec<(ClusterId, Check)>) {
        let mut by_cluster: Vec<(ClusterId, Vec<Check>)> = Vec::new();
        for (cluster, check) in wanted {
            let Some(slot) = self.store.clusters.get_mut(cluster).filter(|s| s.connected) else {
                continue;
            };
            if slot.access.contains_key(&check) {
                continue;
            }
            slot.access.insert(check.clone(), None);
            match by_cluster.iter_mut().find(|(c, _)| *c == cluster) {
                Some((_, list)) => list.push(check),
                None => by_cluster.push((cluster, vec![check])),
            }
        }
        for (cluster, checks) in by_cluster {
            self.effects.push(Effect::Access { cluster, checks });
        }
    }
}

/// The dialog before a change: what, on which objects in which clusters, what will be
/// skipped and why; on a protected context the user types its name, whatever the change.
fn confirmation(m: &Mutation, decisions: &[(ObjectRef, Decision)], policy: &Policy) -> Modal {
    const SHOWN: usize = 12;
    let verb = plan::verb(&m.op);
    let go: Vec<&ObjectRef> = decisions
        .iter()
        .filter(|(_, d)| *d == Decision::Go)
        .map(|(o, _)| o)
        .collect();
    let mut clusters: Vec<&str> = go.iter().map(|o| o.context.as_str()).collect();
    clusters.sort_unstable();
    clusters.dedup();
    // A Helm op's targets are records; the user picked releases.
    let helm = matches!(m.op, Op::Helm { .. });
    let named = |o: &ObjectRef| match crate::helm::record::release_of(&o.name) {
        Some((release, revision)) if helm => format!(
            "{} {}/{release} (revision {revision})",
            o.context, o.namespace
        ),
        _ => o.to_string(),
    };
    let mut lines = vec![plan::describe(&m.op), String::new()];
    // A restore's target only names its cluster; its plan lists the objects below.
    let restore = matches!(m.op, Op::Restore { .. });
    if restore {
        lines.push(format!("into {}:", clusters.join(", ")));
    } else {
        lines.push(format!(
            "{} {}{} on {}:",
            go.len(),
            if helm { "release" } else { "object" },
            if go.len() == 1 { "" } else { "s" },
            clusters.join(", ")
        ));
        for o in go.iter().take(SHOWN) {
            lines.push(format!("  {}", named(o)));
        }
        if go.len() > SHOWN {
            lines.push(format!("  … and {} more", go.len() - SHOWN));
        }
    }
    if let Op::Helm { plan, .. } = &m.op
        && !plan.is_empty()
    {
        lines.push(String::new());
        lines.extend(plan.iter().take(SHOWN).cloned());
    }
    if let Op::Restore { plan, .. } = &m.op {
        let changes = plan.steps.iter().filter(|s| s.action.changes());
        lines.extend(
            changes
                .take(SHOWN)
                .map(|s| format!("  {:<7} {}", s.action.word(), s.title)),
        );
        if plan.changes() > SHOWN {
            lines.push(format!("  … and {} more", plan.changes() - SHOWN));
        }
    }
    for (o, d) in decisions {
        if let Decision::Refused(why) | Decision::Denied(why) = d {
            lines.push(format!("skipped {}: {why}", named(o)));
        }
    }
    let title = format!(
        "{}{} {}?",
        verb[..1].to_uppercase(),
        &verb[1..],
        match go.as_slice() {
            _ if restore => format!("into {}", clusters.join(", ")),
            [one] => match crate::helm::record::release_of(&one.name) {
                Some((release, _)) if helm => release.to_string(),
                _ => one.short(),
            },
            many if helm => format!("{} releases", many.len()),
            many => format!("{} objects", many.len()),
        }
    );
    let protected: Vec<&str> = clusters
        .iter()
        .copied()
        .filter(|c| policy.protected(c))
        .collect();
    if !protected.is_empty() {
        let name = protected.join(" ");
        lines.push(String::new());
        lines.push(format!("{name} is a protected context."));
        Modal::confirm_typed(title, lines, &name)
    } else {
        Modal::confirm(title, lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::op::HelmOp;

    #[test]
    fn read_only_by_context_glob_and_fleet_and_for_good() {
        let mut s = Settings {
            read_only_contexts: vec!["prod-*".into()],
            read_only_fleets: vec!["dr".into()],
            protected_contexts: vec!["staging".into()],
            ..Default::default()
        };
        s.fleets.insert("dr".into(), vec!["dr-eu".into()]);
        let mut p = Policy::from_settings(&s);
        assert!(p.read_only("prod-eu") && p.read_only("dr-eu"));
        assert!(!p.read_only("dev") && !p.read_only("prod"));
        assert!(p.protected("staging") && !p.protected("dev"));
        p.make_read_only();
        assert!(p.read_only("dev") && p.all_read_only());
    }

    /// `ops`, after checking that each is of the variant written beside it. One arm per
    /// variant and no wildcard: a variant added to `Op` does not compile here until it is
    /// given an op.
    macro_rules! one_of_each {
        ($($variant:pat => $op:expr),* $(,)?) => {{
            fn exhaustive(op: &Op) {
                match op {
                    $($variant => {})*
                }
            }
            let ops = vec![$($op),*];
            $(assert!(matches!($op, $variant), "{} is not {}", plan::verb(&$op), stringify!($variant));)*
            ops.iter().for_each(exhaustive);
            ops
        }};
    }

    /// On a protected context the confirmation of every op, whatever it is, asks for the
    /// context's name; on another, a yes is enough.
    #[test]
    fn every_op_asks_for_the_name_of_a_protected_context() {
        use crate::model::ResKey;
        use crate::protocol::op::{DrainOpts, MetaField, Patch, PatchKind, Propagation};
        let ops = one_of_each! {
            Op::Delete { .. } => Op::Delete { propagation: Propagation::Background, grace: None, force: false },
            Op::Scale { .. } => Op::Scale { replicas: 3 },
            Op::Stop => Op::Stop,
            Op::Start => Op::Start,
            Op::Restart => Op::Restart,
            Op::Pause => Op::Pause,
            Op::Resume => Op::Resume,
            Op::SetImage(_) => Op::SetImage(vec![("app".into(), "app:2".into())]),
            Op::Meta { .. } => Op::Meta { field: MetaField::Labels, set: vec![("a".into(), "1".into())], remove: Vec::new() },
            Op::Cordon => Op::Cordon,
            Op::Uncordon => Op::Uncordon,
            Op::Drain(_) => Op::Drain(DrainOpts::default()),
            Op::Taint { .. } => Op::Taint { add: Vec::new(), remove: vec!["a".into()] },
            Op::Trigger => Op::Trigger,
            Op::Suspend(_) => Op::Suspend(true),
            Op::Rollback { .. } => Op::Rollback { revision: 1, patch: Patch { kind: PatchKind::Merge, body: serde_json::json!({}) } },
            Op::Strategy { .. } => Op::Strategy { max_surge: Some("1".into()), max_unavailable: None, partition: None },
            Op::Autoscale { .. } => Op::Autoscale { min: Some(1), max: 3, cpu_percent: None },
            Op::DefaultClass { .. } => Op::DefaultClass { class: Some("fast".into()) },
            Op::ReclaimPolicy(_) => Op::ReclaimPolicy("Retain".into()),
            Op::Resize(_) => Op::Resize("2Gi".into()),
            Op::SetSpec { .. } => Op::SetSpec { field: "ports", value: serde_json::json!([]) },
            Op::Apply { .. } => Op::Apply { object: serde_json::json!({}), server_side: false, force: false },
            Op::Create { .. } => Op::Create { objects: vec![serde_json::json!({})] },
            Op::Helm { .. } => Op::Helm { op: HelmOp::Uninstall { keep_history: false }, plan: Vec::new() },
            Op::Restore { .. } => Op::Restore { plan: Default::default(), archive: "a.tar.gz".into() },
            Op::Session { .. } => Op::Session { kind: "shell", detail: String::new() },
        };
        let policy = Policy::from_settings(&Settings {
            protected_contexts: vec!["prod-*".into()],
            ..Default::default()
        });
        for op in ops {
            for (context, require) in [("prod-eu", Some("prod-eu")), ("dev", None)] {
                let obj = ObjectRef {
                    context: context.into(),
                    cluster: ClusterId(1),
                    res: ResKey::core("pods"),
                    version: "v1".into(),
                    kind: "Pod".into(),
                    namespace: "shop".into(),
                    name: "web-1".into(),
                    uid: "u1".into(),
                };
                let m = Mutation {
                    op: op.clone(),
                    targets: vec![obj.clone()],
                    dry_run: false,
                };
                let Modal::Confirm(c) = confirmation(&m, &[(obj, Decision::Go)], &policy) else {
                    panic!("{} on {context}: not a confirmation", plan::verb(&op));
                };
                assert_eq!(
                    c.require.as_deref(),
                    require,
                    "{} on {context}: {}",
                    plan::verb(&op),
                    c.title
                );
            }
        }
    }

    #[test]
    fn a_context_name_matches_itself_before_it_is_taken_as_a_glob() {
        let s = Settings {
            read_only_contexts: vec!["prod[1]".into(), "dr-[".into()],
            protected_contexts: vec!["eu-*[a]".into()],
            ..Default::default()
        };
        let p = Policy::from_settings(&s);
        // The names themselves, though as globs `prod[1]` means `prod1` and `dr-[` is invalid.
        assert!(p.read_only("prod[1]") && p.read_only("dr-["));
        assert!(p.protected("eu-*[a]"));
        // Still globs as well.
        assert!(p.read_only("prod1") && p.protected("eu-west-a"));
        assert!(!p.read_only("prod") && !p.read_only("dr-") && !p.protected("eu-*[b]"));
    }
}
