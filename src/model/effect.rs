//! What the app asks the outside world to do. `App::update` only returns these; the runner
//! carries them out (network tasks on tokio, the terminal for the clipboard and the editor), so
//! the app itself needs neither a runtime nor a terminal.

use super::cluster::ClusterId;
use super::resource::ResourceInfo;

#[derive(Debug, PartialEq)]
pub enum Effect {
    /// Start the connection task of a context (client, version, discovery, identity, health).
    Connect {
        cluster: ClusterId,
        context: String,
    },
    /// Stop it, with every watch and request of that connection.
    Disconnect {
        cluster: ClusterId,
    },
    /// List+watch one resource; events come back tagged with `generation`.
    Watch {
        cluster: ClusterId,
        generation: u64,
        res: ResourceInfo,
        /// Where to fall back when the cluster-wide list is forbidden (the context's namespace).
        fallback_namespace: Option<String>,
    },
    StopWatch {
        cluster: ClusterId,
        generation: u64,
    },
    /// GET one object (and, for describe, the events about it); answered by `Msg::Fetched`.
    Fetch {
        ticket: u64,
        cluster: ClusterId,
        path: String,
        events: Option<String>,
    },
    /// Put text on the clipboard (system clipboard or OSC 52).
    Copy(String),
    /// Suspend the TUI, open the text in `$EDITOR`, resume; answered by `Msg::Edited`.
    Edit {
        ticket: u64,
        /// A file name hint (`deployment-web.yaml`), so the editor picks its syntax.
        name: String,
        text: String,
    },
    Quit,
}
