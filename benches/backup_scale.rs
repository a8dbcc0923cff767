//! Back up and restore one namespace of 5,000 objects on the testbed's `staging`: the read
//! and archive (Secrets encrypted), then, after the namespace is deleted, the restore's plan
//! (every object dry-run) and its apply (every object created and audited). Not a criterion
//! bench: one run against a live server.
//!
//!     testbed/tb up && cargo bench --bench backup_scale
//!
//! Skips (exit 0, with a note) when the testbed is not running.

use flotilla::backup::archive::{self, SecretsBy, Stored};
use flotilla::backup::keys::{Opening, Sealing};
use flotilla::backup::restore::{self, Options};
use flotilla::backup::{Selection, collect};
use flotilla::ops::audit::AuditLog;
use futures::StreamExt;
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONTEXT: &str = "staging";
const NS: &str = "bench-backup";
/// ConfigMaps, Secrets, ServiceAccounts, headless Services, Deployments (scaled to 0).
const MIX: [(&str, usize); 5] = [
    ("configmaps", 2000),
    ("secrets", 1000),
    ("serviceaccounts", 800),
    ("services", 700),
    ("deployments", 500),
];

fn peak_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0)
        / 1024
}

fn object(plural: &str, i: usize) -> (String, Value) {
    let name = format!("{}-{i:05}", &plural[..plural.len() - 1]);
    let meta =
        json!({"name": name, "namespace": NS, "labels": {"app": "bench", "n": i.to_string()}});
    let (prefix, body) = match plural {
        "configmaps" => (
            "/api/v1",
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
            "data": {"settings.yaml": format!("replicas: {i}\nlog: info\nfeature-{i}: true\n"), "owner": "team-a"}}),
        ),
        "secrets" => (
            "/api/v1",
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta,
            "type": "Opaque", "stringData": {"password": format!("pw-{i}-{}", fastrand::u64(..))}}),
        ),
        "serviceaccounts" => (
            "/api/v1",
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}),
        ),
        "services" => (
            "/api/v1",
            json!({"apiVersion": "v1", "kind": "Service", "metadata": meta,
            "spec": {"clusterIP": "None", "selector": {"app": name}, "ports": [{"port": 80}]}}),
        ),
        _ => (
            "/apis/apps/v1",
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
            "spec": {"replicas": 0, "selector": {"matchLabels": {"app": name}},
                "template": {"metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}}),
        ),
    };
    (format!("{prefix}/namespaces/{NS}/{plural}"), body)
}

async fn send(
    client: &kube::Client,
    method: &str,
    path: &str,
    body: &Value,
) -> Result<Value, String> {
    let req = http::Request::builder()
        .method(method)
        .uri(path)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(serde_json::to_vec(body).unwrap_or_default())
        .map_err(|e| e.to_string())?;
    client
        .request::<Value>(req)
        .await
        .map_err(|e| e.to_string())
}

