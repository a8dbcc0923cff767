//! `:create`: the objects a command line, a file or the paste buffer makes, on every cluster
//! named. The screen shows every object it will create and has the server dry-run all of them
//! first (`ops::import` says how, for objects in a namespace the same batch creates); only
//! when every one passed does enter create them, in dependency order. The list then says of
//! each what the server did: created, failed with its message, or not attempted. Secret
//! values are typed into masked fields and never drawn, copied or logged.

use super::files::{file_entries, read_file};
use super::{MODE, clusters, namespace_for, object_ref, served};
use crate::key::{KeyCode, KeyEvent, KeyModifiers};
use crate::modal::{Modal, ModalResult};
use crate::model::{Action, ClusterId, ObjectRef};
use crate::ops::build::{self, Scope, What, workload};
use crate::ops::import::{self, Check};
use crate::protocol::op::{Mutation, Op};
use crate::screens::{Ctx, DrawCtx, Mutated, Screen};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};
use ratatui_textarea::TextArea;
use serde_json::Value;

/// The object as it may be shown: a Secret's values replaced by their length.
fn masked(obj: &Value) -> Value {
    let mut o = obj.clone();
    if o.get("kind").and_then(Value::as_str) == Some("Secret") {
        for field in ["data", "stringData"] {
            if let Some(Value::Object(values)) = o.get_mut(field) {
                for v in values.values_mut() {
                    let n = v.as_str().map(str::len).unwrap_or(0);
                    *v = Value::String(format!("•••• ({n} chars, hidden)"));
                }
            }
        }
    }
    o
}

fn yaml_lines(obj: &Value) -> Vec<String> {
    crate::kinds::document::plain_yaml_lines(&masked(obj))
}

