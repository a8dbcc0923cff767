use clap::Parser;
use flotilla::app::App;
use flotilla::cli::{self, Cli, Command};
use flotilla::cluster::{credentials, kubeconfig};
use flotilla::executor::Executor;
use flotilla::files;
use flotilla::tui::Ended;
use std::process::ExitCode;
use std::time::Duration;

fn init_logging(cli: &Cli) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let path = match &cli.log_file {
        Some(path) => {
            files::create_private_dir(path.parent()?).ok()?;
            path.clone()
        }
        None => {
            let dirs = directories::ProjectDirs::from("", "", "flotilla")?;
            let state = dirs.state_dir().unwrap_or(dirs.cache_dir());
            files::own_private_dir(state).ok()?;
            state.join("flotilla.log")
        }
    };
    let file = files::append_private(&path).ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    let filter = tracing_subscriber::EnvFilter::try_from_env("FLOTILLA_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,kube=warn,hyper=warn,tower=warn")
    });
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .init();
    Some(guard)
}

/// Why flotilla could not run: the user's to fix (one line, exit 2), or a bug (a report).
enum Failure {
    User(String),
    Bug(color_eyre::Report),
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == credentials::GUARD_ARG) {
        let code = credentials::run_guard(&args[2..]);
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let cli = Cli::parse();
    let mode = match &cli.subcommand {
        // Audit tools run without the TUI, the runtime or the log file.
        Some(Command::Audit { action }) => return cli::run(action),
        Some(Command::Watch(w)) => {
            let mode = Mode::Watch {
                notify: w.notify,
                for_secs: w.for_secs,
            };
            return start(cli.merge(&w.targets), mode);
        }
        Some(Command::Inspect(args)) => {
            let mode = Mode::Inspect(args.clone());
            return start(cli.merge(&args.targets), mode);
        }
        Some(Command::Ctx { action }) => {
            let mode = Mode::Ctx(action.clone());
            let merged = Cli {
                read_only: cli.read_only,
                ..cli.merge(&Default::default())
            };
            return start(merged, mode);
        }
        Some(Command::Backup(args)) => {
            let targets = args.action.targets().cloned().unwrap_or_default();
            let merged = Cli {
                read_only: cli.read_only,
                ..cli.merge(&targets)
            };
            return start(merged, Mode::Backup(args.action.clone()));
        }
        None => Mode::Tui,
    };
    start(cli, mode)
}

/// The terminal UI, `flotilla watch` without a terminal, or one `flotilla inspect` report.
enum Mode {
    Tui,
    Watch { notify: bool, for_secs: Option<u64> },
    Inspect(cli::inspect::InspectArgs),
    Backup(cli::backup::BackupCommand),
    Ctx(cli::ctx::CtxCommand),
}

fn start(cli: Cli, mode: Mode) -> ExitCode {
    let log = init_logging(&cli);
    if let Err(e) = color_eyre::install() {
        cli::eprint(&format!("flotilla: {e}\n"));
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            cli::eprint(&format!("flotilla: cannot start the runtime: {e}\n"));
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli, mode));
    // A blocking thread that does not end (a child that ignores its signal) must not hold the
    // exit up.
    runtime.shutdown_timeout(Duration::from_millis(500));
    match result {
        Ok(Ended::Quit) => ExitCode::SUCCESS,
        Ok(Ended::Signal(signal)) => {
            drop(log);
            end_by(signal)
        }
        Err(Failure::User(msg)) => cli::user_error(&msg),
        Err(Failure::Bug(report)) => {
            // color-eyre's own colours around flotilla's own error chain (terminal I/O):
            // nothing remote to sanitize, and the colours are the point.
            eprintln!("{report:?}");
            ExitCode::FAILURE
        }
    }
}

