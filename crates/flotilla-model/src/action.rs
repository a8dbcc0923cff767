//! Everything a key can do. Keymap files name these (`describe`, `favourite(3)`,
//! `command("deploy -A")`), so every action is rebindable, a key can run a whole command,
//! and the help screen is generated from the same table.

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    /// Open the `:` prompt.
    Command,
    Filter,
    Help,
    Back,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Enter,
    Describe,
    Yaml,
    Edit,
    Reveal,
    Copy,
    Contexts,
    ToggleContext,
    SortName,
    SortAge,
    SortStatus,
    SortNamespace,
    SortColumn,
    ColumnLeft,
    ColumnRight,
    AllNamespaces,
    /// Scope the list to favourite namespace N (1–9).
    Favourite(u8),
    Logs,
    Shell,
    Attach,
    PortForward,
    /// Mark / unmark the row under the cursor (marks span clusters and kinds).
    Mark,
    ClearMarks,
    /// Delete the selected (or marked) objects; stop a port-forward in `:pf`.
    Delete,
    Follow,
    Wrap,
    Timestamps,
    Since(Since),
    TailLines,
    Previous,
    Containers,
    Prefix,
    Json,
    Find,
    FindNext,
    FindPrevious,
    /// Start / end a selection of lines.
    Select,
    Save,
    /// Run a `:` command line, as if typed.
    Run(String),
    /// Every action for the selected object, with those not allowed shown disabled.
    Actions,
    Kill,
    ForceDelete,
    DeleteOrphan,
    Scale,
    Stop,
    Start,
    Restart,
    Pause,
    Resume,
    SetImage,
    Rollback,
    /// Compare the two marked objects (or the marked one and the selected one): drift.
    Diff,
    Labels,
    Annotations,
    Cordon,
    Uncordon,
    Drain,
    Taints,
    Trigger,
    Suspend,
    Strategy,
    Autoscale,
    /// Editor: have the server check the edit (a dry run) and review what would change.
    Submit,
    /// Review: apply the change.
    Apply,
    /// Review: also apply the edit to the same object on other clusters.
    ApplyAlso,
    Undo,
    Redo,
    /// Triage: one row for the same problem on several clusters; events: one per object.
    Collapse,
    /// Events: Warnings only, or every event.
    Warnings,
    /// Helm: the values the user supplied to the release.
    Values,
    /// Helm: the values it was rendered with (the chart's defaults under the user's).
    AllValues,
    /// Helm: the rendered manifest.
    Manifest,
    /// Helm: the chart's notes.
    Notes,
    /// Helm: the hooks' manifests.
    Hooks,
    /// Helm: the objects the manifest names, live, with their drift from it.
    Objects,
    /// Inspect: run the checks again.
    Rerun,
    /// Inspect: the scores per namespace and category, or the findings.
    Scores,
    /// Velero: create a Backup (a form).
    Backup,
    /// Restore the selected backup: a Velero Backup, or a flotilla archive (a form).
    Restore,
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

