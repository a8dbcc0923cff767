//! Pod specs — of workload templates, and of pods no workload in the snapshot controls (see
//! `PodSpecAt::covered`) — and running pods (restarts, controllers).

use super::Ctx;
use crate::inspect::object::{
    Container, bool_at, controller, entry_name, int_at, list, namespace, per_container, str_at,
};
use crate::inspect::out::{Out, Place};
use crate::inspect::snapshot::{Kind, Snapshot};
use serde_json::Value;
use std::collections::HashMap;

pub fn examine<'a>(cx: &Ctx<'a>, out: &mut Out<'a>) {
    let defaults = limit_defaults(cx.snap);
    for s in cx.specs.iter().filter(|s| !s.covered) {
        let at = Place::of(s.kind, s.holder);
        let d = at
            .namespace
            .and_then(|ns| defaults.get(ns))
            .copied()
            .unwrap_or_default();
        let spec = s.spec;
        out.record(
            "pod-no-requests",
            &at,
            per_container(spec, |c| {
                missing(c, &["requests", "limits"], d.requests, "request")
            }),
        );
        out.record(
            "pod-no-limits",
            &at,
            per_container(spec, |c| missing(c, &["limits"], d.limits, "limit")),
        );
        out.record("pod-image-latest", &at, per_container(spec, unpinned));
        // Probes are for pods that run until stopped; Jobs' pods (restartPolicy Never or
        // OnFailure) finish instead.
        if str_at(spec, "/restartPolicy").is_none_or(|p| p == "Always") {
            out.record("pod-no-probes", &at, per_container(spec, no_probes));
        }
        out.record(
            "pod-runs-as-root",
            &at,
            per_container(spec, |c| as_root(spec, c)),
        );
        out.record(
            "pod-privileged",
            &at,
            per_container(spec, |c| {
                (bool_at(c.spec, "/securityContext/privileged") == Some(true))
                    .then(|| "privileged".to_string())
            }),
        );
        out.record("pod-host-namespaces", &at, host_namespaces(spec));
        out.record("pod-host-path", &at, host_paths(spec));
    }
    for pod in cx.snap.of(Kind::Pod) {
        let at = Place::of(Kind::Pod, pod);
        out.record("pod-restarts", &at, restarts(pod, cx.opts.restarts));
        out.record(
            "pod-no-controller",
            &at,
            controller(pod)
                .is_none()
                .then(|| "no controller owns it: nothing recreates it if evicted".to_string()),
        );
    }
}

const RESOURCES: [&str; 2] = ["cpu", "memory"];

/// Which of `RESOURCES` a namespace's LimitRanges fill in for containers that omit them:
/// templates do not show those (admission adds them to the pods), so they are not missing.
#[derive(Clone, Copy, Default)]
struct Defaults {
    requests: [bool; 2],
    limits: [bool; 2],
}

fn limit_defaults(snap: &Snapshot) -> HashMap<&str, Defaults> {
    let mut out: HashMap<&str, Defaults> = HashMap::new();
    for lr in snap.of(Kind::LimitRange) {
        let Some(ns) = namespace(lr) else {
            continue;
        };
        let d = out.entry(ns).or_default();
        for l in list(lr, "/spec/limits") {
            if str_at(l, "/type") != Some("Container") {
                continue;
            }
            for (i, r) in RESOURCES.iter().enumerate() {
                // A default limit is also the default request when none is given.
                if l.pointer(&format!("/default/{r}")).is_some() {
                    d.limits[i] = true;
                    d.requests[i] = true;
                }
                if l.pointer(&format!("/defaultRequest/{r}")).is_some() {
                    d.requests[i] = true;
                }
            }
        }
    }
    out
}

