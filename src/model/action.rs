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
    /// Run a `:` command line, as if typed.
    Run(String),
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
        "open the YAML in $EDITOR (read-only: changes are shown, not applied)",
    ),
    ("reveal", Action::Reveal, "reveal / mask Secret values"),
    ("copy", Action::Copy, "copy name (or text) to the clipboard"),
    ("up", Action::Up, "move up"),
    ("down", Action::Down, "move down"),
    ("page-up", Action::PageUp, "page up"),
    ("page-down", Action::PageDown, "page down"),
    ("top", Action::Top, "first row"),
    ("bottom", Action::Bottom, "last row"),
    ("sort-name", Action::SortName, "sort by name"),
    ("sort-age", Action::SortAge, "sort by age"),
    ("sort-status", Action::SortStatus, "sort by status"),
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
