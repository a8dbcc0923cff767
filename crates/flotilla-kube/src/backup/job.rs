//! Backup work the TUI asks for, carried out off the UI thread by the executor: a new
//! archive in the backup directory, or a restore's plan.

pub use flotilla_core::backup::job::*;

use super::archive::{self, SecretsBy};
use super::keys::{self, Sealing};
use super::restore::{self, Options};
use super::shelf::{self, BackupSettings};
use super::{Selection, collect};
use std::path::{Path, PathBuf};

pub async fn run(
    client: &kube::Client,
    context: &str,
    server: &str,
    job: Job,
) -> Result<Done, String> {
    match job {
        Job::Create {
            selection,
            settings,
        } => create(client, context, server, &selection, &settings).await,
        Job::Plan {
            file,
            opts,
            settings,
        } => plan(client, context, &file, &opts, &settings).await,
    }
}

async fn create(
    client: &kube::Client,
    context: &str,
    server: &str,
    selection: &Selection,
    settings: &BackupSettings,
) -> Result<Done, String> {
    let configured = settings.recipients_file();
    let files: Vec<&Path> = configured.iter().map(PathBuf::as_path).collect();
    let sealing = match keys::sealing(&settings.recipients, &files, None)? {
        Some(s) => s,
        None if !selection.wants_secrets() => Sealing::Plain,
        None => {
            return Err("Secrets need a key: set [backup] recipients in config.toml (flotilla backup keygen makes one)".into());
        }
    };
    let got = collect::collect(client, context, server, selection).await?;
    let created = got
        .manifest
        .created
        .parse()
        .unwrap_or_else(|_| jiff::Timestamp::now());
    let path = settings
        .dir()
        .join(shelf::file_name(context, &selection.namespaces, created));
    // Encrypting and writing thousands of files is no work for the async threads.
    let (manifest, size, path) = tokio::task::spawn_blocking(move || {
        archive::write(&path, got.manifest, &got.objects, &sealing).map(|(m, size)| (m, size, path))
    })
    .await
    .map_err(|e| format!("backup stopped: {e}"))??;
    let shelf = shelf::list(&settings.dir())?;
    for old in shelf::to_prune(&shelf, settings, jiff::Timestamp::now()) {
        let _ = std::fs::remove_file(old);
    }
    Ok(Done::Created {
        line: manifest.summary_line(&path, size),
        path,
    })
}

async fn plan(
    client: &kube::Client,
    context: &str,
    file: &Path,
    opts: &Options,
    settings: &BackupSettings,
) -> Result<Done, String> {
    // Reading and checking an archive of thousands of files is no work for the async threads.
    let path = file.to_path_buf();
    let opened = tokio::task::spawn_blocking(move || archive::open(&path))
        .await
        .map_err(|e| format!("restore stopped: {e}"))??;
    let opening = match opened.sealed_secrets() {
        true => Some(
            keys::opening(settings.identity_file().as_deref(), None)?.ok_or_else(|| {
                "this archive's Secrets are encrypted: set [backup] identity-file in config.toml (or restore with flotilla backup restore)".to_string()
            })?,
        ),
        false => None,
    };
    let secrets = match &opening {
        Some(o) => SecretsBy::Opening(o),
        None => SecretsBy::NotNeeded,
    };
    let objects = opened.objects(secrets)?;
    let plan = restore::plan(client, context, objects, opts).await?;
    Ok(Done::Planned {
        plan: Box::new(plan),
        archive: file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    })
}