/// The actions without data, in the order the help screen lists them, with what they do.
const NAMED: &[(&str, Action, &str)] = &[
    (
        "command",
        Action::Command,
        "command prompt (:pods, :deploy kube-system, :po @prod, :ctx)",
    ),
    (
        "filter",
        Action::Filter,
        "filter rows (text, regex, !inverse, -l label=x, -f fuzzy)",
    ),
    (
        "enter",
        Action::Enter,
        "drill down (workload → pods, node → pods, namespace → pods, CRD → instances)",
    ),
    ("describe", Action::Describe, "describe"),
    ("yaml", Action::Yaml, "YAML"),
    (
        "edit",
        Action::Edit,
        "edit the YAML (in-app, or $EDITOR with editor = \"external\"): dry-run diff, then apply",
    ),
    ("reveal", Action::Reveal, "reveal / mask Secret values"),
    ("copy", Action::Copy, "copy name (or text) to the clipboard"),
    (
        "logs",
        Action::Logs,
        "logs of the selected (or marked) pods, workloads, services, nodes",
    ),
    ("shell", Action::Shell, "shell in the selected container"),
    ("attach", Action::Attach, "attach to the selected container"),
    (
        "port-forward",
        Action::PortForward,
        "port-forward to the selected pod, service or workload",
    ),
    (
        "mark",
        Action::Mark,
        "mark / unmark row (across views and clusters)",
    ),
    ("clear-marks", Action::ClearMarks, "clear every mark"),
    (
        "delete",
        Action::Delete,
        "delete the selected (or marked) objects; stop a port-forward",
    ),
    (
        "actions",
        Action::Actions,
        "every action for the selected object (those not allowed: why)",
    ),
    ("kill", Action::Kill, "kill: delete with grace 0"),
    (
        "force-delete",
        Action::ForceDelete,
        "force delete (stuck terminating pods)",
    ),
    (
        "delete-orphan",
        Action::DeleteOrphan,
        "delete, keeping dependents (orphan)",
    ),
    (
        "scale",
        Action::Scale,
        "scale (on pods `s` is the shell, on cron jobs suspend/resume)",
    ),
    (
        "stop",
        Action::Stop,
        "stop: scale to 0, remembering the count",
    ),
    (
        "start",
        Action::Start,
        "start: scale back to the remembered count",
    ),
    (
        "restart",
        Action::Restart,
        "rollout restart (on nodes: drain)",
    ),
    ("pause", Action::Pause, "pause a rollout"),
    ("resume", Action::Resume, "resume a rollout"),
    ("set-image", Action::SetImage, "set container images"),
    (
        "rollback",
        Action::Rollback,
        "revisions: roll back to one (diff against the current)",
    ),
    (
        "diff",
        Action::Diff,
        "diff the two marked objects (the same one on two clusters): drift",
    ),
    ("labels", Action::Labels, "add, change, remove labels"),
    (
        "annotations",
        Action::Annotations,
        "add, change, remove annotations",
    ),
    (
        "cordon",
        Action::Cordon,
        "cordon the node (on other kinds: copy)",
    ),
    ("uncordon", Action::Uncordon, "uncordon the node"),
    (
        "drain",
        Action::Drain,
        "drain the node (evictions respect PodDisruptionBudgets)",
    ),
    ("taints", Action::Taints, "add / remove node taints"),
    ("trigger", Action::Trigger, "run the cron job now"),
    ("suspend", Action::Suspend, "suspend / resume the cron job"),
    (
        "strategy",
        Action::Strategy,
        "update strategy (maxSurge, maxUnavailable, partition)",
    ),
    (
        "autoscale",
        Action::Autoscale,
        "autoscaler min/max replicas and CPU target",
    ),
    ("follow", Action::Follow, "follow / pause"),
    ("wrap", Action::Wrap, "wrap long lines"),
    ("timestamps", Action::Timestamps, "show timestamps"),
    (
        "tail-lines",
        Action::TailLines,
        "lines per container to start with",
    ),
    ("previous", Action::Previous, "previous container's logs"),
    ("containers", Action::Containers, "choose containers"),
    ("prefix", Action::Prefix, "show / hide the source prefix"),
    ("json", Action::Json, "JSON lines: raw, fields, pretty"),
    ("find", Action::Find, "search (regex)"),
    ("find-next", Action::FindNext, "next match"),
    ("find-previous", Action::FindPrevious, "previous match"),
    ("select", Action::Select, "start / end a selection of lines"),
    ("save", Action::Save, "save the lines shown to a file"),
    ("up", Action::Up, "move up"),
    ("down", Action::Down, "move down"),
    ("page-up", Action::PageUp, "page up"),
    ("page-down", Action::PageDown, "page down"),
    ("top", Action::Top, "first row"),
    ("bottom", Action::Bottom, "last row"),
    ("sort-name", Action::SortName, "sort by name"),
    ("sort-age", Action::SortAge, "sort by age"),
    (
        "sort-status",
        Action::SortStatus,
        "sort by status (top: by CPU / memory)",
    ),
    ("sort-namespace", Action::SortNamespace, "sort by namespace"),
    (
        "sort-column",
        Action::SortColumn,
        "sort by the chosen column",
    ),
    (
        "column-left",
        Action::ColumnLeft,
        "choose column to the left",
    ),
    (
        "column-right",
        Action::ColumnRight,
        "choose column to the right",
    ),
    ("all-namespaces", Action::AllNamespaces, "all namespaces"),
    ("contexts", Action::Contexts, "contexts"),
    (
        "toggle-context",
        Action::ToggleContext,
        "add / remove context from the live set",
    ),
    ("back", Action::Back, "back / clear filter"),
    ("help", Action::Help, "this help"),
    ("quit", Action::Quit, "quit"),
    (
        "submit",
        Action::Submit,
        "editor: check the edit with the server (dry run) and review it",
    ),
    ("apply", Action::Apply, "review: apply the change"),
    (
        "apply-also",
        Action::ApplyAlso,
        "review: also apply it to the same object on other clusters",
    ),
    ("undo", Action::Undo, "undo"),
    ("redo", Action::Redo, "redo"),
    (
        "collapse",
        Action::Collapse,
        "triage: fold the same problem on several clusters into one row; events: group by object; top: pods / nodes",
    ),
    (
        "warnings",
        Action::Warnings,
        "events: Warnings only / every event",
    ),
    ("values", Action::Values, "helm: user-supplied values"),
    (
        "all-values",
        Action::AllValues,
        "helm: computed values (chart defaults under the user's)",
    ),
    ("manifest", Action::Manifest, "helm: rendered manifest"),
    ("notes", Action::Notes, "helm: the chart's notes"),
    ("hooks", Action::Hooks, "helm: hook manifests"),
    (
        "objects",
        Action::Objects,
        "helm: the manifest's objects, live, with drift from the manifest",
    ),
    ("rerun", Action::Rerun, "inspect: run the checks again"),
    (
        "scores",
        Action::Scores,
        "inspect: the scores per namespace and category, or the findings",
    ),
    ("backup", Action::Backup, "velero: create a Backup (form)"),
    (
        "restore",
        Action::Restore,
        "restore the selected backup (a form; a plan first for flotilla archives)",
    ),
];

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
