//! The `:` prompt language: `:pods`, `:po kube-system`, `:deploy web,shop`, `:po -A`,
//! `:pods @prod`, `:q`, and the commands of the screens in the app's `screens::Catalog`
//! (`:ctx`, `:help`).

use crate::screens::Catalog;

#[derive(Clone, Debug)]
pub enum Command {
    Quit,
    /// A screen's command, with the rest of the line.
    Open {
        screen: &'static crate::screens::Command,
        args: String,
    },
    Resource {
        name: String,
        /// None: keep the current scope; Some(None): all namespaces.
        namespaces: Option<Option<Vec<String>>>,
        /// None: keep the current scope; Some(None): every live cluster (`@all`);
        /// Some(Some(names)): only these contexts.
        clusters: Option<Option<Vec<String>>>,
    },
}

pub fn parse(input: &str, screens: &Catalog) -> Result<Command, String> {
    let mut words = input.split_whitespace();
    let Some(head) = words.next() else {
        return Err("empty command".into());
    };
    if matches!(head, "q" | "q!" | "quit" | "exit") {
        return Ok(Command::Quit);
    }
    if let Some(screen) = screens.command(head) {
        let args = input.trim_start()[head.len()..].trim().to_string();
        return Ok(Command::Open { screen, args });
    }
    let mut namespaces = None;
    let mut clusters = None;
    for w in words {
        if let Some(c) = w.strip_prefix('@') {
            clusters = Some(if c.is_empty() || c == "all" {
                None
            } else {
                Some(
                    c.split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect(),
                )
            });
        } else if w == "-A" || w == "all" || w == "--all-namespaces" {
            namespaces = Some(None);
        } else if w.starts_with('-') {
            return Err(format!(
                "unknown option {w:?} (use NAMESPACE, -A or @CLUSTER)"
            ));
        } else {
            namespaces = Some(Some(
                w.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            ));
        }
    }
    Ok(Command::Resource {
        name: head.to_string(),
        namespaces,
        clusters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parsed = (
        String,
        Option<Option<Vec<String>>>,
        Option<Option<Vec<String>>>,
    );

    fn resource(line: &str) -> Parsed {
        match parse(line, &Catalog::default()).unwrap() {
            Command::Resource {
                name,
                namespaces,
                clusters,
            } => (name, namespaces, clusters),
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn parses_k9s_style_commands() {
        let screens = Catalog::default();
        assert!(matches!(parse("q", &screens).unwrap(), Command::Quit));
        assert!(
            matches!(parse("ctx", &screens).unwrap(), Command::Open { screen, .. } if screen.names.contains(&"ctx"))
        );
        assert_eq!(
            resource("pods kube-system"),
            ("pods".into(), Some(Some(vec!["kube-system".into()])), None)
        );
        assert_eq!(
            resource("po @prod"),
            ("po".into(), None, Some(Some(vec!["prod".into()])))
        );
        assert_eq!(
            resource("deploy -A @dev,staging"),
            (
                "deploy".into(),
                Some(None),
                Some(Some(vec!["dev".into(), "staging".into()]))
            )
        );
        assert_eq!(resource("po @all"), ("po".into(), None, Some(None)));
        assert!(parse("po --bogus", &screens).is_err());
    }
}
