//! Sessions that make something first, run while the TUI is suspended: a debug container
//! added to a pod (`kubectl debug -it --image=… --target=…`), and a shell on a node through a
//! privileged pod pinned to it, which is deleted when the shell ends.
//!
//! A debug container is the pod's ephemeral container: it cannot be removed again, so it is
//! made the way kubectl makes it (the image's own shell as its process, with stdin and a TTY)
//! and attached to; exiting that shell ends it. A node shell's pod sleeps, and the shell is a
//! command run in it (`nsenter` into PID 1's namespaces by default). Its pod carries a label
//! naming the user and machine, and its annotations the process: a later node shell of the
//! same user on the same machine deletes the pods a flotilla that was killed left behind.

use crate::cluster::request::timed;
use crate::model::ExecTarget;
use crate::protocol::effect::NodeShellPod;
use crate::shell::{Session, say};
use crate::text::clean;
use k8s_openapi::api::core::v1::{ContainerState, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;
use std::time::Duration;

/// How long a debug container or a node shell pod may take to start (an image pull).
const START_WITHIN: Duration = Duration::from_secs(90);
const POLL: Duration = Duration::from_millis(500);

/// The label every node shell pod carries; its value names the user and machine.
pub const NODE_SHELL_LABEL: &str = "flotilla.dev/node-shell";
const PID: &str = "flotilla.dev/pid";
const USER: &str = "flotilla.dev/user";
const HOST: &str = "flotilla.dev/host";

/// Adds a debug container of `image` to `target.pod`, sharing the processes of
/// `target.container` when one is named, waits for it to run, and attaches to it.
pub async fn debug(
    client: kube::Client,
    context: &str,
    target: ExecTarget,
    image: String,
) -> Result<String, String> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), &target.namespace);
    let name = format!("debugger-{}", crate::ops::build::random_suffix());
    let mut container = json!({
        "name": name,
        "image": image,
        "stdin": true,
        "tty": true,
        "terminationMessagePolicy": "File",
    });
    if let Some(t) = &target.container {
        container["targetContainerName"] = json!(t);
    }
    let at = format!(
        "{}/{}/{}",
        clean(context),
        clean(&target.namespace),
        clean(&target.pod)
    );
    say(&format!(
        "flotilla: adding debug container {name} ({}) to {at}…",
        clean(&image)
    ))
    .await;
    let patch = json!({"spec": {"ephemeralContainers": [container]}});
    timed(pods.patch_ephemeral_containers(
        &target.pod,
        &PatchParams::default(),
        &Patch::Strategic(patch),
    ))
    .await
    .map_err(|e| format!("debug container not added: {}", e.message))?;
    wait_for(&pods, &target.pod, |pod| {
        let status = pod
            .status
            .as_ref()?
            .ephemeral_container_statuses
            .as_ref()?
            .iter()
            .find(|s| s.name == name)?;
        state_says(status.state.as_ref()?)
    })
    .await
    .map_err(|e| format!("debug container {name}: {e}"))?;
    say("flotilla: if you see no prompt, press Enter").await;
    let target = ExecTarget {
        container: Some(name.clone()),
        ..target
    };
    crate::shell::run(client, context, target, Session::Attach).await?;
    Ok(format!(
        "debug session in {at} ended (its container {name} stays in the pod's spec)"
    ))
}

