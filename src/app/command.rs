//! The `:` prompt language: `:pods`, `:po kube-system`, `:deploy web,shop`, `:po -A`,
//! `:pods @prod`, `:ctx`, `:help`, `:q`.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Quit,
    Help,
    Contexts,
    Resource {
        name: String,
        /// None: keep the current scope; Some(None): all namespaces.
        namespaces: Option<Option<Vec<String>>>,
        /// None: every live cluster; Some(names): only these contexts.
        clusters: Option<Vec<String>>,
    },
}

pub fn parse(input: &str) -> Result<Command, String> {
    let mut words = input.split_whitespace();
    let Some(head) = words.next() else {
        return Err("empty command".into());
    };
    match head {
        "q" | "q!" | "quit" | "exit" => return Ok(Command::Quit),
        "help" | "?" => return Ok(Command::Help),
        "ctx" | "context" | "contexts" => return Ok(Command::Contexts),
        _ => {}
    }
    let mut namespaces = None;
    let mut clusters = None;
    for w in words {
        if let Some(c) = w.strip_prefix('@') {
            clusters = if c.is_empty() || c == "all" {
                None
            } else {
                Some(
                    c.split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect(),
                )
            };
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

    #[test]
    fn parses_k9s_style_commands() {
        assert_eq!(parse("q").unwrap(), Command::Quit);
        assert_eq!(parse("ctx").unwrap(), Command::Contexts);
        assert_eq!(
            parse("pods kube-system").unwrap(),
            Command::Resource {
                name: "pods".into(),
                namespaces: Some(Some(vec!["kube-system".into()])),
                clusters: None
            }
        );
        assert_eq!(
            parse("po @prod").unwrap(),
            Command::Resource {
                name: "po".into(),
                namespaces: None,
                clusters: Some(vec!["prod".into()])
            }
        );
        assert_eq!(
            parse("deploy -A @dev,staging").unwrap(),
            Command::Resource {
                name: "deploy".into(),
                namespaces: Some(None),
                clusters: Some(vec!["dev".into(), "staging".into()])
            }
        );
        assert!(parse("po --bogus").is_err());
    }
}