async fn gone(client: &kube::Client) {
    let _ = send(
        client,
        "DELETE",
        &format!("/api/v1/namespaces/{NS}"),
        &json!({}),
    )
    .await;
    let start = Instant::now();
    while flotilla::cluster::fetch::get(client, &format!("/api/v1/namespaces/{NS}"))
        .await
        .is_ok()
    {
        if start.elapsed() > Duration::from_secs(300) {
            panic!("namespace {NS} still there after 5 min");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("backup_scale: measures only under `cargo bench --bench backup_scale`");
        return;
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let kc_path = std::env::var_os("FLOTILLA_TESTBED_KUBECONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/target/testbed/kubeconfig"
            ))
        });
    let Ok(kc) = Kubeconfig::read_from(&kc_path) else {
        println!(
            "backup_scale: skipped, no testbed kubeconfig at {}",
            kc_path.display()
        );
        return;
    };
    let opts = KubeConfigOptions {
        context: Some(CONTEXT.into()),
        ..Default::default()
    };
    let client = match kube::Config::from_custom_kubeconfig(kc, &opts)
        .await
        .map(kube::Client::try_from)
    {
        Ok(Ok(c)) => c,
        _ => {
            println!("backup_scale: skipped, context {CONTEXT} unusable");
            return;
        }
    };
    if client.apiserver_version().await.is_err() {
        println!("backup_scale: skipped, {CONTEXT} does not answer");
        return;
    }

    // The namespace to back up.
    gone(&client).await;
    send(
        &client,
        "POST",
        "/api/v1/namespaces",
        &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}),
    )
    .await
    .expect("create namespace");
    let t = Instant::now();
    let all: Vec<(String, Value)> = MIX
        .iter()
        .flat_map(|(p, n)| (0..*n).map(move |i| object(p, i)))
        .collect();
    let total = all.len();
    let mut made = futures::stream::iter(all.into_iter().map(|(path, body)| {
        let client = client.clone();
        async move { send(&client, "POST", &path, &body).await }
    }))
    .buffer_unordered(16);
    while let Some(r) = made.next().await {
        r.expect("create a bench object");
    }
    println!(
        "backup_scale: {total} objects made in {NS} on {CONTEXT} in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let dir = std::env::temp_dir().join(format!("flotilla-backup-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench dir");
    let file = dir.join("bench.tar.gz");
    let id = age::x25519::Identity::generate();
    let sealing = Sealing::Recipients(vec![id.to_public()]);
    let selection = Selection {
        namespaces: vec![NS.into()],
        ..Selection::default()
    };

    let t = Instant::now();
    let got = collect::collect(&client, CONTEXT, "", &selection)
        .await
        .expect("collect");
    let read = t.elapsed();
    let objects: Vec<Stored> = got.objects;
    let (manifest, size) = archive::write(&file, got.manifest, &objects, &sealing).expect("write");
    let backed = t.elapsed();
    println!(
        "backup_scale: backup of {} objects ({} Secrets): read {:.2} s, whole {:.2} s, archive {} ({:.0} bytes/object)",
        manifest.objects.len(),
        manifest.secrets.count,
        read.as_secs_f64(),
        backed.as_secs_f64(),
        flotilla::human::bytes(size),
        size as f64 / manifest.objects.len().max(1) as f64
    );
    drop(objects);

    gone(&client).await;
    let log = Arc::new(AuditLog::open(dir.join("audit.jsonl")).expect("audit log"));
    let t = Instant::now();
    let opened = archive::open(&file).expect("open");
    let opening = Opening::Identities(vec![Box::new(id)]);
    let objects = opened
        .objects(SecretsBy::Opening(&opening))
        .expect("objects");
    let opened_in = t.elapsed();
    let plan = restore::plan(&client, CONTEXT, objects, &Options::default())
        .await
        .expect("plan");
    let planned = t.elapsed();
    let audit = restore::Audit {
        log,
        batch: flotilla::ops::record::batch_id(),
        context: CONTEXT.into(),
        server: String::new(),
        identity: None,
        archive: "bench.tar.gz".into(),
    };
    let applied = restore::apply(&client, &plan, &audit)
        .await
        .expect("the audit intent is written");
    let restored = t.elapsed();
    let failed = applied.iter().filter(|a| a.result.is_err()).count();
    if let Some(f) = applied.iter().find(|a| a.result.is_err()) {
        println!("backup_scale: first failure: {} {:?}", f.title, f.result);
    }
    println!(
        "backup_scale: restore of {} objects ({}): archive opened and checked {:.2} s, plan (dry runs) {:.2} s, apply (audited) {:.2} s, whole {:.2} s, {failed} failed",
        plan.steps.len(),
        plan.summary(),
        opened_in.as_secs_f64(),
        (planned - opened_in).as_secs_f64(),
        (restored - planned).as_secs_f64(),
        restored.as_secs_f64()
    );
    println!("backup_scale: peak {} MiB", peak_mib());
    gone(&client).await;
    let _ = std::fs::remove_dir_all(&dir);
}
