//! What a list starts on the objects it shows: log panes, shells, port-forwards, marks.
//! Each looks the object up again when used, and fetches the full object when it needs
//! more than the row has (containers, ports, selectors).

use super::TableScreen;
use crate::kinds::selector::{LabelReq, has_pod_selector, selector_of};
use crate::modal::{Modal, ModalResult};
use crate::model::{ApiError, Fetched, ForwardTarget, ObjectRef};
use crate::screens::exec::{container_names, default_container};
use crate::screens::logs;
use crate::screens::{Ctx, Deliver, Request};
use serde_json::Value;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

impl TableScreen {
    /// The rows an action applies to: the marked ones (still existing), else the selection.
    pub(super) fn marked_or_selected(&self, ctx: &mut Ctx) -> Vec<ObjectRef> {
        if ctx.shared.marks.is_empty() {
            return self.target(ctx).into_iter().collect();
        }
        let (alive, gone): (Vec<ObjectRef>, Vec<ObjectRef>) =
            ctx.shared.marks.iter().cloned().partition(|m| {
                ctx.store.lookup(m).is_some() || ctx.store.sheet(m.cluster, &m.res).is_none()
            });
        if !gone.is_empty() {
            ctx.info(format!("{} marked object(s) no longer exist", gone.len()));
            for g in gone {
                ctx.request(Request::Mark(g));
            }
        }
        alive
    }

    pub(super) fn logs(&mut self, ctx: &mut Ctx) {
        let objects = self.marked_or_selected(ctx);
        if objects.is_empty() {
            return;
        }
        if let Some(pane) = logs::for_objects(objects, ctx) {
            ctx.push(Box::new(pane));
        }
    }

    pub(super) fn mark(&mut self, ctx: &mut Ctx) {
        if let Some(obj) = self.target(ctx) {
            ctx.request(Request::Mark(obj));
            let len = self.rows.rows().len();
            let next = (self.cursor + 1).min(len.saturating_sub(1));
            self.move_cursor(next, ctx);
        }
    }

    /// A new step of a shell or port-forward, which drops the answer to any step before.
    fn live_step(&mut self) -> u64 {
        self.live_steps += 1;
        self.live_steps
    }

    pub(super) fn shell(&mut self, attach: bool, ctx: &mut Ctx) {
        let Some(obj) = self.target(ctx) else {
            return;
        };
        if obj.res.is("", "nodes") && !attach {
            return self.node_shell(obj, ctx);
        }
        if !obj.res.is("", "pods") {
            let what = if attach { "attach" } else { "shell" };
            return ctx.error(format!(
                "{what}: select a pod or a node, not a {}",
                obj.kind
            ));
        }
        // The pod, to learn its containers.
        let step = self.live_step();
        ctx.fetch(
            obj.cluster,
            obj.path(),
            None,
            Deliver::OnTop,
            move |me: &mut Self, r, ctx| {
                if me.live_steps == step {
                    me.shell_pod(obj, attach, r, ctx);
                }
            },
        );
    }

    /// A shell on the node: the app confirms (it makes a privileged pod) and audits it.
    fn node_shell(&mut self, node: ObjectRef, ctx: &mut Ctx) {
        let step = self.live_step();
        ctx.node_shell(
            node.cluster,
            node.name,
            move |me: &mut Self, result, ctx| {
                if me.live_steps == step {
                    said(result, ctx);
                }
            },
        );
    }

    /// `b`: a debug container in the selected pod. The pod is fetched for its containers;
    /// the form asks for the image and the container whose processes it shares.
    pub(super) fn debug(&mut self, ctx: &mut Ctx) {
        let Some(obj) = self.target(ctx) else {
            return;
        };
        if !obj.res.is("", "pods") {
            return ctx.error(format!("debug: select a pod, not a {}", obj.kind));
        }
        let step = self.live_step();
        ctx.fetch(
            obj.cluster,
            obj.path(),
            None,
            Deliver::OnTop,
            move |me: &mut Self, r, ctx| {
                if me.live_steps == step {
                    me.debug_form(obj, r, ctx);
                }
            },
        );
    }

    fn debug_form(&mut self, obj: ObjectRef, r: Result<Fetched, ApiError>, ctx: &mut Ctx) {
        let Some(pod) = ctx.checked(&obj, r) else {
            return;
        };
        let containers = container_names(&pod);
        let target = default_container(&pod)
            .or_else(|| containers.first().cloned())
            .unwrap_or_default();
        let image = ctx.config.settings.debug.image();
        let title = format!("Debug container in {} on {}", obj.short(), obj.context);
        let fields = vec![
            ("image", image.as_str(), false),
            ("share processes with container", target.as_str(), false),
        ];
        let step = self.live_step();
        ctx.modal(Modal::form(title, fields), move |me: &mut Self, r, ctx| {
            if me.live_steps != step {
                return;
            }
            let ModalResult::Submitted(values) = r else {
                return;
            };
            let field = |i: usize| {
                values
                    .get(i)
                    .map(|v| v.trim().to_string())
                    .unwrap_or_default()
            };
            let (image, target) = (field(0), field(1));
            if image.is_empty() {
                return ctx.error("image: type the debug container's image");
            }
            if !target.is_empty() && !containers.contains(&target) {
                return ctx.error(format!(
                    "share processes with container: {} has no container {target:?} (it has {})",
                    obj.short(),
                    containers.join(", ")
                ));
            }
            let mut at = obj.container(&target);
            if target.is_empty() {
                at.container = None;
            }
            let step = me.live_step();
            ctx.debug(obj.cluster, at, image, move |me: &mut Self, result, ctx| {
                if me.live_steps == step {
                    said(result, ctx);
                }
            });
        });
    }