pub fn open(args: &str, ctx: &mut Ctx) -> Result<Box<dyn Screen>, String> {
    let a = build::parse_create(args)?;
    let clusters = clusters(ctx, &a.scope)?;
    let on = clusters
        .iter()
        .map(|(_, c)| c.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let ns = a.scope.namespace.clone().unwrap_or_default();
    let mut s = CreateScreen::new(String::new(), clusters, a.scope, Vec::new());
    match a.what {
        What::Namespace {
            name,
            quota,
            limits,
            requests,
        } => {
            s.title = format!("create namespace {name} on {on}");
            s.docs = build::project(&name, &quota, &limits, &requests)?;
        }
        What::ConfigMap {
            name,
            literals,
            files,
        } => {
            s.title = format!("create configmap {name} on {on}");
            let mut entries: Vec<(String, Vec<u8>)> = literals
                .into_iter()
                .map(|(k, v)| (k, v.into_bytes()))
                .collect();
            entries.extend(file_entries(&files)?);
            s.docs = vec![build::config_map(&ns, &name, &entries)?];
        }
        What::Secret { name, keys, files } => {
            s.title = format!("create secret {name} on {on}");
            s.secret = Some(PendingSecret {
                name,
                keys,
                files: file_entries(&files)?,
            });
            s.phase = Phase::Values;
        }
        What::Workload { kind, name } => {
            s.title = format!(
                "create {} {} on {on}",
                kind.to_lowercase(),
                name.as_deref().unwrap_or("")
            );
            let fields = workload::fields(kind);
            let values = fields
                .iter()
                .map(|f| match (f, &name) {
                    (workload::Field::Name, Some(n)) => n.clone(),
                    _ => workload::default_of(*f).to_string(),
                })
                .collect();
            s.workload = Some((kind, values));
            s.phase = Phase::Values;
        }
        What::File(path) if path == "-" => {
            s.title = format!("create from pasted YAML on {on}");
            s.buffer = Some(TextArea::default());
            s.phase = Phase::Editing;
        }
        What::File(path) => {
            s.title = format!("create from {path} on {on}");
            let bytes = read_file(&path)?;
            let text = String::from_utf8(bytes).map_err(|_| format!("{path} is not UTF-8 text"))?;
            s.docs = import::documents(&text).map_err(|e| format!("{path}: {e}"))?;
        }
    }
    Ok(Box::new(s))
}

/// `:create`'s review of objects built elsewhere (a workload exposed): on one cluster, in
/// `namespace`; the dry run starts when it opens, Enter creates them.
pub fn of_objects(
    title: String,
    cluster: (ClusterId, String),
    namespace: String,
    docs: Vec<Value>,
) -> CreateScreen {
    let scope = Scope {
        namespace: Some(namespace),
        contexts: Vec::new(),
    };
    CreateScreen::new(title, vec![cluster], scope, docs)
}

/// A Secret waiting for its values from the masked form.
struct PendingSecret {
    name: String,
    keys: Vec<String>,
    files: Vec<(String, Vec<u8>)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The masked form is open.
    Values,
    /// The paste buffer takes keys.
    Editing,
    Checking,
    /// Every document passed the dry run: enter creates them.
    Ready,
    /// Something failed the check: nothing was created.
    Refused,
    Applying,
    Done,
    Cancelled,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    Waiting,
    /// Passed the dry run (with a note when checked in the stand-in namespace).
    Valid(Option<String>),
    /// Checked by the server when it is created (why).
    Later(String),
    Invalid(String),
    NotAttempted,
    Creating,
    Created,
    Failed(String),
}

pub struct Item {
    pub context: String,
    /// The document's position in the input, from 0.
    pub doc: usize,
    /// `None` when the document could not be resolved (its state says why).
    pub target: Option<ObjectRef>,
    pub what: String,
    pub object: Value,
    check: Check,
    pub state: State,
}

pub struct CreateScreen {
    title: String,
    clusters: Vec<(ClusterId, String)>,
    scope: Scope,
    docs: Vec<Value>,
    secret: Option<PendingSecret>,
    /// A workload's form: its kind and the values typed so far.
    workload: Option<(&'static str, Vec<String>)>,
    buffer: Option<TextArea<'static>>,
    phase: Phase,
    items: Vec<Item>,
    /// The items in the dry-run batch, by its target index.
    dry: Vec<usize>,
    waiting: usize,
    cursor: usize,
    /// Bumped by every check, so answers to an abandoned attempt (a paste checked again) are
    /// told from the current one's.
    generation: u64,
    /// What went wrong outside any document (the paste does not parse).
    note: Option<String>,
    /// The items' states before Enter, for when the app's confirmation is declined.
    before_apply: Vec<State>,
}

impl CreateScreen {
    /// A screen that checks `docs` on `clusters` when it opens (until a form, a paste or
    /// values say otherwise).
    fn new(
        title: String,
        clusters: Vec<(ClusterId, String)>,
        scope: Scope,
        docs: Vec<Value>,
    ) -> CreateScreen {
        CreateScreen {
            title,
            clusters,
            scope,
            docs,
            secret: None,
            workload: None,
            buffer: None,
            phase: Phase::Checking,
            items: Vec::new(),
            dry: Vec::new(),
            waiting: 0,
            cursor: 0,
            generation: 0,
            note: None,
            before_apply: Vec::new(),
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn items(&self) -> &[Item] {
        &self.items
    }

    fn keys_form(&self, error: Option<String>) -> Modal {
        let name = self.secret.as_ref().map(|p| p.name.as_str()).unwrap_or("");
        let mut m = Modal::form(
            format!("secret {name}: its keys"),
            vec![("keys (space-separated)", "", false)],
        );
        if let Modal::Form(f) = &mut m {
            f.error = error;
        }
        m
    }

    fn ask_keys(&self, error: Option<String>, ctx: &mut Ctx) {
        let generation = self.generation;
        ctx.modal(
            self.keys_form(error),
            move |me: &mut Self, r, ctx: &mut Ctx| {
                if me.generation == generation {
                    me.keys_given(r, ctx);
                }
            },
        );
    }

    fn keys_given(&mut self, r: ModalResult, ctx: &mut Ctx) {
        let ModalResult::Submitted(v) = r else {
            return self.values_refused();
        };
        let keys: Vec<String> = v
            .first()
            .map(|s| s.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        let bad = keys.iter().find_map(|k| build::data_key(k).err());
        match (keys.is_empty(), bad) {
            (true, _) => self.ask_keys(Some("give at least one key".into()), ctx),
            (_, Some(e)) => self.ask_keys(Some(e), ctx),
            _ => {
                if let Some(p) = &mut self.secret {
                    p.keys = keys;
                }
                self.ask_values(ctx);
            }
        }
    }

    /// The workload's form (again, with what was wrong, when a value was refused).
    fn ask_workload(&mut self, error: Option<String>, ctx: &mut Ctx) {
        let Some((kind, values)) = &self.workload else {
            return;
        };
        let kind = *kind;
        let fields = workload::fields(kind);
        let rows: Vec<(&str, &str, bool)> = fields
            .iter()
            .zip(values)
            .map(|(f, v)| (f.label(), v.as_str(), false))
            .collect();
        let mut modal = Modal::form(format!("new {}", kind.to_lowercase()), rows);
        if let Modal::Form(f) = &mut modal {
            f.error = error;
        }
        let generation = self.generation;
        ctx.modal(modal, move |me: &mut Self, r, ctx: &mut Ctx| {
            if me.generation != generation {
                return;
            }
            let ModalResult::Submitted(values) = r else {
                me.workload = None;
                me.phase = Phase::Cancelled;
                return;
            };
            let ns = me.scope.namespace.clone().unwrap_or_default();
            let built = workload::workload(kind, &ns, &values);
            me.workload = Some((kind, values));
            match built {
                // In the editor, for what the form does not ask; ctrl-s checks it.
                Ok(object) => {
                    let lines = crate::kinds::document::plain_yaml_lines(&object);
                    me.buffer = Some(TextArea::new(lines));
                    me.phase = Phase::Editing;
                }
                Err(e) => me.ask_workload(Some(e), ctx),
            }
        });
    }

    fn ask_values(&mut self, ctx: &mut Ctx) {
        if self.workload.is_some() {
            return self.ask_workload(None, ctx);
        }
        let Some(p) = &self.secret else { return };
        if p.keys.is_empty() && p.files.is_empty() {
            return self.ask_keys(None, ctx);
        }
        if p.keys.is_empty() {
            return self.secret_ready(Vec::new(), ctx);
        }
        let fields: Vec<(&str, &str, bool)> =
            p.keys.iter().map(|k| (k.as_str(), "", true)).collect();
        let modal = Modal::form(format!("secret {}: values (masked)", p.name), fields);
        let generation = self.generation;
        ctx.modal(modal, move |me: &mut Self, r, ctx: &mut Ctx| {
            if me.generation != generation {
                return;
            }
            match r {
                ModalResult::Submitted(values) => me.secret_ready(values, ctx),
                _ => me.values_refused(),
            }
        });
    }

    /// The keys or values form was left: no Secret is made.
    fn values_refused(&mut self) {
        self.secret = None;
        self.phase = Phase::Cancelled;
    }

    fn secret_ready(&mut self, values: Vec<String>, ctx: &mut Ctx) {
        let Some(p) = self.secret.take() else { return };
        let mut entries: Vec<(String, Vec<u8>)> = p
            .keys
            .iter()
            .cloned()
            .zip(values.into_iter().map(String::into_bytes))
            .collect();
        entries.extend(p.files.iter().cloned());
        let ns = self.scope.namespace.clone().unwrap_or_default();
        match build::secret(&ns, &p.name, &entries) {
            Ok(s) => {
                self.docs = vec![s];
                self.check(ctx);
            }
            Err(e) => {
                self.note = Some(e);
                self.phase = Phase::Cancelled;
            }
        }
    }

    /// Plans every document on every cluster and sends the dry run.
    fn check(&mut self, ctx: &mut Ctx) {
        self.generation += 1;
        self.items.clear();
        self.note = None;
        for (cluster, context) in &self.clusters {
            let ns = namespace_for(ctx, &self.scope, *cluster);
            let (planned, failed) = import::plan(&self.docs, &served(ctx, *cluster), &ns);
            for f in failed {
                self.items.push(Item {
                    context: context.clone(),
                    doc: f.doc,
                    target: None,
                    what: f.what,
                    object: self.docs.get(f.doc).cloned().unwrap_or(Value::Null),
                    check: Check::AsIs,
                    state: State::Invalid(f.error),
                });
            }
            for p in planned {
                let mut info = p.info.clone();
                info.version = p.version.clone();
                let target = object_ref(&info, *cluster, context, &p.namespace, &p.name);
                self.items.push(Item {
                    context: context.clone(),
                    doc: p.doc,
                    what: crate::text::clean(&format!("{} {}", info.kind, p.name)),
                    target: Some(target),
                    object: p.object,
                    check: p.check,
                    state: State::Waiting,
                });
            }
        }
        let order = |it: &Item| {
            let rank = match &it.target {
                Some(t) => import::rank(&t.kind, !t.namespace.is_empty()),
                None => 0,
            };
            (rank, it.doc)
        };
        // Stable: within one document the clusters keep their order.
        self.items.sort_by_key(order);
        self.cursor = 0;
        if self
            .items
            .iter()
            .any(|i| matches!(i.state, State::Invalid(_)))
        {
            return self.refuse();
        }
        let (mut targets, mut objects) = (Vec::new(), Vec::new());
        self.dry.clear();
        for (i, it) in self.items.iter_mut().enumerate() {
            let Some(t) = &it.target else { continue };
            match &it.check {
                Check::WhenApplied(why) => it.state = State::Later(why.clone()),
                Check::AsIs => {
                    targets.push(t.clone());
                    objects.push(it.object.clone());
                    self.dry.push(i);
                }
                Check::StandIn => {
                    targets.push(ObjectRef {
                        namespace: import::STAND_IN.into(),
                        ..t.clone()
                    });
                    objects.push(import::in_stand_in(&it.object));
                    self.dry.push(i);
                }
            }
        }
        self.waiting = targets.len();
        if targets.is_empty() {
            return self.checked();
        }
        self.phase = Phase::Checking;
        let generation = self.generation;
        let mutation = Mutation {
            op: Op::Create { objects },
            targets,
            dry_run: true,
        };
        ctx.mutate(mutation, move |me: &mut Self, m, _: &mut Ctx| {
            if me.generation != generation {
                return;
            }
            // A dry run asks for no confirmation: only the targets' results come.
            if let Mutated::Target { index, result } = m {
                me.dry_answer(index, result.map(|o| o.summary));
            }
        });
    }

    fn refuse(&mut self) {
        self.phase = Phase::Refused;
        for it in &mut self.items {
            if !matches!(it.state, State::Invalid(_)) {
                it.state = State::NotAttempted;
            }
        }
        self.cursor_on_first_problem();
    }

    /// The cursor on the first document that failed, so its message shows below the list.
    fn cursor_on_first_problem(&mut self) {
        if let Some(i) = self
            .items
            .iter()
            .position(|i| matches!(i.state, State::Invalid(_) | State::Failed(_)))
        {
            self.cursor = i;
        }
    }

    fn checked(&mut self) {
        if self
            .items
            .iter()
            .any(|i| matches!(i.state, State::Invalid(_)))
        {
            self.refuse();
        } else {
            self.phase = Phase::Ready;
        }
    }

    fn dry_answer(&mut self, index: usize, result: Result<String, String>) {
        let Some(it) = self.dry.get(index).and_then(|i| self.items.get_mut(*i)) else {
            return;
        };
        let ns = it
            .target
            .as_ref()
            .map(|t| t.namespace.clone())
            .unwrap_or_default();
        it.state = match (result, &it.check) {
            (Ok(_), Check::StandIn) => State::Valid(Some(format!(
                "dry-run in {} as a stand-in: {ns} is created first",
                import::STAND_IN
            ))),
            (Ok(_), _) => State::Valid(None),
            (Err(e), Check::StandIn) if import::about_stand_in(&e) => State::Later(format!(
                "checked when created: the stand-in namespace {} said {e}",
                import::STAND_IN
            )),
            (Err(e), _) => State::Invalid(e),
        };
        self.waiting = self.waiting.saturating_sub(1);
        if self.waiting == 0 {
            self.checked();
        }
    }

    fn apply(&mut self, ctx: &mut Ctx) {
        self.before_apply = self.items.iter().map(|i| i.state.clone()).collect();
        let (mut targets, mut objects) = (Vec::new(), Vec::new());
        for it in &mut self.items {
            if let Some(t) = &it.target {
                targets.push(t.clone());
                objects.push(it.object.clone());
                it.state = State::Creating;
            }
        }
        self.waiting = targets.len();
        self.phase = Phase::Applying;
        let generation = self.generation;
        let mutation = Mutation {
            op: Op::Create { objects },
            targets,
            dry_run: false,
        };
        ctx.mutate(mutation, move |me: &mut Self, m, _: &mut Ctx| {
            if me.generation != generation {
                return;
            }
            match m {
                Mutated::Target { index, result } => me.applied(index, result.map(|o| o.summary)),
                Mutated::Cancelled => me.apply_declined(),
            }
        });
    }

    /// The app's confirmation was declined: nothing was sent, Enter may ask again.
    fn apply_declined(&mut self) {
        let before = std::mem::take(&mut self.before_apply);
        for (it, state) in self.items.iter_mut().zip(before) {
            it.state = state;
        }
        self.waiting = 0;
        self.phase = Phase::Ready;
    }

    fn applied(&mut self, index: usize, result: Result<String, String>) {
        let Some(it) = self
            .items
            .iter_mut()
            .filter(|i| i.target.is_some())
            .nth(index)
        else {
            return;
        };
        it.state = match result {
            Ok(_) => State::Created,
            Err(e) => State::Failed(e),
        };
        self.waiting = self.waiting.saturating_sub(1);
        if self.waiting == 0 {
            self.phase = Phase::Done;
            self.cursor_on_first_problem();
        }
    }

    fn submit_paste(&mut self, ctx: &mut Ctx) {
        let Some(b) = &self.buffer else { return };
        let text = b.lines().join("\n");
        match import::documents(&text) {
            Ok(docs) => {
                self.docs = docs;
                self.check(ctx);
            }
            Err(e) => self.note = Some(crate::text::clean(&e)),
        }
    }

    fn status(&self) -> String {
        let n = self.items.len();
        let count = |f: fn(&State) -> bool| self.items.iter().filter(|i| f(&i.state)).count();
        match self.phase {
            Phase::Values if self.workload.is_some() => "waiting for the form…".into(),
            Phase::Values => "waiting for the values (masked form)…".into(),
            Phase::Editing if self.workload.is_some() => {
                "the form's object: change what the form does not ask, then ctrl-s has the server check it"
                    .into()
            }
            Phase::Editing => {
                "paste or type YAML documents (--- between them); ctrl-s has the server check them"
                    .into()
            }
            Phase::Checking => format!(
                "the server is checking {n} object(s) (dry run)… {} left",
                self.waiting
            ),
            Phase::Ready => format!(
                "all {n} object(s) passed the server's dry run — enter creates them, in this order"
            ),
            Phase::Refused => format!(
                "nothing was created: {} of {n} failed the check",
                count(|s| matches!(s, State::Invalid(_)))
            ),
            Phase::Applying => format!("creating… {} left", self.waiting),
            Phase::Done => {
                let failed = count(|s| matches!(s, State::Failed(_)));
                let created = count(|s| *s == State::Created);
                if failed == 0 {
                    format!("created all {created}")
                } else {
                    format!(
                        "created {created} of {n}; {failed} failed (listed with the server's message)"
                    )
                }
            }
            Phase::Cancelled => "cancelled: nothing was created".into(),
        }
    }
}

fn state_text(s: &State) -> (&'static str, String) {
    match s {
        State::Waiting => ("…", String::new()),
        State::Valid(note) => ("✓ valid", note.clone().unwrap_or_default()),
        State::Later(why) => ("• later", why.clone()),
        State::Invalid(e) => ("✗ invalid", e.clone()),
        State::NotAttempted => ("not attempted", String::new()),
        State::Creating => ("creating…", String::new()),
        State::Created => ("✓ created", String::new()),
        State::Failed(e) => ("✗ failed", e.clone()),
    }
}

static EDITING_HINTS: &[(Action, &str)] = &[(Action::Submit, "check"), (Action::Back, "back")];
static READY_HINTS: &[(Action, &str)] = &[
    (Action::Apply, "create"),
    (Action::Edit, "edit"),
    (Action::Copy, "copy YAML"),
    (Action::Back, "back"),
];
static BACK_HINTS: &[(Action, &str)] = &[(Action::Back, "back")];
static RESULT_HINTS: &[(Action, &str)] = &[
    (Action::Edit, "edit"),
    (Action::Copy, "copy YAML"),
    (Action::Back, "back"),
];

impl Screen for CreateScreen {
    fn mode(&self) -> &'static str {
        MODE
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        match self.phase {
            Phase::Editing => EDITING_HINTS,
            Phase::Ready => READY_HINTS,
            Phase::Refused | Phase::Done => RESULT_HINTS,
            _ => BACK_HINTS,
        }
    }

    fn opened(&mut self, ctx: &mut Ctx) {
        match self.phase {
            Phase::Values => self.ask_values(ctx),
            Phase::Editing => {}
            _ => self.check(ctx),
        }
    }

    fn raw_key(&mut self, key: KeyEvent, _ctx: &mut Ctx) -> bool {
        let (Phase::Editing, Some(b)) = (self.phase, &mut self.buffer) else {
            return false;
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        // Leaving, checking and quitting stay the keymap's.
        if key.code == KeyCode::Esc || (ctrl && matches!(key.code, KeyCode::Char('s' | 'c'))) {
            return false;
        }
        b.input(key);
        self.note = None;
        true
    }

    fn raw_paste(&mut self, text: &str, _ctx: &mut Ctx) -> bool {
        let (Phase::Editing, Some(b)) = (self.phase, &mut self.buffer) else {
            return false;
        };
        b.insert_str(crate::text::clean_lines(text).join("\n"));
        true
    }

    fn handle(&mut self, action: &Action, ctx: &mut Ctx) -> bool {
        if self.phase != Phase::Editing
            && let Some(to) = crate::screens::moved(action, self.cursor, self.items.len())
        {
            self.cursor = to;
            return true;
        }
        match action {
            Action::Apply if self.phase == Phase::Ready => self.apply(ctx),
            Action::Apply => ctx.error(format!("nothing to create: {}", self.status())),
            Action::Submit if self.phase == Phase::Editing => self.submit_paste(ctx),
            Action::Edit
                if self.buffer.is_some() && matches!(self.phase, Phase::Ready | Phase::Refused) =>
            {
                self.phase = Phase::Editing;
            }
            Action::Copy => match self.items.get(self.cursor) {
                Some(it) => ctx.copy(yaml_lines(&it.object).join("\n")),
                None => ctx.error("nothing to copy"),
            },
            _ => return false,
        }
        true
    }

    fn draw(&self, f: &mut Frame, area: Rect, ctx: &DrawCtx) {
        let theme = &ctx.config.theme;
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Line::from(format!(" {} ", self.title)).style(theme.get("title")));
        let inner = block.inner(area);
        f.render_widget(block, area);
        let [status, body] =
            Layout::vertical([Constraint::Length(2), Constraint::Min(1)]).areas(inner);
        let mut lines = vec![Line::from(self.status())];
        if let Some(n) = &self.note {
            lines.push(Line::styled(n.clone(), theme.get("flash-error")));
        }
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), status);
        if let (Phase::Editing, Some(b)) = (self.phase, &self.buffer) {
            f.render_widget(b, body);
            return;
        }
        let [list, detail] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
        let header =
            Row::new(["STATE", "CONTEXT", "#", "OBJECT", "NAMESPACE", "MESSAGE"].map(Cell::from))
                .style(theme.get("table-header"));
        let rows = self.items.iter().enumerate().map(|(i, it)| {
            let (label, message) = state_text(&it.state);
            let style = match (&it.state, i == self.cursor) {
                (_, true) => theme.get("selected"),
                (State::Invalid(_) | State::Failed(_), _) => theme.get("row-error"),
                (State::Created | State::Valid(_), _) => theme.get("row-ok"),
                _ => theme.get("row-done"),
            };
            let ns = it
                .target
                .as_ref()
                .map(|t| t.namespace.clone())
                .unwrap_or_default();
            Row::new(vec![
                Cell::from(label),
                Cell::from(it.context.clone()),
                Cell::from((it.doc + 1).to_string()),
                Cell::from(it.what.clone()),
                Cell::from(ns),
                Cell::from(crate::text::clean(&message)),
            ])
            .style(style)
        });
        let widths = [
            Constraint::Length(14),
            Constraint::Length(12),
            Constraint::Length(3),
            Constraint::Length(36),
            Constraint::Length(20),
            Constraint::Min(20),
        ];
        f.render_widget(Table::new(rows, widths).header(header), list);
        let Some(it) = self.items.get(self.cursor) else {
            return;
        };
        let (_, message) = state_text(&it.state);
        let mut text: Vec<Line> = Vec::new();
        if !message.is_empty() {
            text.push(Line::styled(
                crate::text::clean(&message),
                theme.get("row-error"),
            ));
        }
        text.extend(yaml_lines(&it.object).into_iter().map(Line::from));
        let block = Block::default().borders(Borders::TOP).title(format!(
            " document {} on {} ",
            it.doc + 1,
            it.context
        ));
        f.render_widget(
            Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
            detail,
        );
    }
}
