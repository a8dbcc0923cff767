//! Command-line interface.

use clap::Parser;
use std::path::PathBuf;

#[derive(Parser, Debug, Default)]
#[command(
    name = "flotilla",
    version,
    about = "A terminal UI for operating many Kubernetes clusters at once"
)]
pub struct Cli {
    /// Kubeconfig file(s); repeatable. Default: $KUBECONFIG (list), else ~/.kube/config.
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Vec<PathBuf>,
    /// Context name or glob to watch; repeatable (e.g. --context 'prod-*').
    #[arg(long, value_name = "NAME")]
    pub context: Vec<String>,
    /// Watch every context in the kubeconfig.
    #[arg(short = 'A', long)]
    pub all_contexts: bool,
    /// Watch a named fleet (a group of contexts from config.toml).
    #[arg(long, value_name = "NAME")]
    pub fleet: Option<String>,
    /// Theme name (dark, light, high-contrast, or one in the config dir's themes/).
    #[arg(long)]
    pub theme: Option<String>,
    /// Command to open first, as typed after ':' (e.g. "deploy -A", "po @prod").
    #[arg(short = 'c', long, value_name = "CMD")]
    pub command: Option<String>,
    /// Log file (default: flotilla.log in the state dir). Logs never go to the screen.
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,
}