    pub(super) fn port_forward(&mut self, ctx: &mut Ctx) {
        let Some(obj) = self.target(ctx) else {
            return;
        };
        if !(obj.res.is("", "pods") || has_pod_selector(&obj.res)) {
            return ctx.error(format!(
                "port-forward: select a pod, service or workload, not a {}",
                obj.kind
            ));
        }
        // The object, to learn its ports and pods.
        let step = self.live_step();
        ctx.fetch(
            obj.cluster,
            obj.path(),
            None,
            Deliver::OnTop,
            move |me: &mut Self, r, ctx| {
                if me.live_steps == step {
                    me.forward_object(obj, r, ctx);
                }
            },
        );
    }

    /// The pod to open a shell in, fetched: the shell starts, or the user picks a container.
    fn shell_pod(
        &mut self,
        obj: ObjectRef,
        attach: bool,
        r: Result<Fetched, ApiError>,
        ctx: &mut Ctx,
    ) {
        let Some(pod) = ctx.checked(&obj, r) else {
            return;
        };
        let containers = container_names(&pod);
        match containers.len() {
            0 => ctx.error(format!("{} has no containers", obj.short())),
            1 => self.start_shell(obj, containers[0].clone(), attach, ctx),
            _ => {
                // The default container first, as kubectl picks it.
                let mut items = containers.clone();
                if let Some(d) = default_container(&pod)
                    && let Some(i) = items.iter().position(|c| *c == d)
                {
                    items.swap(0, i);
                }
                let step = self.live_step();
                let choices = items.clone();
                ctx.modal(
                    Modal::pick("container", items),
                    move |me: &mut Self, r, ctx| {
                        if me.live_steps == step
                            && let ModalResult::Picked(i) = r
                            && let Some(c) = choices.get(i)
                        {
                            me.start_shell(obj, c.clone(), attach, ctx);
                        }
                    },
                );
            }
        }
    }

    /// The object to forward to, fetched: the user fills in the ports.
    fn forward_object(&mut self, obj: ObjectRef, r: Result<Fetched, ApiError>, ctx: &mut Ctx) {
        let Some(object) = ctx.checked(&obj, r) else {
            return;
        };
        let ports = ports_of(&object);
        let remote = ports.first().copied().unwrap_or(80);
        let local = if remote < 1024 { 8000 + remote } else { remote };
        let list: Vec<String> = ports.iter().map(u16::to_string).collect();
        let title = if list.is_empty() {
            format!("port-forward to {}", obj.short())
        } else {
            format!(
                "port-forward to {} (ports {})",
                obj.short(),
                list.join(", ")
            )
        };
        let (remote, local) = (remote.to_string(), local.to_string());
        let form = Modal::form(
            title,
            vec![
                ("remote port", remote.as_str(), false),
                ("local port", local.as_str(), false),
                ("address", "127.0.0.1", false),
            ],
        );
        let step = self.live_step();
        ctx.modal(form, move |me: &mut Self, r, ctx| {
            if me.live_steps == step
                && let ModalResult::Submitted(v) = r
            {
                forward(&obj, &object, &v, ctx);
            }
        });
    }

    fn start_shell(&mut self, obj: ObjectRef, container: String, attach: bool, ctx: &mut Ctx) {
        let step = self.live_step();
        ctx.shell(
            obj.cluster,
            obj.container(&container),
            attach,
            move |me: &mut Self, result, ctx| {
                if me.live_steps == step {
                    said(result, ctx);
                }
            },
        );
    }
}

/// How a session ended, in the footer.
fn said(result: Result<String, String>, ctx: &mut Ctx) {
    match result {
        Ok(msg) if !msg.is_empty() => ctx.info(msg),
        Ok(_) => {}
        Err(e) => ctx.error(e),
    }
}

/// Starts the port-forward the form describes, or says what is wrong with the form.
fn forward(obj: &ObjectRef, object: &Value, fields: &[String], ctx: &mut Ctx) {
    match forward_request(obj, object, fields) {
        Ok(r) => {
            if let Request::Forward { local, what, .. } = &r {
                ctx.info(format!("forwarding {local} → {what} (:pf lists forwards)"));
            }
            ctx.request(r);
        }
        Err(e) => ctx.error(e),
    }
}

