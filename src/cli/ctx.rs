//! `flotilla ctx`: contexts flotilla imports from a kubeconfig (a file, or `-` for standard
//! input), each connected before it is saved to flotilla's own directory; never the user's
//! kubeconfig (`cluster::imported`).

use crate::cluster::{imported, kubeconfig};
use crate::ops::audit::AuditLog;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(clap::Subcommand, Debug, Clone, PartialEq)]
pub enum CtxCommand {
    /// Import the contexts of a kubeconfig (a file, or - for standard input). Each is
    /// connected first; those that answer are saved, 0600, to contexts/ in flotilla's config
    /// directory. Your kubeconfig is never written.
    Add {
        /// The kubeconfig: a path, or - to read it from standard input.
        source: String,
        /// Import context OLD as NEW (a name that is taken must be renamed); repeatable.
        #[arg(long, value_name = "OLD=NEW")]
        rename: Vec<String>,
        /// Save the contexts that did not answer too.
        #[arg(long)]
        force: bool,
    },
    /// Remove a context flotilla imported.
    Rm { name: String },
    /// The contexts flotilla imported, with their servers and files.
    List,
}

/// What `flotilla ctx …` says on stdout; an error is the user's, one line.
pub async fn run(
    action: &CtxCommand,
    kubeconfigs: &[PathBuf],
    read_only: bool,
    audit_log: PathBuf,
) -> Result<(), String> {
    let log = || {
        AuditLog::open(audit_log.clone())
            .map(Arc::new)
            .map_err(|e| {
                format!(
                    "the audit log {} cannot be opened: {e}",
                    audit_log.display()
                )
            })
    };
    let refuse =
        |what: &str| format!("read-only: {what} (--read-only or read-only in config.toml)");
    match action {
        CtxCommand::List => {
            let list = imported::list();
            let width = list
                .iter()
                .map(|(_, n, _)| n.chars().count())
                .max()
                .unwrap_or(0);
            let wide = list
                .iter()
                .map(|(_, _, s)| s.chars().count())
                .max()
                .unwrap_or(0);
            let mut out = String::new();
            for (file, name, server) in list {
                out.push_str(&format!(
                    "{name:width$}  {server:wide$}  {}\n",
                    file.display()
                ));
            }
            super::print(&out)
        }
        CtxCommand::Rm { name } => {
            if read_only {
                return Err(refuse("nothing is removed"));
            }
            let path = imported::forget(&log()?, name).await?;
            super::print(&format!("{name} removed from {}\n", path.display()))
        }
        CtxCommand::Add {
            source,
            rename,
            force,
        } => {
            if read_only {
                return Err(refuse("nothing is imported"));
            }
            let renames = rename
                .iter()
                .map(|r| {
                    r.split_once('=')
                        .map(|(a, b)| (a.to_string(), b.to_string()))
                        .ok_or_else(|| format!("--rename {r:?}: write OLD=NEW"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let source = match source.as_str() {
                "-" => {
                    let mut text = String::new();
                    std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                        .map_err(|e| format!("standard input: {e}"))?;
                    imported::Source::Text(text)
                }
                path => imported::Source::File(PathBuf::from(path)),
            };
            let kc = imported::renamed(imported::read(source)?, &renames)?;
            let mut known: Vec<String> =
                kubeconfig::load(&kubeconfig::kubeconfig_paths(kubeconfigs))
                    .map(|k| k.contexts.into_iter().map(|c| c.name).collect())
                    .unwrap_or_default();
            known.extend(imported::list().into_iter().map(|(_, name, _)| name));
            if let Some(name) = imported::taken(&kc, &known).first() {
                return Err(format!(
                    "a context named {name:?} exists already: import it as another with --rename {name}=NEW"
                ));
            }
            let probed = imported::probe(&kc).await;
            let mut keep = Vec::new();
            let mut said = String::new();
            for p in &probed {
                match &p.result {
                    Ok((version, identity)) => {
                        said.push_str(&format!(
                            "{}: {} answers: {version} as {}\n",
                            p.context,
                            p.server,
                            identity.as_deref().unwrap_or("an unknown identity")
                        ));
                        keep.push(p.context.clone());
                    }
                    Err(why) => {
                        said.push_str(&format!(
                            "{}: {} does not answer: {why}\n",
                            p.context, p.server
                        ));
                        if *force {
                            keep.push(p.context.clone());
                        }
                    }
                }
            }
            super::print(&said)?;
            if keep.is_empty() {
                return Err(
                    "no context answered: nothing imported (--force saves them anyway)".into(),
                );
            }
            let (path, saved) = imported::add(&log()?, &kc, &keep).await?;
            let names: Vec<String> = saved.contexts.iter().map(|c| c.name.clone()).collect();
            let skipped = probed.len() - names.len();
            let mut out = format!("imported {} to {}\n", names.join(", "), path.display());
            if skipped > 0 {
                out.push_str(&format!(
                    "{skipped} context(s) that did not answer not imported (--force saves them anyway)\n"
                ));
            }
            super::print(&out)
        }
    }
}
