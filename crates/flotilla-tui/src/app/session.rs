//! Sessions in pods — a shell, attach, `:exec`, a port-forward — are changes: they pass the
//! same decision (read-only mode, permissions) and confirmation policy as any other change,
//! then an audit intent is written and synced before the session opens (when it cannot be,
//! the session does not open and the screen says why), and an outcome when it ends.

use super::mutate::APP_LAYER;
use super::{App, Deliver, Layer};
use crate::modal::Modal;
use crate::model::ApiError;
use crate::model::{ClusterId, ExecTarget, ForwardTarget, ObjectRef, ResKey};
use crate::protocol::Effect;
use crate::protocol::effect::NodeShellPod;
use crate::protocol::op::{Decision, Op, Outcome, Target};
use crate::screens::forwards::Forward;
use crate::screens::{Answer, Reply};

/// What opens once the session's intent is written.
pub(super) enum Start {
    Exec {
        screen: u64,
        reply: Reply,
        target: ExecTarget,
        argv: Vec<String>,
    },
    Shell {
        screen: u64,
        reply: Reply,
        target: ExecTarget,
        attach: bool,
    },
    Forward {
        target: ForwardTarget,
        what: String,
        remote_port: u16,
        local: std::net::SocketAddr,
    },
    Debug {
        screen: u64,
        reply: Reply,
        target: ExecTarget,
        image: String,
    },
    NodeShell {
        screen: u64,
        reply: Reply,
        node: String,
        pod: NodeShellPod,
    },
}

/// What a session is opened on: a pod (namespace, name), or a node.
pub(super) enum On<'a> {
    Pod(&'a str, &'a str),
    Node(&'a str),
}

/// The pod a node shell on `node` will run in, as the settings say.
pub(super) fn node_shell_pod(settings: &crate::settings::DebugSettings) -> NodeShellPod {
    let suffix = crate::ops::build::random_suffix();
    NodeShellPod {
        namespace: settings.node_shell_namespace(),
        name: format!("flotilla-node-shell-{suffix}"),
        image: settings.node_shell_image(),
        command: settings.node_shell_command(),
    }
}

/// A session on its way: decided, maybe confirmed, its intent not yet written.
pub(super) struct Session {
    cluster: ClusterId,
    target: Target,
    op: Op,
    start: Start,
}

/// An open session, whose outcome is written when it ends.
pub(super) struct Open {
    target: Target,
    op: Op,
    intent: String,
}