/// The ports an object offers: a service's ports, else its (template's) container ports.
fn ports_of(object: &Value) -> Vec<u16> {
    let numbers = |v: Option<&Value>, key: &str| -> Vec<u16> {
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.get(key)?.as_u64())
                    .filter_map(|p| u16::try_from(p).ok())
                    .collect()
            })
            .unwrap_or_default()
    };
    if object.get("kind").and_then(Value::as_str) == Some("Service") {
        return numbers(object.pointer("/spec/ports"), "port");
    }
    let spec = object
        .pointer("/spec/template/spec")
        .or_else(|| object.get("spec"));
    spec.and_then(|s| s.get("containers"))
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .flat_map(|c| numbers(c.get("ports"), "containerPort"))
                .collect()
        })
        .unwrap_or_default()
}

/// A label selector as kubectl writes it.
fn selector_string(reqs: &[LabelReq]) -> String {
    reqs.iter()
        .map(|r| match r {
            LabelReq::Eq(k, v) => format!("{k}={v}"),
            LabelReq::NotEq(k, v) => format!("{k}!={v}"),
            LabelReq::In(k, vs) => format!("{k} in ({})", vs.join(",")),
            LabelReq::NotIn(k, vs) => format!("{k} notin ({})", vs.join(",")),
            LabelReq::Exists(k) => k.clone(),
            LabelReq::NotExists(k) => format!("!{k}"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn forward_request(obj: &ObjectRef, object: &Value, fields: &[String]) -> Result<Request, String> {
    let field = |i: usize| fields.get(i).map(|s| s.trim()).unwrap_or("");
    let port = |i: usize, what: &str| -> Result<u16, String> {
        field(i)
            .parse::<u16>()
            .map_err(|_| format!("{what}: a port number 0–65535, not {:?}", field(i)))
    };
    let remote = port(0, "remote port")?;
    if remote == 0 {
        return Err("remote port: 1–65535".into());
    }
    let local = port(1, "local port")?;
    let addr: IpAddr = match field(2) {
        "" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        a => a
            .parse()
            .map_err(|_| format!("address: an IP address, not {a:?}"))?,
    };
    let (target, remote_port) = if obj.res.is("", "pods") {
        let t = ForwardTarget::Pod {
            namespace: obj.namespace.clone(),
            name: obj.name.clone(),
        };
        (t, remote)
    } else {
        let reqs = selector_of(object)
            .filter(|r| !r.is_empty())
            .ok_or_else(|| format!("{} has no pod selector to forward to", obj.short()))?;
        let pod_port = if obj.res.is("", "services") {
            service_target_port(object, remote)?
        } else {
            remote
        };
        let t = ForwardTarget::Selector {
            namespace: obj.namespace.clone(),
            selector: selector_string(&reqs),
        };
        (t, pod_port)
    };
    Ok(Request::Forward {
        cluster: obj.cluster,
        target,
        what: obj.short(),
        remote_port,
        local: SocketAddr::new(addr, local),
    })
}

/// The pod port behind a service port (its numeric targetPort; the port itself when unset).
fn service_target_port(service: &Value, port: u16) -> Result<u16, String> {
    let ports = service
        .pointer("/spec/ports")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let Some(entry) = ports
        .iter()
        .find(|p| p.get("port").and_then(Value::as_u64) == Some(u64::from(port)))
    else {
        return Ok(port);
    };
    match entry.get("targetPort") {
        None => Ok(port),
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .ok_or_else(|| format!("service port {port}: bad targetPort {n}")),
        Some(Value::String(name)) => Err(format!(
            "service port {port} targets the named port {name:?}: forward to a pod or its workload instead"
        )),
        Some(other) => Err(format!("service port {port}: bad targetPort {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ports_and_selectors_of_services_and_workloads() {
        let svc = json!({"kind":"Service","spec":{"selector":{"app":"web"},"ports":[{"port":80,"targetPort":8080},{"port":443,"targetPort":"https"}]}});
        assert_eq!(ports_of(&svc), vec![80, 443]);
        assert_eq!(service_target_port(&svc, 80), Ok(8080));
        assert!(
            service_target_port(&svc, 443)
                .unwrap_err()
                .contains("named port")
        );
        assert_eq!(service_target_port(&svc, 9000), Ok(9000));
        let deploy = json!({"kind":"Deployment","spec":{"template":{"spec":{"containers":[{"name":"a","ports":[{"containerPort":9090}]}]}}}});
        assert_eq!(ports_of(&deploy), vec![9090]);
        let reqs = vec![
            LabelReq::Eq("app".into(), "web".into()),
            LabelReq::In("tier".into(), vec!["a".into(), "b".into()]),
        ];
        assert_eq!(selector_string(&reqs), "app=web,tier in (a,b)");
    }
}