/// `no cpu, memory limit`: the resources set under none of `fields` (a request defaults to
/// the limit) and not defaulted by the namespace.
fn missing(c: &Container, fields: &[&str], defaulted: [bool; 2], noun: &str) -> Option<String> {
    let set = |r: &str| {
        fields
            .iter()
            .any(|f| c.spec.pointer(&format!("/resources/{f}/{r}")).is_some())
    };
    let gaps: Vec<&str> = RESOURCES
        .iter()
        .zip(defaulted)
        .filter(|(r, d)| !d && !set(r))
        .map(|(r, _)| *r)
        .collect();
    (!gaps.is_empty()).then(|| format!("no {} {noun}", gaps.join(", ")))
}

/// An image by tag `latest`, or by no tag (which means latest); one by digest is pinned.
fn unpinned(c: &Container) -> Option<String> {
    let image = str_at(c.spec, "/image")?;
    if image.contains('@') {
        return None;
    }
    // A registry's port (`registry:5000/app`) is not a tag: only the last segment has one.
    let last = image.rsplit_once('/').map_or(image, |(_, l)| l);
    match last.split_once(':') {
        Some((_, "latest")) => Some(format!("image {image} uses the latest tag")),
        Some(_) => None,
        None => Some(format!("image {image} has no tag (pulls latest)")),
    }
}

fn no_probes(c: &Container) -> Option<String> {
    if c.init {
        return None;
    }
    let gaps: Vec<&str> = [
        ("readiness", "/readinessProbe"),
        ("liveness", "/livenessProbe"),
    ]
    .into_iter()
    .filter(|(_, p)| c.spec.pointer(p).is_none())
    .map(|(n, _)| n)
    .collect();
    (!gaps.is_empty()).then(|| format!("no {} probe", gaps.join(", ")))
}

/// The container's own securityContext wins over the pod's.
fn as_root(pod_spec: &Value, c: &Container) -> Option<String> {
    let uid = int_at(c.spec, "/securityContext/runAsUser")
        .or_else(|| int_at(pod_spec, "/securityContext/runAsUser"));
    let non_root = bool_at(c.spec, "/securityContext/runAsNonRoot")
        .or_else(|| bool_at(pod_spec, "/securityContext/runAsNonRoot"));
    match (uid, non_root) {
        (Some(0), _) => Some("runs as uid 0".into()),
        (Some(_), _) | (None, Some(true)) => None,
        (None, _) => {
            Some("neither runAsNonRoot nor runAsUser set (the image's user, often root)".into())
        }
    }
}

fn host_namespaces(spec: &Value) -> Option<String> {
    let shared: Vec<&str> = ["hostNetwork", "hostPID", "hostIPC"]
        .into_iter()
        .filter(|f| bool_at(spec, &format!("/{f}")) == Some(true))
        .collect();
    (!shared.is_empty()).then(|| shared.join(", "))
}

fn host_paths(spec: &Value) -> Option<String> {
    let mounts: Vec<String> = list(spec, "/volumes")
        .iter()
        .filter_map(|v| {
            let path = str_at(v, "/hostPath/path")?;
            Some(format!("volume {}: {path}", entry_name(v)))
        })
        .collect();
    (!mounts.is_empty()).then(|| mounts.join("; "))
}