impl App {
    /// A session of `kind` in pod `namespace/name` on `cluster`: refused (and audited) when
    /// read-only mode or permissions say no, confirmed by typing the context's name on a
    /// protected context, then opened once its intent is in the audit log.
    pub(super) fn open_session(
        &mut self,
        cluster: ClusterId,
        on: On,
        (kind, detail): (&'static str, String),
        start: Start,
    ) {
        let Some(slot) = self.store.clusters.get(cluster) else {
            return self.session_failed(start, kind, crate::model::not_connected().message);
        };
        let (res, kind_name, namespace, name) = match on {
            On::Pod(namespace, name) => ("pods", "Pod", namespace, name),
            On::Node(name) => ("nodes", "Node", "", name),
        };
        let obj = ObjectRef {
            context: slot.context.clone(),
            cluster,
            res: ResKey::core(res),
            version: "v1".into(),
            kind: kind_name.into(),
            namespace: namespace.to_string(),
            name: name.to_string(),
            uid: String::new(),
        };
        let op = Op::Session { kind, detail };
        let decision = self.decide(&op, &obj);
        let held = match &decision {
            Decision::Go => None,
            Decision::Refused(why) | Decision::Denied(why) => Some(why.clone()),
        };
        let target = self.targets(vec![(obj, decision)]).remove(0);
        if let Some(why) = held {
            // Nothing opens; the attempt is still audited.
            let ticket = self.next_id();
            self.effects.push(Effect::Mutate {
                ticket,
                op,
                dry_run: false,
                targets: vec![target],
            });
            return self.session_failed(start, kind, format!("{kind} refused: {why}"));
        }
        let session = Session {
            cluster,
            target,
            op,
            start,
        };
        let context = session.target.obj.context.clone();
        let protected = self.policy.protected(&context);
        // A node shell makes a privileged pod: always said, and confirmed, first.
        let warning = match &session.start {
            Start::NodeShell { pod, .. } => vec![
                "This creates a privileged pod on the node:".to_string(),
                format!("  {}/{} ({})", pod.namespace, pod.name, pod.image),
                "  host PID, network and IPC, every taint tolerated,".to_string(),
                format!("  running {}", pod.command.join(" ")),
                "It is deleted when the shell ends.".to_string(),
            ],
            _ => Vec::new(),
        };
        if !protected && warning.is_empty() {
            return self.begin_session(session);
        }
        // One `:exec` over marked pods asks once per context: its pods' requests come one by
        // one, as their objects are read.
        if let Some(run) = &exec_run(&session) {
            if self.exec_confirmed.contains(run) {
                return self.begin_session(session);
            }
            let waiting = self.confirming_sessions.values_mut().find(|waiting| {
                waiting
                    .first()
                    .is_some_and(|w| exec_run(w).as_ref() == Some(run))
            });
            if let Some(waiting) = waiting {
                return waiting.push(session);
            }
        }
        let what = match &session.op {
            // The warning below says it all.
            _ if !warning.is_empty() => String::new(),
            Op::Session { detail, .. } if !detail.is_empty() => format!(" ({detail})"),
            _ => String::new(),
        };
        let on = if session.target.obj.kind == "Node" {
            "on"
        } else {
            "in"
        };
        let mut lines = vec![format!("{kind} {on} {}{what}", session.target.obj)];
        if !warning.is_empty() {
            lines.push(String::new());
            lines.extend(warning);
        }
        let title = format!("Open a {kind} session?");
        let modal = if protected {
            lines.push(String::new());
            lines.push(format!("{context} is a protected context."));
            Modal::confirm_typed(title, lines, &context)
        } else {
            Modal::confirm(title, lines)
        };
        let id = self.next_id();
        self.confirming_sessions.insert(id, vec![session]);
        self.layers.push(Layer {
            modal,
            owner: APP_LAYER,
            id,
            reply: None,
        });
    }

    /// A confirmation of sessions was answered.
    pub(super) fn session_confirmed(&mut self, id: u64, confirmed: bool) -> bool {
        let Some(sessions) = self.confirming_sessions.remove(&id) else {
            return false;
        };
        for session in sessions {
            if !confirmed {
                let kind = session_kind(&session.op);
                self.session_failed(session.start, kind, format!("{kind} not opened"));
                continue;
            }
            if let Some(run) = exec_run(&session) {
                self.exec_confirmed.insert(run);
            }
            self.begin_session(session);
        }
        true
    }

    /// Asks for the intent to be written; the session opens when it is.
    fn begin_session(&mut self, session: Session) {
        let ticket = self.next_id();
        self.effects.push(Effect::Mutate {
            ticket,
            op: session.op.clone(),
            dry_run: false,
            targets: vec![session.target.clone()],
        });
        self.sessions.insert(ticket, session);
    }

    /// The intent of a session was written (or not); true when `ticket` was a session's.
    pub(super) fn session_intent(&mut self, ticket: u64, result: Result<Outcome, String>) -> bool {
        let Some(session) = self.sessions.remove(&ticket) else {
            return false;
        };
        let kind = session_kind(&session.op);
        let intent = match result.map(|o| o.intent) {
            Ok(Some(intent)) => intent,
            Ok(None) => {
                let why = format!("{kind} not opened: no audit intent was written (a bug)");
                self.session_failed(session.start, kind, why);
                return true;
            }
            Err(e) => {
                self.session_failed(session.start, kind, format!("{kind} not opened: {e}"));
                return true;
            }
        };
        let open = Open {
            target: session.target,
            op: session.op,
            intent,
        };
        let cluster = session.cluster;
        match session.start {
            Start::Exec {
                screen,
                reply,
                target,
                argv,
            } => {
                let ticket = self.ticket(screen, reply, Deliver::OnStack);
                self.open_sessions.insert(ticket, open);
                self.effects.push(Effect::Exec {
                    ticket,
                    cluster,
                    target,
                    argv,
                });
            }
            Start::Shell {
                screen,
                reply,
                target,
                attach,
            } => {
                let ticket = self.ticket(screen, reply, Deliver::OnStack);
                let context = open.target.obj.context.clone();
                self.open_sessions.insert(ticket, open);
                self.effects.push(Effect::Shell {
                    ticket,
                    cluster,
                    context,
                    target,
                    attach,
                    command: self.config.settings.shell.clone(),
                });
            }
            Start::Debug {
                screen,
                reply,
                target,
                image,
            } => {
                let ticket = self.ticket(screen, reply, Deliver::OnStack);
                let context = open.target.obj.context.clone();
                self.open_sessions.insert(ticket, open);
                self.effects.push(Effect::Debug {
                    ticket,
                    cluster,
                    context,
                    target,
                    image,
                });
            }
            Start::NodeShell {
                screen,
                reply,
                node,
                pod,
            } => {
                let ticket = self.ticket(screen, reply, Deliver::OnStack);
                let context = open.target.obj.context.clone();
                self.open_sessions.insert(ticket, open);
                self.effects.push(Effect::NodeShell {
                    ticket,
                    cluster,
                    context,
                    node,
                    pod,
                });
            }
            Start::Forward {
                target,
                what,
                remote_port,
                local,
            } => {
                let id = self.next_id();
                let context = open.target.obj.context.clone();
                self.shared.forwards.push(Forward::new(
                    id,
                    cluster,
                    context,
                    what,
                    remote_port,
                    local,
                ));
                self.open_sessions.insert(id, open);
                self.effects.push(Effect::Forward {
                    id,
                    cluster,
                    target,
                    remote_port,
                    local,
                });
            }
        }
        true
    }

    /// A session ended (a shell exited, a command answered, a forward stopped): its outcome
    /// goes to the audit log, naming its intent. `key` is the ticket (exec, shell) or the
    /// forward's id.
    pub(super) fn session_ended(&mut self, key: u64, result: Result<String, String>) {
        if let Some(open) = self.open_sessions.remove(&key) {
            self.effects.push(Effect::SessionEnded {
                target: open.target,
                op: open.op,
                intent: open.intent,
                result,
            });
        }
    }

    /// Says why a session did not open, to the screen that asked (or in the footer).
    fn session_failed(&mut self, start: Start, kind: &str, why: String) {
        self.flash_error(why.clone());
        match start {
            Start::Exec {
                screen, mut reply, ..
            } => {
                let answer = Answer::Exec(Err(ApiError {
                    code: 0,
                    message: why,
                }));
                self.with_screen(screen, |s, ctx| reply.answer(s, answer, ctx));
            }
            Start::Shell {
                screen, mut reply, ..
            }
            | Start::Debug {
                screen, mut reply, ..
            }
            | Start::NodeShell {
                screen, mut reply, ..
            } => {
                let answer = Answer::Done(Err(why));
                self.with_screen(screen, |s, ctx| reply.answer(s, answer, ctx));
            }
            Start::Forward { .. } => {
                tracing::info!("{kind} not opened: {why}");
            }
        }
    }
}

/// The `:exec` run a session belongs to: its screen and context.
fn exec_run(session: &Session) -> Option<(u64, String)> {
    match &session.start {
        Start::Exec { screen, .. } => Some((*screen, session.target.obj.context.clone())),
        _ => None,
    }
}

fn session_kind(op: &Op) -> &'static str {
    match op {
        Op::Session { kind, .. } => kind,
        _ => "session",
    }
}
