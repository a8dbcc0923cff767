//! Everything a key can do. Keymap files name these (`describe`, `favourite(3)`,
//! `command("deploy -A")`), so every action is rebindable, a key can run a whole command,
//! and the help screen is generated from the same table.

/// Declares `Action` and the table its names, descriptions and help order come from, from one
/// list: `Variant = "name": "what it does",`. A table beside a hand-written enum drifted from
/// it; here a variant cannot exist without its name and description.
macro_rules! actions {
    (
        $(#[$enum_doc:meta])*
        data { $($(#[$data_doc:meta])* $data:ident($ty:ty),)* }
        $($variant:ident = $name:literal : $what:literal,)*
    ) => {
        $(#[$enum_doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum Action {
            $($(#[$data_doc])* $data($ty),)*
            $(#[doc = $what] $variant,)*
        }

        /// The actions without data, in help order: (name, action, what it does).
        const NAMED: &[(&str, Action, &str)] = &[$(($name, Action::$variant, $what),)*];
    };
}

actions! {
    /// Everything a key can do. The variants without data are declared below, each once, with
    /// the name keymap files use and what help says it does, in the order help lists them.
    data {
        /// Scope the list to favourite namespace N (1–9).
        Favourite(u8),
        /// Run a `:` command line, as if typed.
        Run(String),
        /// How far back a log pane reaches.
        Since(Since),
    }
    Command = "command": "command prompt (:pods, :deploy kube-system, :po @prod, :ctx)",
    Filter = "filter": "filter rows (text, regex, !inverse, -l label=x, -f fuzzy)",
    Enter = "enter": "drill down (workload → pods, node → pods, namespace → pods, CRD → instances)",
    Describe = "describe": "describe",
    Yaml = "yaml": "YAML",
    Edit = "edit": "edit the YAML (in-app, or $EDITOR with editor = \"external\"): dry-run diff, then apply",
    Reveal = "reveal": "reveal / mask Secret values",
    Copy = "copy": "copy name (or text) to the clipboard",
    Logs = "logs": "logs of the selected (or marked) pods, workloads, services, nodes",
    Shell = "shell": "shell in the selected container (on a node: a node shell)",
    Attach = "attach": "attach to the selected container",
    Debug = "debug": "debug container in the selected pod: an ephemeral container of a debug image (for images without a shell), attached",
    PortForward = "port-forward": "port-forward to the selected pod, service or workload",
    Mark = "mark": "mark / unmark row (across views and clusters)",
    ClearMarks = "clear-marks": "clear every mark",
    Delete = "delete": "delete the selected (or marked) objects; stop a port-forward",
    Actions = "actions": "every action for the selected object (those not allowed: why)",
    Kill = "kill": "kill: delete with grace 0",
    ForceDelete = "force-delete": "force delete (stuck terminating pods)",
    DeleteOrphan = "delete-orphan": "delete, keeping dependents (orphan)",
    Scale = "scale": "scale (on pods `s` is the shell, on cron jobs suspend/resume)",
    Stop = "stop": "stop: scale to 0, remembering the count",
    Start = "start": "start: scale back to the remembered count",
    Restart = "restart": "rollout restart (on nodes: drain)",
    Pause = "pause": "pause a rollout",
    Resume = "resume": "resume a rollout",
    SetImage = "set-image": "set container images",
    Rollback = "rollback": "revisions: roll back to one (diff against the current)",
    Tree = "tree": "owner tree: what owns it, what it owns, what selects it and what it uses",
    New = "new": "a new workload of the list's kind from a form (deployments, statefulsets, daemonsets, jobs, cron jobs)",
    Diff = "diff": "diff the two marked objects (the same one on two clusters): drift",
    Labels = "labels": "add, change, remove labels",
    Annotations = "annotations": "add, change, remove annotations",
    Cordon = "cordon": "cordon the node (on other kinds: copy)",
    Uncordon = "uncordon": "uncordon the node",
    Drain = "drain": "drain the node (evictions respect PodDisruptionBudgets)",
    Taints = "taints": "add / remove node taints",
    Trigger = "trigger": "run the cron job now",
    Suspend = "suspend": "suspend / resume the cron job",
    Strategy = "strategy": "update strategy (maxSurge, maxUnavailable, partition)",
    Autoscale = "autoscale": "autoscaler min/max replicas and CPU target",
    Expose = "expose": "expose a workload: a Service (ClusterIP, NodePort, LoadBalancer) and, with a host, an Ingress, from a form",
    EditPorts = "edit-ports": "a Service's ports, from a form (PORT:TARGET/PROTOCOL,…)",
    EditRules = "edit-rules": "an Ingress's rules, from a form (HOST/PATH=SERVICE:PORT …)",
    DefaultClass = "default-class": "storage class: make it the cluster's default (or stop it being one)",
    ReclaimPolicy = "reclaim-policy": "persistent volume: keep (Retain) or delete its storage once released",
    Resize = "resize": "persistent volume claim: request more storage (when its class allows expansion)",
    Follow = "follow": "follow / pause",
    Wrap = "wrap": "wrap long lines",
    Timestamps = "timestamps": "show timestamps",
    TailLines = "tail-lines": "lines per container to start with",
    Previous = "previous": "previous container's logs",
    Containers = "containers": "choose containers",
    Prefix = "prefix": "show / hide the source prefix",
    Json = "json": "JSON lines: raw, fields, pretty",
    Find = "find": "search (regex)",
    FindNext = "find-next": "next match",
    FindPrevious = "find-previous": "previous match",
    Select = "select": "start / end a selection of lines",
    Save = "save": "save the lines shown to a file",
    Up = "up": "move up",
    Down = "down": "move down",
    PageUp = "page-up": "page up",
    PageDown = "page-down": "page down",
    Top = "top": "first row",
    Bottom = "bottom": "last row",
    SortName = "sort-name": "sort by name",
    SortAge = "sort-age": "sort by age",
    SortStatus = "sort-status": "sort by status (top: by CPU / memory)",
    SortNamespace = "sort-namespace": "sort by namespace",
    SortColumn = "sort-column": "sort by the chosen column",
    ColumnLeft = "column-left": "choose column to the left",
    ColumnRight = "column-right": "choose column to the right",
    AllNamespaces = "all-namespaces": "all namespaces",
    Contexts = "contexts": "contexts",
    ToggleContext = "toggle-context": "add / remove context from the live set",
    Back = "back": "back / clear filter",
    Help = "help": "this help",
    Quit = "quit": "quit",
    Submit = "submit": "editor: check the edit with the server (dry run) and review it",
    Apply = "apply": "review: apply the change",
    ApplyAlso = "apply-also": "review: also apply it to the same object on other clusters",
    Force = "force": ":ctx add: import the contexts that did not answer too",
    Undo = "undo": "undo",
    Redo = "redo": "redo",
    Collapse = "collapse": "triage: fold the same problem on several clusters into one row; events: group by object; top: pods / nodes",
    Expand = "expand": "triage: show / hide a row's pods, events and what changed before it",
    Warnings = "warnings": "events: Warnings only / every event",
    Values = "values": "helm: user-supplied values",
    AllValues = "all-values": "helm: computed values (chart defaults under the user's)",
    Manifest = "manifest": "helm: rendered manifest",
    Notes = "notes": "helm: the chart's notes",
    Hooks = "hooks": "helm: hook manifests",
    Objects = "objects": "helm: the manifest's objects, live, with drift from the manifest",
    Rerun = "rerun": "inspect: run the checks again",
    Scores = "scores": "inspect: the scores per namespace and category, or the findings",
    Backup = "backup": "velero: create a Backup (form)",
    Restore = "restore": "restore the selected backup (a form; a plan first for flotilla archives)",
}

/// How far back a log pane reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Since {
    /// The last N lines of each container (N: `log-tail-lines`, or as typed).
    Tail,
    /// Everything the node still has.
    All,
    Seconds(u32),
}

impl Action {
    /// Parses a keymap value: `describe`, `favourite(3)` (or `favourite3`),
    /// `command("deploy -A")` (quotes optional).
    pub fn parse(s: &str) -> Result<Action, String> {
        let s = s.trim();
        if let Some((name, rest)) = s.split_once('(') {
            let arg = rest
                .strip_suffix(')')
                .ok_or_else(|| format!("unclosed ( in {s:?}"))?
                .trim();
            let arg = arg
                .strip_prefix('"')
                .and_then(|a| a.strip_suffix('"'))
                .unwrap_or(arg);
            return match name.trim() {
                "favourite" | "favorite" => favourite(arg)
                    .ok_or_else(|| format!("favourite takes a number 1-9, not {arg:?}")),
                "command" if !arg.trim().is_empty() => Ok(Action::Run(arg.trim().to_string())),
                "command" => Err("command(...) needs a command line".into()),
                "since" => since(arg).map(Action::Since),
                other => Err(format!("{other:?} takes no argument")),
            };
        }
        if let Some(n) = s
            .strip_prefix("favourite")
            .or_else(|| s.strip_prefix("favorite"))
            && let Some(a) = favourite(n)
        {
            return Ok(a);
        }
        NAMED
            .iter()
            .find(|(name, ..)| *name == s)
            .map(|(_, a, _)| a.clone())
            .ok_or_else(|| format!("unknown action {s:?}"))
    }

    /// What the action does, for help and hints.
    pub fn describe(&self) -> String {
        match self {
            Action::Favourite(n) => format!("favourite namespace {n}"),
            Action::Run(cmd) => format!("run :{cmd}"),
            Action::Since(Since::Tail) => "logs: the last lines of each container".into(),
            Action::Since(Since::All) => "logs: everything".into(),
            Action::Since(Since::Seconds(s)) => {
                format!("logs: the last {}", span(*s))
            }
            a => NAMED
                .iter()
                .find(|(_, named, _)| named == a)
                .map(|(_, _, what)| what.to_string())
                .unwrap_or_default(),
        }
    }

    /// The help screen's order: the table above, then favourites by number, then commands.
    pub fn order(&self) -> (usize, u8, &str) {
        match self {
            Action::Favourite(n) => (NAMED.len(), *n, ""),
            Action::Run(cmd) => (NAMED.len() + 1, 0, cmd),
            Action::Since(s) => (
                NAMED.len() + 2,
                match s {
                    Since::Tail => 0,
                    Since::All => 1,
                    Since::Seconds(n) => u8::try_from(n / 60 + 2).unwrap_or(u8::MAX),
                },
                "",
            ),
            a => (
                NAMED
                    .iter()
                    .position(|(_, named, _)| named == a)
                    .unwrap_or(0),
                0,
                "",
            ),
        }
    }
}

fn since(arg: &str) -> Result<Since, String> {
    match arg.trim() {
        "tail" => Ok(Since::Tail),
        "all" => Ok(Since::All),
        d => {
            // The unit is the last character, which may be any character the user typed.
            let mut number = d.chars();
            let unit = match number.next_back() {
                Some('s') => 1,
                Some('m') => 60,
                Some('h') => 3600,
                Some('d') => 86400,
                _ => 0,
            };
            number
                .as_str()
                .parse::<u32>()
                .ok()
                .and_then(|n| n.checked_mul(unit))
                .filter(|s| *s > 0)
                .map(Since::Seconds)
                .ok_or_else(|| format!("since takes tail, all or a duration (5m), not {d:?}"))
        }
    }
}

/// 90 → "90s", 300 → "5m", 3600 → "1h".
fn span(s: u32) -> String {
    match s {
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn favourite(n: &str) -> Option<Action> {
    match n.trim().parse::<u8>() {
        Ok(n @ 1..=9) => Some(Action::Favourite(n)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_data() {
        assert_eq!(Action::parse("describe"), Ok(Action::Describe));
        assert_eq!(Action::parse("favourite(3)"), Ok(Action::Favourite(3)));
        assert_eq!(Action::parse("favourite3"), Ok(Action::Favourite(3)));
        assert_eq!(
            Action::parse("command(\"deploy -A\")"),
            Ok(Action::Run("deploy -A".into()))
        );
        assert_eq!(
            Action::parse("command(po @prod)"),
            Ok(Action::Run("po @prod".into()))
        );
        assert_eq!(
            Action::parse("since(15m)"),
            Ok(Action::Since(Since::Seconds(900)))
        );
        assert_eq!(Action::parse("since(all)"), Ok(Action::Since(Since::All)));
        assert!(Action::parse("since(soon)").is_err());
        // A unit of more than one byte is refused, not cut in the middle.
        assert_eq!(
            Action::parse("since(5µ)"),
            Err("since takes tail, all or a duration (5m), not \"5µ\"".into())
        );
        assert!(Action::parse("since(é)").is_err());
        assert!(Action::parse("favourite(12)").is_err());
        assert!(Action::parse("command()").is_err());
        assert!(Action::parse("explode").is_err());
        assert!(Action::parse("describe(x)").is_err());
    }

    #[test]
    fn every_named_action_has_a_description_and_a_place() {
        for (i, (name, a, what)) in NAMED.iter().enumerate() {
            assert_eq!(Action::parse(name).as_ref(), Ok(a));
            assert_eq!(a.describe(), *what);
            assert_eq!(a.order().0, i);
        }
    }
}
