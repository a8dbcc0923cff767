//! `flotilla backup`: create archives (from cron or a systemd timer on the jump host too),
//! list and inspect them, prune old ones, and restore one into a cluster with a plan first.
//! Whatever is the user's to fix is an `Err` of one line (exit 2).

use super::{Targets, eprint, print};
use crate::backup::archive::{self, SecretsBy};
use crate::backup::keys::{self, Opening, Sealing};
use crate::backup::restore::{self, Action, DryRun, Existing, Options, Plan};
use crate::backup::shelf::{self, BackupSettings};
use crate::backup::{Manifest, Selection, collect};
use crate::cluster::connection;
use crate::cluster::kubeconfig::server_of;
use crate::ops::audit::AuditLog;
use kube::config::Kubeconfig;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(clap::Args, Debug, Clone, PartialEq)]
pub struct BackupArgs {
    #[command(subcommand)]
    pub action: BackupCommand,
}

#[derive(clap::Subcommand, Debug, Clone, PartialEq)]
pub enum BackupCommand {
    /// Back up namespaces of a cluster (or several: one archive each) to an archive.
    Create(CreateArgs),
    /// Restore an archive into a cluster: a plan first (every object checked by a
    /// server-side dry run; in read-only mode by reads alone), then confirmation, then the
    /// changes in dependency order.
    Restore(RestoreArgs),
    /// Print an archive's manifest after checking every file against it.
    Inspect {
        file: PathBuf,
        /// The manifest as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The archives in the backup directory, newest first.
    List {
        /// Another directory (default: `[backup] dir`, else the state dir's backups/).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Make an age identity (as age-keygen does): written 0600 to FILE, its recipient
    /// (age1…, for --recipient or `[backup] recipients`) printed.
    Keygen {
        #[arg(short = 'o', long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Remove the archives retention (`[backup] keep-last`, `keep-days`) no longer keeps.
    Prune {
        /// Only say what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(clap::Args, Debug, Clone, PartialEq, Default)]
pub struct CreateArgs {
    #[command(flatten)]
    pub targets: Targets,
    /// Namespaces to back up, comma-separated or repeated.
    #[arg(
        short = 'n',
        long = "namespace",
        value_name = "NS",
        value_delimiter = ',',
        required = true
    )]
    pub namespaces: Vec<String>,
    /// Only objects with these labels (kubectl's -l grammar).
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Only these kinds (deployments,configmaps,databases.demo.example…).
    #[arg(long, value_name = "KINDS", value_delimiter = ',')]
    pub kinds: Vec<String>,
    /// The archive (default: a new file in the backup directory, then retention runs).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Encrypt Secrets to this age X25519 recipient (age1…); repeatable.
    #[arg(long, value_name = "AGE1…")]
    pub recipient: Vec<String>,
    /// Encrypt Secrets to the recipients in this file (one per line).
    #[arg(long, value_name = "FILE")]
    pub recipients_file: Option<PathBuf>,
    /// Encrypt Secrets with the passphrase on this file's first line (else
    /// $FLOTILLA_BACKUP_PASSPHRASE).
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Store Secrets in plain text (anyone who can read the archive can read them).
    #[arg(long)]
    pub no_encrypt_secrets: bool,
}

#[derive(clap::Args, Debug, Clone, PartialEq, Default)]
pub struct RestoreArgs {
    pub file: PathBuf,
    #[command(flatten)]
    pub targets: Targets,
    /// Restore namespace FROM as TO: shop=shop-copy,data=data-copy.
    #[arg(long, value_name = "FROM=TO")]
    pub namespace_map: Option<String>,
    /// Only the archive's objects with these labels (their namespaces and CRDs come too).
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// What to do with objects the cluster has and that differ: leave them (skip) or apply
    /// the archive's version over them (update).
    #[arg(long, value_enum, default_value_t = Existing::Skip)]
    pub existing: Existing,
    /// The age identity file that opens the archive's Secrets (default: `[backup]
    /// identity-file`).
    #[arg(long, value_name = "FILE")]
    pub identity: Option<PathBuf>,
    /// The passphrase that opens them, on this file's first line (else
    /// $FLOTILLA_BACKUP_PASSPHRASE).
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Restore without the archive's Secrets.
    #[arg(long)]
    pub skip_secrets: bool,
    /// Print the plan and stop (in read-only mode, the only restore allowed).
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask before changing the cluster (for scripts).
    #[arg(short = 'y', long)]
    pub yes: bool,
}

impl BackupCommand {
    /// The clusters it works on, when it works on any.
    pub fn targets(&self) -> Option<&Targets> {
        match self {
            BackupCommand::Create(a) => Some(&a.targets),
            BackupCommand::Restore(a) => Some(&a.targets),
            _ => None,
        }
    }
}

/// The subcommands that read only local files.
pub fn run_local(action: &BackupCommand, settings: &BackupSettings) -> Result<(), String> {
    match action {
        BackupCommand::Inspect { file, json } => inspect(file, *json),
        BackupCommand::List { dir } => list(&dir.clone().unwrap_or_else(|| settings.dir())),
        BackupCommand::Prune { dry_run } => prune(settings, *dry_run).map(|_| ()),
        BackupCommand::Keygen { output } => keygen(output),
        _ => Err("this backup subcommand needs a cluster (a bug)".into()),
    }
}

/// Whether restoring into `context` is allowed in this session.
pub struct Guard<'a> {
    pub read_only: &'a dyn Fn(&str) -> bool,
    pub protected: &'a dyn Fn(&str) -> bool,
    pub audit_log: PathBuf,
}

pub async fn run(
    kubeconfig: Kubeconfig,
    contexts: &[String],
    settings: &BackupSettings,
    guard: &Guard<'_>,
    action: &BackupCommand,
) -> Result<(), String> {
    match action {
        BackupCommand::Create(args) => create(kubeconfig, contexts, settings, args).await,
        BackupCommand::Restore(args) => {
            let [context] = contexts else {
                return Err(format!(
                    "backup restore goes into one context; {} were selected",
                    contexts.len()
                ));
            };
            restore(kubeconfig, context, settings, guard, args).await
        }
        other => run_local(other, settings),
    }
}

fn sealing(args: &CreateArgs, settings: &BackupSettings) -> Result<Option<Sealing>, String> {
    if args.no_encrypt_secrets {
        return Ok(Some(Sealing::Plain));
    }
    let configured = settings.recipients_file();
    let files: Vec<&Path> = args
        .recipients_file
        .iter()
        .chain(configured.iter())
        .map(PathBuf::as_path)
        .collect();
    let mut given = args.recipient.clone();
    given.extend(settings.recipients.iter().cloned());
    keys::sealing(&given, &files, args.passphrase_file.as_deref())
}

async fn create(
    kubeconfig: Kubeconfig,
    contexts: &[String],
    settings: &BackupSettings,
    args: &CreateArgs,
) -> Result<(), String> {
    let namespaces: Vec<String> = args
        .namespaces
        .iter()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    let selection = Selection {
        namespaces,
        selector: args.selector.clone(),
        kinds: args.kinds.clone(),
        objects: Vec::new(),
    };
    let sealing = match sealing(args, settings)? {
        Some(s) => s,
        None if !selection.wants_secrets() => Sealing::Plain,
        None => {
            return Err("Secrets would be stored unencrypted: give --recipient age1…, --recipients-file, --passphrase-file (or [backup] recipients), or --no-encrypt-secrets".into());
        }
    };
    if contexts.len() > 1 && args.output.as_ref().is_some_and(|o| !o.is_dir()) {
        return Err(format!(
            "-o names one file but {} contexts were selected: give a directory, or one context",
            contexts.len()
        ));
    }
    let mut shelved = false;
    for context in contexts {
        let client = connection::build_client(context, kubeconfig.clone())
            .await
            .map_err(|e| format!("{context}: {e}"))?;
        let server = server_of(&kubeconfig, context);
        let got = collect::collect(&client, context, &server, &selection).await?;
        let created: jiff::Timestamp = got
            .manifest
            .created
            .parse()
            .unwrap_or_else(|_| jiff::Timestamp::now());
        let name = shelf::file_name(context, &selection.namespaces, created);
        let path = match &args.output {
            Some(o) if o.is_dir() => o.join(name),
            Some(o) => o.clone(),
            None => {
                shelved = true;
                settings.dir().join(name)
            }
        };
        let (manifest, size) = archive::write(&path, got.manifest, &got.objects, &sealing)?;
        for w in &manifest.warnings {
            eprint(&format!("flotilla: warning: {w}\n"));
        }
        print(&format!("{}\n", manifest.summary_line(&path, size)))?;
    }
    if shelved {
        prune(settings, false)?;
    }
    Ok(())
}

fn inspect(file: &Path, json: bool) -> Result<(), String> {
    let checked = archive::check(file, &archive::Cancel::default())?;
    if json {
        let text = serde_json::to_string_pretty(&checked.manifest)
            .map_err(|e| format!("manifest: {e}"))?;
        return print(&format!("{text}\n"));
    }
    print(&archive::manifest_text(file, &checked))
}

fn list(dir: &Path) -> Result<(), String> {
    let shelf = shelf::list(dir)?;
    if shelf.is_empty() {
        return print(&format!("no archives in {}\n", dir.display()));
    }
    let mut out = format!(
        "{:<22} {:<14} {:<24} {:>8} {:>10}  FILE\n",
        "CREATED", "CONTEXT", "NAMESPACES", "OBJECTS", "SIZE"
    );
    for a in &shelf {
        let file = a
            .path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        match &a.manifest {
            Ok(m) => out.push_str(&format!(
                "{:<22} {:<14} {:<24} {:>8} {:>10}  {file}\n",
                m.created.split('.').next().unwrap_or(""),
                m.cluster.context,
                m.selection.namespaces.join(","),
                m.objects.len(),
                crate::human::bytes(a.size)
            )),
            Err(e) => out.push_str(&format!("{:<22} {e}\n", "(unreadable)")),
        }
    }
    print(&out)
}

fn prune(settings: &BackupSettings, dry_run: bool) -> Result<usize, String> {
    let dir = settings.dir();
    let shelf = shelf::list(&dir)?;
    let gone = shelf::to_prune(&shelf, settings, jiff::Timestamp::now());
    for p in &gone {
        if dry_run {
            print(&format!("would remove {}\n", p.display()))?;
        } else {
            std::fs::remove_file(p).map_err(|e| format!("{}: {e}", p.display()))?;
            print(&format!("removed {} (retention)\n", p.display()))?;
        }
    }
    Ok(gone.len())
}

fn keygen(path: &Path) -> Result<(), String> {
    use age::secrecy::ExposeSecret;
    use std::os::unix::fs::OpenOptionsExt;
    let id = age::x25519::Identity::generate();
    let recipient = id.to_public().to_string();
    let text = format!(
        "# created: {}\n# public key: {recipient}\n{}\n",
        jiff::Timestamp::now(),
        id.to_string().expose_secret()
    );
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    print(&format!("{recipient}\n"))
}

fn opening(args: &RestoreArgs, settings: &BackupSettings) -> Result<Option<Opening>, String> {
    let identity = args.identity.clone().or_else(|| settings.identity_file());
    keys::opening(identity.as_deref(), args.passphrase_file.as_deref())
}

async fn restore(
    kubeconfig: Kubeconfig,
    context: &str,
    settings: &BackupSettings,
    guard: &Guard<'_>,
    args: &RestoreArgs,
) -> Result<(), String> {
    // Everything that can be refused without the cluster is, before it is contacted.
    let read_only = (guard.read_only)(context);
    if read_only && !args.dry_run {
        return Err(format!(
            "read-only mode: {context} accepts no changes in this session (--dry-run shows the plan)"
        ));
    }
    let opened = archive::open(&args.file).map_err(|e| format!("{e}; nothing was restored"))?;
    let opening = if opened.sealed_secrets() && !args.skip_secrets {
        Some(opening(args, settings)?.ok_or_else(|| {
            "this archive's Secrets are encrypted: give --identity FILE or --passphrase-file FILE, or --skip-secrets to restore without them".to_string()
        })?)
    } else {
        None
    };
    let secrets = match (&opening, args.skip_secrets) {
        (Some(o), _) => SecretsBy::Opening(o),
        (None, true) => SecretsBy::Skipping,
        (None, false) => SecretsBy::NotNeeded,
    };
    let objects = opened
        .objects(secrets)
        .map_err(|e| format!("{}: {e}; nothing was restored", args.file.display()))?;
    let opts = Options {
        namespace_map: match &args.namespace_map {
            Some(m) => restore::parse_namespace_map(m)?,
            None => Default::default(),
        },
        selector: match &args.selector {
            Some(s) => {
                crate::kinds::selector::parse_selector(s).map_err(|e| format!("--selector: {e}"))?
            }
            None => Vec::new(),
        },
        existing: args.existing,
        // Read-only mode sends no write, dry runs included: its plan reads only.
        dry_run: if read_only {
            DryRun::Client
        } else {
            DryRun::Server
        },
    };
    let client = connection::build_client(context, kubeconfig.clone())
        .await
        .map_err(|e| format!("{context}: {e}"))?;
    let m = &opened.manifest;
    let plan = restore::plan(&client, context, objects, &opts).await?;
    print(&plan_text(&plan, m, &args.file))?;
    if args.dry_run {
        return Ok(());
    }
    if plan.changes() == 0 {
        return print("nothing to change\n");
    }
    confirm(&plan, context, (guard.protected)(context), args.yes)?;
    let log = AuditLog::open(guard.audit_log.clone()).map_err(|e| {
        format!(
            "not restored: the audit log {} cannot be opened: {e}",
            guard.audit_log.display()
        )
    })?;
    let audit = restore::Audit {
        log: Arc::new(log),
        batch: crate::ops::record::batch_id(),
        context: context.into(),
        server: server_of(&kubeconfig, context),
        identity: None,
        archive: args
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let applied = restore::apply(&client, &plan, &audit).await?;
    let mut out = String::new();
    let (mut done, mut failed) = (0, 0);
    for a in &applied {
        match &a.result {
            Ok(word @ ("created" | "updated")) => {
                done += 1;
                out.push_str(&format!("  {word:<10} {}\n", a.title));
            }
            Ok(_) => {}
            Err(e) => {
                failed += 1;
                out.push_str(&format!("  {:<10} {}: {e}\n", "FAILED", a.title));
            }
        }
    }
    out.push_str(&format!(
        "restored into {context}: {done} changed, {failed} failed (audit batch {})\n",
        audit.batch
    ));
    print(&out)?;
    if failed > 0 {
        return Err(format!(
            "{failed} of {} objects were not restored (listed above)",
            done + failed
        ));
    }
    Ok(())
}

/// The plan as printed: every object with its action, diffs under updates and skips.
pub fn plan_text(plan: &Plan, m: &Manifest, file: &Path) -> String {
    let mut out = format!(
        "restore plan: {} ({} from {}, {}) into {}\n",
        file.display(),
        m.selection.namespaces.join(", "),
        m.cluster.context,
        m.created.split('.').next().unwrap_or(""),
        plan.context
    );
    for s in &plan.steps {
        let why = s.action.why().map(|w| format!(": {w}")).unwrap_or_default();
        out.push_str(&format!("  {:<10} {}{why}\n", s.action.word(), s.title));
        if let Some(n) = &s.note {
            out.push_str(&format!("  {:<10} ({n})\n", ""));
        }
        if matches!(s.action, Action::Update | Action::Skip(_)) {
            for l in &s.diff {
                out.push_str(&format!("  {:<10}   {l}\n", ""));
            }
        }
    }
    out.push_str(&format!("plan: {}\n", plan.summary()));
    out
}

fn confirm(plan: &Plan, context: &str, protected: bool, yes: bool) -> Result<(), String> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(
            "restore changes the cluster: run it in a terminal to confirm, or pass --yes".into(),
        );
    }
    let (ask, want) = if protected {
        (
            format!(
                "{context} is protected: type its name to restore {} objects: ",
                plan.changes()
            ),
            context.to_string(),
        )
    } else {
        (
            format!(
                "restore {} objects into {context}? type yes: ",
                plan.changes()
            ),
            "yes".to_string(),
        )
    };
    eprint(&ask);
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| format!("stdin: {e}"))?;
    if answer.trim() != want {
        return Err("not confirmed; nothing was restored".into());
    }
    Ok(())
}