fn restarts(pod: &Value, threshold: u32) -> Option<String> {
    let statuses = [
        ("init container", "/status/initContainerStatuses"),
        ("container", "/status/containerStatuses"),
    ];
    let many: Vec<String> = statuses
        .iter()
        .flat_map(|(what, at)| list(pod, at).iter().map(move |s| (*what, s)))
        .filter_map(|(what, s)| {
            let n = int_at(s, "/restartCount")?;
            if n <= i64::from(threshold) {
                return None;
            }
            let last = str_at(s, "/lastState/terminated/reason")
                .map(|r| format!(" (last: {r})"))
                .unwrap_or_default();
            Some(format!(
                "{what} {} restarted {n} times{last}",
                entry_name(s)
            ))
        })
        .collect();
    (!many.is_empty()).then(|| many.join("; "))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{examined, found, obj, snapshot};
    use crate::inspect::snapshot::Kind;
    use serde_json::{Value, json};

    const SPEC_CHECKS: [&str; 8] = [
        "pod-no-requests",
        "pod-no-limits",
        "pod-image-latest",
        "pod-no-probes",
        "pod-runs-as-root",
        "pod-privileged",
        "pod-host-namespaces",
        "pod-host-path",
    ];

    fn clean_spec() -> Value {
        json!({
            "securityContext": {"runAsNonRoot": true},
            "containers": [{
                "name": "app", "image": "registry:5000/shop/web:1.4.2",
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                              "limits": {"cpu": "1", "memory": "256Mi"}},
                "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
                "livenessProbe": {"httpGet": {"path": "/live", "port": 8080}}
            }]
        })
    }

    fn deployment(spec: Value) -> (Kind, Value) {
        let d = obj(
            "shop",
            "web",
            json!({"spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "web"}},
                "spec": spec}}}),
        );
        (Kind::Deployment, d)
    }

    /// The findings of one check on a Deployment with this spec.
    fn on(check: &str, spec: Value) -> Vec<String> {
        found(&snapshot(vec![deployment(spec)]), check)
    }

    #[test]
    fn a_clean_spec_passes_every_check() {
        let snap = snapshot(vec![deployment(clean_spec())]);
        for check in SPEC_CHECKS {
            assert_eq!(found(&snap, check), Vec::<String>::new(), "{check}");
            assert_eq!(examined(&snap, check), 1, "{check}");
        }
    }

    #[test]
    fn requests_and_limits() {
        let mut s = clean_spec();
        s["containers"][0]["resources"] = json!({"limits": {"memory": "1Gi"}});
        // The memory limit is also its request.
        assert_eq!(
            on("pod-no-requests", s.clone()),
            ["shop/Deployment/web: container app: no cpu request"]
        );
        assert_eq!(
            on("pod-no-limits", s.clone()),
            ["shop/Deployment/web: container app: no cpu limit"]
        );
        // A namespace default fills in what the template omits.
        let lr = obj(
            "shop",
            "defaults",
            json!({"spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}}]}}),
        );
        let snap = snapshot(vec![deployment(s), (Kind::LimitRange, lr)]);
        assert_eq!(found(&snap, "pod-no-limits"), Vec::<String>::new());
        assert_eq!(found(&snap, "pod-no-requests"), Vec::<String>::new());
        let mut s = clean_spec();
        s["initContainers"] = json!([{"name": "setup", "image": "busybox:1.36"}]);
        assert_eq!(
            on("pod-no-limits", s),
            ["shop/Deployment/web: init container setup: no cpu, memory limit"]
        );
    }

    #[test]
    fn unpinned_images() {
        let mut s = clean_spec();
        s["containers"][0]["image"] = json!("nginx");
        s["initContainers"] = json!([{"name": "setup", "image": "busybox:latest"}]);
        assert_eq!(
            on("pod-image-latest", s.clone()),
            [
                "shop/Deployment/web: init container setup: image busybox:latest uses the latest tag; \
              container app: image nginx has no tag (pulls latest)"
            ]
        );
        s["containers"][0]["image"] = json!("nginx@sha256:0123abcd");
        s["initContainers"][0]["image"] = json!("registry:5000/busybox");
        assert_eq!(
            on("pod-image-latest", s),
            [
                "shop/Deployment/web: init container setup: image registry:5000/busybox has no tag (pulls latest)"
            ]
        );
    }

    #[test]
    fn probes_for_long_running_containers() {
        let mut s = clean_spec();
        s["containers"][0]
            .as_object_mut()
            .map(|c| c.remove("livenessProbe"));
        s["initContainers"] = json!([{"name": "setup"}]);
        assert_eq!(
            on("pod-no-probes", s.clone()),
            ["shop/Deployment/web: container app: no liveness probe"]
        );
        let job = obj(
            "shop",
            "migrate",
            json!({"spec": {"template": {"spec": {"restartPolicy": "Never",
                "containers": [{"name": "migrate", "image": "tool:1"}]}}}}),
        );
        let snap = snapshot(vec![(Kind::Job, job)]);
        assert_eq!(found(&snap, "pod-no-probes"), Vec::<String>::new());
        assert_eq!(examined(&snap, "pod-no-probes"), 0);
    }

    #[test]
    fn root_and_privileged() {
        let mut s = clean_spec();
        s["securityContext"] = json!({});
        s["containers"][0]["securityContext"] = json!({"privileged": true});
        assert_eq!(
            on("pod-runs-as-root", s.clone()),
            [
                "shop/Deployment/web: container app: neither runAsNonRoot nor runAsUser set (the image's user, often root)"
            ]
        );
        assert_eq!(
            on("pod-privileged", s.clone()),
            ["shop/Deployment/web: container app: privileged"]
        );
        // The container's context wins over the pod's.
        s["securityContext"] = json!({"runAsUser": 1000});
        s["containers"][0]["securityContext"] = json!({"runAsUser": 0});
        assert_eq!(
            on("pod-runs-as-root", s.clone()),
            ["shop/Deployment/web: container app: runs as uid 0"]
        );
        s["containers"][0]["securityContext"] = json!({});
        assert_eq!(on("pod-runs-as-root", s), Vec::<String>::new());
    }

    #[test]
    fn host_namespaces_and_paths() {
        let mut s = clean_spec();
        s["hostNetwork"] = json!(true);
        s["hostPID"] = json!(true);
        s["hostIPC"] = json!(false);
        s["volumes"] = json!([{"name": "logs", "hostPath": {"path": "/var/log"}},
                              {"name": "tmp", "emptyDir": {}}]);
        assert_eq!(
            on("pod-host-namespaces", s.clone()),
            ["shop/Deployment/web: hostNetwork, hostPID"]
        );
        assert_eq!(
            on("pod-host-path", s),
            ["shop/Deployment/web: volume logs: /var/log"]
        );
    }

    #[test]
    fn specs_are_judged_once_on_the_workload_that_owns_them() {
        let mut s = clean_spec();
        s["containers"][0]["securityContext"] = json!({"privileged": true});
        let owned = |kind: &str, name: &str| {
            json!({"metadata": {"ownerReferences": [{"kind": kind, "name": name, "controller": true}]},
                   "spec": {"template": {"spec": s.clone()}}})
        };
        let rs = obj("shop", "web-5d9", owned("Deployment", "web"));
        let mut pod = obj("shop", "web-5d9-x", owned("ReplicaSet", "web-5d9"));
        pod["spec"] = s.clone();
        let snap = snapshot(vec![
            deployment(s),
            (Kind::ReplicaSet, rs),
            (Kind::Pod, pod),
        ]);
        assert_eq!(
            found(&snap, "pod-privileged"),
            ["shop/Deployment/web: container app: privileged"]
        );
        assert_eq!(examined(&snap, "pod-privileged"), 1);
    }

    #[test]
    fn restarts_above_the_threshold_and_pods_without_controller() {
        let pod = |name: &str, restarts: i64, owned: bool| {
            let owners = if owned {
                json!([{"kind": "ReplicaSet", "name": "web-1", "controller": true}])
            } else {
                json!([])
            };
            obj(
                "shop",
                name,
                json!({"metadata": {"ownerReferences": owners},
                    "spec": clean_spec(),
                    "status": {"containerStatuses": [{"name": "app", "restartCount": restarts,
                        "lastState": {"terminated": {"reason": "OOMKilled"}}}]}}),
            )
        };
        let snap = snapshot(vec![
            (Kind::Pod, pod("calm", 5, true)),
            (Kind::Pod, pod("crashy", 12, true)),
            (Kind::Pod, pod("naked", 0, false)),
        ]);
        assert_eq!(
            found(&snap, "pod-restarts"),
            ["shop/Pod/crashy: container app restarted 12 times (last: OOMKilled)"]
        );
        assert_eq!(
            found(&snap, "pod-no-controller"),
            ["shop/Pod/naked: no controller owns it: nothing recreates it if evicted"]
        );
        assert_eq!(examined(&snap, "pod-restarts"), 3);
    }
}
