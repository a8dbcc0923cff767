use clap::Parser;
use color_eyre::eyre::eyre;
use flotilla::app::App;
use flotilla::cli::Cli;
use flotilla::cluster::kubeconfig;

fn init_logging(cli: &Cli) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let path = cli.log_file.clone().or_else(|| {
        directories::ProjectDirs::from("", "", "flotilla")
            .map(|d| d.state_dir().unwrap_or(d.cache_dir()).join("flotilla.log"))
    })?;
    std::fs::create_dir_all(path.parent()?).ok()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .ok()?;
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

#[tokio::main]
async fn main() -> color_eyre::Result<()> {
    let cli = Cli::parse();
    let _guard = init_logging(&cli);
    color_eyre::install()?;
    let _ = rustls::crypto::ring::default_provider().install_default();

    let config =
        flotilla::config::load(cli.theme.as_deref()).map_err(|e| eyre!("configuration: {e}"))?;
    let loaded =
        kubeconfig::load(&kubeconfig::kubeconfig_paths(&cli.kubeconfig)).map_err(|e| eyre!(e))?;
    for p in &loaded.problems {
        tracing::warn!("kubeconfig: {p}");
    }
    let mut patterns = cli.context.clone();
    if let Some(fleet) = &cli.fleet {
        let members = config.settings.fleets.get(fleet).ok_or_else(|| {
            eyre!(
                "no fleet {fleet:?} in config.toml (known: {:?})",
                config.settings.fleets.keys().collect::<Vec<_>>()
            )
        })?;
        patterns.extend(members.iter().cloned());
    }
    let live = kubeconfig::select(&loaded, &patterns, cli.all_contexts).map_err(|e| eyre!(e))?;
    tracing::info!("starting with contexts {live:?}");

    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let mut app = App::new(loaded.config, loaded.contexts, &live, config, tx);
    if !loaded.problems.is_empty() {
        app.flash_error(format!("kubeconfig: {}", loaded.problems.join("; ")));
    }
    if let Some(cmd) = &cli.command {
        app.run_command(cmd);
    }
    flotilla::tui::run(app, rx).await
}