/// A shell on `node`: the pod is made, waited for, the shell run in it, and the pod deleted
/// whatever happened.
pub async fn node_shell(
    client: kube::Client,
    context: &str,
    node: &str,
    pod: NodeShellPod,
) -> Result<String, String> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), &pod.namespace);
    sweep(&pods).await;
    let where_ = format!("{}/{}", clean(&pod.namespace), clean(&pod.name));
    say(&format!(
        "flotilla: starting node shell pod {where_} ({}) on node {}…",
        clean(&pod.image),
        clean(node)
    ))
    .await;
    timed(pods.create(&PostParams::default(), &node_shell_object(node, &pod)))
        .await
        .map_err(|e| format!("node shell pod not made: {}", e.message))?;
    let ran = async {
        wait_for(&pods, &pod.name, |p| {
            let status = p.status.as_ref()?;
            match status.phase.as_deref() {
                Some("Failed" | "Succeeded") => Some(Err(format!(
                    "ended before the shell: {}",
                    clean(status.message.as_deref().unwrap_or("no reason given"))
                ))),
                _ => state_says(
                    status
                        .container_statuses
                        .as_ref()?
                        .first()?
                        .state
                        .as_ref()?,
                ),
            }
        })
        .await
        .map_err(|e| format!("node shell pod {where_}: {e}"))?;
        let target = ExecTarget {
            namespace: pod.namespace.clone(),
            pod: pod.name.clone(),
            container: Some(CONTAINER.into()),
        };
        let session = Session::Exec {
            command: Some(pod.command.clone()),
        };
        crate::shell::run(client.clone(), context, target, session).await
    }
    .await;
    let deleted = delete(&pods, &pod.name).await;
    match (ran, deleted) {
        (Ok(()), Ok(())) => Ok(format!(
            "node shell on {} ended; pod {where_} deleted",
            clean(node)
        )),
        (Err(e), Ok(())) => Err(e),
        (ran, Err(e)) => Err(format!(
            "{}its pod {where_} was not deleted ({e}): delete it with ctrl-d in :pods",
            match ran {
                Err(r) => format!("{r}; "),
                Ok(()) => String::new(),
            }
        )),
    }
}

/// Deletes a node shell's pod (grace 0: nothing in it needs to stop cleanly).
pub async fn delete(pods: &Api<Pod>, name: &str) -> Result<(), String> {
    let params = DeleteParams {
        grace_period_seconds: Some(0),
        ..DeleteParams::default()
    };
    match timed(pods.delete(name, &params)).await {
        Ok(_) => Ok(()),
        Err(e) if e.code == 404 => Ok(()),
        Err(e) => Err(e.message),
    }
}

/// The node shell pod of flotilla's that is being ended, deleted (when flotilla ends on a
/// signal while the shell runs).
pub async fn delete_pod(client: kube::Client, pod: &NodeShellPod) {
    let pods: Api<Pod> = Api::namespaced(client, &pod.namespace);
    if let Err(e) = delete(&pods, &pod.name).await {
        tracing::warn!(
            "node shell pod {}/{} not deleted: {e}",
            pod.namespace,
            pod.name
        );
    }
}

const CONTAINER: &str = "shell";

fn node_shell_object(node: &str, pod: &NodeShellPod) -> Pod {
    let object = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod.name,
            "namespace": pod.namespace,
            "labels": {
                NODE_SHELL_LABEL: owner(),
                "app.kubernetes.io/managed-by": "flotilla",
            },
            "annotations": {
                PID: std::process::id().to_string(),
                USER: crate::ops::audit::os_user(),
                HOST: crate::ops::audit::host_name(),
            },
        },
        "spec": {
            "nodeName": node,
            "hostPID": true,
            "hostNetwork": true,
            "hostIPC": true,
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 0,
            // Every taint, NoExecute too: a node shell is for the node that is in trouble.
            "tolerations": [{"operator": "Exists"}],
            "containers": [{
                "name": CONTAINER,
                "image": pod.image,
                // A pod nobody deleted ends by itself within a day.
                "command": ["sleep", "86400"],
                "stdin": true,
                "tty": true,
                "securityContext": {"privileged": true},
            }],
        },
    });
    // The shape above is a Pod's; a failure here is a bug in this function.
    serde_json::from_value(object).unwrap_or_default()
}

/// The user and machine, as a label value (at most 63 characters, alphanumeric at both ends).
fn owner() -> String {
    let raw = format!(
        "{}.{}",
        crate::ops::audit::os_user(),
        crate::ops::audit::host_name()
    );
    let safe: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(63)
        .collect();
    safe.trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string()
}

/// Deletes the node shell pods of this user on this machine whose flotilla is no longer
/// running (it was killed before it could delete them).
async fn sweep(pods: &Api<Pod>) {
    let params = ListParams::default().labels(&format!("{NODE_SHELL_LABEL}={}", owner()));
    let Ok(list) = timed(pods.list(&params)).await else {
        return;
    };
    let (user, host) = (crate::ops::audit::os_user(), crate::ops::audit::host_name());
    for p in list.items {
        let note = |k: &str| {
            p.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(k))
                .cloned()
                .unwrap_or_default()
        };
        let pid = note(PID).parse::<i32>().ok();
        let left = note(USER) == user && note(HOST) == host && pid.is_some_and(|p| !alive(p));
        let Some(name) = p.metadata.name.as_deref().filter(|_| left) else {
            continue;
        };
        if delete(pods, name).await.is_ok() {
            say(&format!(
                "flotilla: deleted node shell pod {} that an ended flotilla left",
                clean(name)
            ))
            .await;
        }
    }
}

