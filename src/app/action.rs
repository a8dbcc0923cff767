//! Everything a key can do. Keymap files name these in kebab-case, so every action is
//! rebindable and the help screen is generated from the same table.

use serde::Deserialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Quit,
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
    Favourite1,
    Favourite2,
    Favourite3,
    Favourite4,
    Favourite5,
    Favourite6,
    Favourite7,
    Favourite8,
    Favourite9,
}

impl Action {
    pub fn describe(self) -> &'static str {
        use Action::*;
        match self {
            Quit => "quit",
            Command => "command prompt (:pods, :deploy kube-system, :po @prod, :ctx)",
            Filter => "filter rows (text, regex, !inverse, -l label=x, -f fuzzy)",
            Help => "this help",
            Back => "back / clear filter",
            Up => "move up",
            Down => "move down",
            PageUp => "page up",
            PageDown => "page down",
            Top => "first row",
            Bottom => "last row",
            Enter => "drill down (workload → pods, node → pods, namespace → pods, CRD → instances)",
            Describe => "describe",
            Yaml => "YAML",
            Reveal => "reveal / mask Secret values",
            Copy => "copy name (or text) to the clipboard",
            Contexts => "contexts",
            ToggleContext => "add / remove context from the live set",
            SortName => "sort by name",
            SortAge => "sort by age",
            SortStatus => "sort by status",
            SortNamespace => "sort by namespace",
            SortColumn => "sort by the chosen column",
            ColumnLeft => "choose column to the left",
            ColumnRight => "choose column to the right",
            AllNamespaces => "all namespaces",
            Favourite1 | Favourite2 | Favourite3 | Favourite4 | Favourite5 | Favourite6
            | Favourite7 | Favourite8 | Favourite9 => "favourite namespace",
        }
    }

    pub fn favourite(self) -> Option<usize> {
        use Action::*;
        [
            Favourite1, Favourite2, Favourite3, Favourite4, Favourite5, Favourite6, Favourite7,
            Favourite8, Favourite9,
        ]
        .iter()
        .position(|a| *a == self)
    }
}