/// Ends the process by `signal`, as it would have ended without a handler, once everything is
/// cleaned up: its parent (a shell, ssh, systemd) sees that a signal ended flotilla.
fn end_by(signal: libc::c_int) -> ExitCode {
    // SAFETY: gives one signal its default action back and raises it; the runtime that
    // handled it is gone.
    unsafe {
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
    // Not reached for SIGTERM, SIGHUP and SIGINT, whose default action ends the process; the
    // shell's way of saying it otherwise.
    ExitCode::from(128u8.saturating_add(u8::try_from(signal).unwrap_or(0)))
}

async fn run(cli: Cli, mode: Mode) -> Result<Ended, Failure> {
    let modes = flotilla::screens::modes();
    let mut config = flotilla::config::load(cli.theme.as_deref(), &modes)
        .map_err(|e| Failure::User(format!("configuration: {e}")))?;
    for hub in &cli.clusterpedia {
        let source = flotilla::settings::SourceSettings::clusterpedia(hub);
        if !config.settings.sources.contains(&source) {
            config.settings.sources.push(source);
        }
    }
    // Said before connecting anywhere: without webhooks there is nothing to watch for.
    if let Mode::Backup(action) = &mode
        && action.targets().is_none()
    {
        return cli::backup::run_local(action, &config.settings.backup)
            .map(|()| Ended::Quit)
            .map_err(Failure::User);
    }
    if let Mode::Ctx(action) = &mode {
        let read_only = cli.read_only || config.settings.read_only;
        let audit_log = flotilla::ops::audit::path_for(&config.settings);
        return cli::ctx::run(action, &cli.kubeconfig, read_only, audit_log)
            .await
            .map(|()| Ended::Quit)
            .map_err(Failure::User);
    }
    let watch = match mode {
        Mode::Tui | Mode::Inspect(_) | Mode::Backup(_) | Mode::Ctx(_) => None,
        Mode::Watch { notify: false, .. } => {
            return Err(Failure::User(
                "watch: nothing to do without --notify".into(),
            ));
        }
        Mode::Watch { for_secs, .. } => {
            let plan = flotilla::notify::Plan::from_settings(&config.settings.notify)
                .map_err(|e| Failure::User(format!("configuration: {e}")))?;
            if plan.hooks.is_empty() {
                return Err(Failure::User(
                    "watch --notify: no webhook configured ([[notify.webhook]] in config.toml)"
                        .into(),
                ));
            }
            Some((plan, for_secs))
        }
    };
    // The user's kubeconfig first (its names win), then the contexts flotilla imported.
    let mut paths = kubeconfig::kubeconfig_paths(&cli.kubeconfig);
    paths.extend(flotilla::cluster::imported::files());
    let mut loaded = kubeconfig::load(&paths).map_err(Failure::User)?;
    for p in &loaded.problems {
        tracing::warn!("kubeconfig: {p}");
    }
    // Credential plugins run under this binary's guard (deadline, clean errors).
    if let Ok(me) = std::env::current_exe() {
        credentials::guard_plugins(
            &mut loaded.config,
            &me,
            config.settings.credential_plugin_timeout(),
        );
    }
    let mut patterns = cli.context.clone();
    if let Some(fleet) = &cli.fleet {
        let members = config.settings.fleets.get(fleet).ok_or_else(|| {
            Failure::User(format!(
                "no fleet {fleet:?} in config.toml (known: {:?})",
                config.settings.fleets.keys().collect::<Vec<_>>()
            ))
        })?;
        patterns.extend(members.iter().cloned());
    }
    for source in &config.settings.sources {
        if !loaded.contexts.iter().any(|c| c.name == source.context) {
            return Err(Failure::User(format!(
                "no context named {:?} for the Clusterpedia index (--clusterpedia or [[sources]] in config.toml): name its hub's context",
                source.context
            )));
        }
    }
    // An index alone brings its clusters without the kubeconfig's current context.
    let index_only =
        patterns.is_empty() && !cli.all_contexts && !config.settings.sources.is_empty();
    let live = if index_only {
        Vec::new()
    } else {
        kubeconfig::select(&loaded, &patterns, cli.all_contexts).map_err(Failure::User)?
    };
    tracing::info!("starting with contexts {live:?}");
    if let Mode::Inspect(args) = &mode {
        say_problems(&loaded.problems);
        let settings = &config.settings.inspect;
        return cli::inspect::run(loaded.config, &live, settings, args)
            .await
            .map(|()| Ended::Quit)
            .map_err(Failure::User);
    }
    if let Mode::Backup(action) = &mode {
        say_problems(&loaded.problems);
        let mut policy = flotilla::app::mutate::Policy::from_settings(&config.settings);
        if cli.read_only {
            policy.make_read_only();
        }
        let guard = cli::backup::Guard {
            read_only: &|c| policy.read_only(c),
            protected: &|c| policy.protected(c),
            audit_log: flotilla::ops::audit::path_for(&config.settings),
        };
        let settings = &config.settings.backup;
        return cli::backup::run(loaded.config, &live, settings, &guard, action)
            .await
            .map(|()| Ended::Quit)
            .map_err(Failure::User);
    }

    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let audit_log = flotilla::ops::audit::path_for(&config.settings);
    let mut app = App::new(loaded.contexts, &live, config);
    if cli.read_only || watch.is_some() {
        app.policy.make_read_only();
    }
    if !loaded.problems.is_empty() {
        app.flash_error(format!("kubeconfig: {}", loaded.problems.join("; ")));
    }
    if let Some(cmd) = &cli.command {
        app.start_with(cmd);
    }
    debug_panic();
    let executor = Executor::new(loaded.config, tx).with_audit_log(audit_log);
    if let Some((plan, for_secs)) = watch {
        say_problems(&loaded.problems);
        return flotilla::cli::watch::run(app, executor, rx, &plan, for_secs)
            .await
            .map(|()| Ended::Quit)
            .map_err(Failure::User);
    }
    flotilla::tui::run(app, executor, rx)
        .await
        .map_err(Failure::Bug)
}

/// Kubeconfig problems on stderr, one line each (the file's text, sanitized), for the
/// subcommands that have no header to show them in.
fn say_problems(problems: &[String]) {
    for p in problems {
        cli::eprint(&format!("flotilla: kubeconfig: {p}\n"));
    }
}

/// Debug builds only: `FLOTILLA_DEBUG_PANIC=<ms>` panics in a background task after that
/// long, `FLOTILLA_DEBUG_PANIC=<path>` once that file exists, so the terminal tests can prove
/// a panic anywhere (during an edit too) restores the terminal and ends flotilla.
fn debug_panic() {
    #[cfg(debug_assertions)]
    if let Some(when) = std::env::var_os("FLOTILLA_DEBUG_PANIC") {
        tokio::spawn(async move {
            match when.to_str().and_then(|v| v.parse::<u64>().ok()) {
                Some(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
                None => {
                    while !std::path::Path::new(&when).exists() {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
            panic!("FLOTILLA_DEBUG_PANIC: a background task panicked on purpose");
        });
    }
}