/// Whether process `pid` runs on this machine.
fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 checks that the process exists; nothing is sent.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Running, or why it is not: `None` while it is starting, an error once it cannot.
fn state_says(state: &ContainerState) -> Option<Result<(), String>> {
    if state.running.is_some() {
        return Some(Ok(()));
    }
    if let Some(t) = &state.terminated {
        return Some(Err(format!(
            "ended: {} (exit {})",
            clean(t.reason.as_deref().unwrap_or("")),
            t.exit_code
        )));
    }
    let w = state.waiting.as_ref()?;
    let reason = w.reason.as_deref().unwrap_or("");
    let stuck = matches!(
        reason,
        "ErrImagePull"
            | "ImagePullBackOff"
            | "InvalidImageName"
            | "CreateContainerError"
            | "CreateContainerConfigError"
            | "RunContainerError"
    );
    stuck.then(|| {
        Err(format!(
            "{}: {}",
            clean(reason),
            clean(w.message.as_deref().unwrap_or(""))
        ))
    })
}

/// Reads the pod until `says` tells how its container is (`Some(Ok)`: running), or
/// [`START_WITHIN`] has passed.
async fn wait_for(
    pods: &Api<Pod>,
    name: &str,
    says: impl Fn(&Pod) -> Option<Result<(), String>>,
) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + START_WITHIN;
    loop {
        let pod = timed(pods.get(name)).await.map_err(|e| e.message)?;
        if let Some(r) = says(&pod) {
            return r;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!("not running after {}s", START_WITHIN.as_secs()));
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
    };

    #[test]
    fn the_owner_is_a_label_value() {
        let o = owner();
        assert!(!o.is_empty() && o.len() <= 63, "{o:?}");
        assert!(
            o.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')),
            "{o:?}"
        );
        assert!(o.starts_with(|c: char| c.is_ascii_alphanumeric()));
        assert!(o.ends_with(|c: char| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn the_node_shell_pod_is_privileged_pinned_and_tolerant() {
        let pod = NodeShellPod {
            namespace: "ops".into(),
            name: "flotilla-node-shell-abcde".into(),
            image: "busybox:1.36".into(),
            command: vec!["sh".into()],
        };
        let p = node_shell_object("node-7", &pod);
        let v = serde_json::to_value(&p).expect("a pod");
        assert_eq!(v["metadata"]["name"], "flotilla-node-shell-abcde");
        assert_eq!(v["spec"]["nodeName"], "node-7");
        assert_eq!(v["spec"]["hostPID"], true);
        assert_eq!(v["spec"]["tolerations"], json!([{"operator": "Exists"}]));
        assert_eq!(
            v["spec"]["containers"][0]["securityContext"]["privileged"],
            true
        );
        assert_eq!(v["metadata"]["labels"][NODE_SHELL_LABEL], owner());
        assert_eq!(
            v["metadata"]["annotations"][PID],
            std::process::id().to_string()
        );
    }

    #[test]
    fn a_container_that_cannot_start_says_why_and_one_starting_waits() {
        let running = ContainerState {
            running: Some(ContainerStateRunning::default()),
            ..Default::default()
        };
        assert_eq!(state_says(&running), Some(Ok(())));
        let waiting = |reason: &str| ContainerState {
            waiting: Some(ContainerStateWaiting {
                reason: Some(reason.into()),
                message: Some("no such image\u{1b}[2J".into()),
            }),
            ..Default::default()
        };
        assert_eq!(state_says(&waiting("ContainerCreating")), None);
        let Some(Err(e)) = state_says(&waiting("ErrImagePull")) else {
            panic!("an image that cannot be pulled is an error");
        };
        assert!(
            e.starts_with("ErrImagePull: no such image") && !e.contains('\u{1b}'),
            "{e}"
        );
        let ended = ContainerState {
            terminated: Some(ContainerStateTerminated {
                exit_code: 1,
                reason: Some("Error".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            state_says(&ended),
            Some(Err("ended: Error (exit 1)".into()))
        );
    }
}
