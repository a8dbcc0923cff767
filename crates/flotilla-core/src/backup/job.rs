//! Backup work the TUI asks for (`Effect::Backup`) and its answer: a new archive in the backup
//! directory, or a restore's plan. The client layer's `backup::job::run` carries it out off the
//! UI thread. (The restore itself is an `Op::Restore` and takes the change path every mutation
//! takes.)

use super::Selection;
use super::restore::{Options, Plan};
use super::shelf::BackupSettings;
use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq)]
pub enum Job {
    /// Back these namespaces up into the backup directory (retention runs after).
    Create {
        selection: Selection,
        settings: BackupSettings,
    },
    /// Plan restoring the archive into the cluster.
    Plan {
        file: PathBuf,
        opts: Options,
        settings: BackupSettings,
    },
}

#[derive(Debug)]
pub enum Done {
    /// The new archive and the line that says what it holds.
    Created {
        path: PathBuf,
        line: String,
    },
    Planned {
        plan: Box<Plan>,
        archive: String,
    },
}
