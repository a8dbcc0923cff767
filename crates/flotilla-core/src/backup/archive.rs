//! Writing and reading archives. A new archive is written beside its final name (mode 0600),
//! read back and checked against its manifest, and only then renamed into place: a reader
//! sees a whole, checked archive or none. Reading checks everything the manifest claims (every
//! file there, none more, each with its SHA-256) before any object is handed out, so a
//! damaged archive restores nothing. `check` reads the same way without keeping the files, a
//! chunk at a time, and stops when it is cancelled.

use super::keys::{Opening, Sealing};
use super::{Encryption, Entry, FORMAT, Manifest, resource_name};
use crate::files::sha256_hex;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub const MANIFEST: &str = "manifest.json";
pub const SECRETS: &str = "secrets.yaml.age";
/// Far above the largest object etcd stores (1.5 MiB), far below what would exhaust memory.
const MAX_FILE: u64 = 64 << 20;
const MAX_TOTAL: u64 = 4 << 30;

/// An object and the resource it was read from (`deployments.apps`).
#[derive(Clone, Debug, PartialEq)]
pub struct Stored {
    pub group: String,
    pub plural: String,
    pub object: Value,
}

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn entry_of(s: &Stored) -> Entry {
    Entry {
        resource: resource_name(&s.group, &s.plural),
        api_version: text(&s.object, "/apiVersion").to_string(),
        kind: text(&s.object, "/kind").to_string(),
        namespace: text(&s.object, "/metadata/namespace").to_string(),
        name: text(&s.object, "/metadata/name").to_string(),
        path: None,
        sha256: None,
    }
}

fn file_path(e: &Entry) -> String {
    if e.namespace.is_empty() {
        format!("resources/{}/cluster/{}.yaml", e.resource, e.name)
    } else {
        format!(
            "resources/{}/namespaces/{}/{}.yaml",
            e.resource, e.namespace, e.name
        )
    }
}

fn yaml(v: &Value) -> Result<String, String> {
    serde_saphyr::to_string(v).map_err(|e| format!("cannot write an object as YAML: {e}"))
}

/// Writes `objects` (already in restore order) as the archive at `path`; the manifest as
/// written and the archive's size.
pub fn write(
    path: &Path,
    mut manifest: Manifest,
    objects: &[Stored],
    sealing: &Sealing,
) -> Result<(Manifest, u64), String> {
    manifest.format = FORMAT.into();
    manifest.objects.clear();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut secrets = String::new();
    let sealed = !matches!(sealing, Sealing::Plain);
    for s in objects {
        let mut e = entry_of(s);
        let body = yaml(&s.object)?;
        if sealed && e.is_secret() {
            secrets.push_str("---\n");
            secrets.push_str(&body);
            manifest.secrets.count += 1;
        } else {
            let p = file_path(&e);
            e.sha256 = Some(sha256_hex(body.as_bytes()));
            e.path = Some(p.clone());
            files.push((p, body.into_bytes()));
            if e.is_secret() {
                manifest.secrets.count += 1;
            }
        }
        *manifest.counts.entry(e.resource.clone()).or_default() += 1;
        manifest.objects.push(e);
    }
    manifest.secrets.encryption = if manifest.secrets.count > 0 {
        sealing.encryption()
    } else {
        Encryption::None
    };
    if sealed && manifest.secrets.count > 0 {
        let bytes = sealing.seal(secrets.as_bytes())?;
        manifest.secrets.sha256 = Some(sha256_hex(&bytes));
        files.push((SECRETS.into(), bytes));
    }
    let head = serde_json::to_vec_pretty(&manifest).map_err(|e| format!("manifest: {e}"))?;
    files.insert(0, (MANIFEST.into(), head));

    let (tmp, file) = temp_beside(path)?;
    let cleanup = |e: String| {
        let _ = std::fs::remove_file(&tmp);
        e
    };
    let mtime = jiff::Timestamp::now().as_second().max(0) as u64;
    let written =
        pack(file, &files, mtime).map_err(|e| cleanup(format!("{}: {e}", path.display())))?;
    // Read back what is on disk, as a restore would, before it takes the final name.
    let again = check(&tmp, &Cancel::default())
        .map_err(|e| cleanup(format!("the archive did not read back: {e}")))?;
    if again.manifest != manifest {
        return Err(cleanup("the archive did not read back as written".into()));
    }
    std::fs::rename(&tmp, path).map_err(|e| cleanup(format!("{}: {e}", path.display())))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok((manifest, written))
}

fn pack(file: std::fs::File, files: &[(String, Vec<u8>)], mtime: u64) -> std::io::Result<u64> {
    let mut tar = tar::Builder::new(GzEncoder::new(file, Compression::default()));
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o600);
        h.set_mtime(mtime);
        h.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut h, name, data.as_slice())?;
    }
    let file = tar.into_inner()?.finish()?;
    file.sync_all()?;
    Ok(file.metadata()?.len())
}

/// A new file beside `path`, only for its owner, in a directory created for its owner.
fn temp_beside(path: &Path) -> Result<(PathBuf, std::fs::File), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::files::create_private_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    crate::files::temp_beside(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// An archive read and checked; objects come out of it on demand.
#[derive(Debug)]
pub struct Opened {
    pub manifest: Manifest,
    files: BTreeMap<String, Vec<u8>>,
    /// The archive's size on disk.
    pub size: u64,
}

/// Just the manifest (the first file), for listing archives without reading them whole.
pub fn manifest(path: &Path) -> Result<Manifest, String> {
    // A damaged archive's bytes reach the error text (the tar crate quotes a garbled header
    // field, newlines and all), so the error is made one clean line before anyone sees it.
    read_first(path).map_err(|e| crate::text::one_line(&e))
}

fn read_first(path: &Path) -> Result<Manifest, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut tar = tar::Archive::new(GzDecoder::new(file));
    let mut entries = tar
        .entries()
        .map_err(|e| format!("{} is not a flotilla backup ({e})", path.display()))?;
    let first = entries
        .next()
        .ok_or_else(|| format!("{} is empty", path.display()))?
        .map_err(|e| format!("{} is not a flotilla backup ({e})", path.display()))?;
    read_manifest(path, first)
}

fn read_manifest<R: Read>(path: &Path, mut entry: tar::Entry<'_, R>) -> Result<Manifest, String> {
    let not_ours = |why: String| format!("{} is not a flotilla backup ({why})", path.display());
    let name = entry
        .path()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    if name != MANIFEST {
        return Err(not_ours(format!("it starts with {name:?}, not {MANIFEST}")));
    }
    if entry.size() > MAX_FILE {
        return Err(not_ours("its manifest is too large".into()));
    }
    let mut bytes = Vec::new();
    entry
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{} is damaged: {e}", path.display()))?;
    let m: Manifest =
        serde_json::from_slice(&bytes).map_err(|e| not_ours(format!("{MANIFEST}: {e}")))?;
    if m.format != FORMAT {
        return Err(format!(
            "{} is a {:?} archive; this flotilla reads {FORMAT}",
            path.display(),
            m.format
        ));
    }
    Ok(m)
}

/// Stops a read of an archive from another thread: the reader looks at it between chunks.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl PartialEq for Cancel {
    fn eq(&self, other: &Cancel) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// An archive checked against its manifest, its files not kept.
#[derive(Clone, Debug, PartialEq)]
pub struct Checked {
    pub manifest: Manifest,
    /// The archive's size on disk.
    pub size: u64,
}

/// Reads the whole archive and checks it against its manifest.
pub fn open(path: &Path) -> Result<Opened, String> {
    let mut files = BTreeMap::new();
    let checked = read_checked(path, &Cancel::default(), Some(&mut files))
        .map_err(|e| crate::text::one_line(&e))?;
    Ok(Opened {
        manifest: checked.manifest,
        files,
        size: checked.size,
    })
}

/// Checks every file of the archive against its manifest as `open` does, keeping none of
/// them: it reads the archive once, a chunk at a time, so what it holds is the manifest
/// whatever the archive unpacks to. Soon after `cancel` is set it stops reading, with an
/// error.
pub fn check(path: &Path, cancel: &Cancel) -> Result<Checked, String> {
    read_checked(path, cancel, None).map_err(|e| crate::text::one_line(&e))
}

/// What is read between two looks at the cancel flag.
const CHUNK: usize = 64 << 10;

/// Reads the archive, checking each file against the manifest as it comes (none twice, none
/// it does not name, each with its checksum), and at the end that none is missing. With
/// `keep`, the files' bytes go there.
fn read_checked(
    path: &Path,
    cancel: &Cancel,
    mut keep: Option<&mut BTreeMap<String, Vec<u8>>>,
) -> Result<Checked, String> {
    let damaged = |why: String| format!("{} is damaged: {why}", path.display());
    let stopped = || format!("stopped reading {}", path.display());
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut tar = tar::Archive::new(GzDecoder::new(file));
    let mut entries = tar
        .entries()
        .map_err(|e| format!("{} is not a flotilla backup ({e})", path.display()))?;
    let first = entries
        .next()
        .ok_or_else(|| format!("{} is empty", path.display()))?
        .map_err(|e| format!("{} is not a flotilla backup ({e})", path.display()))?;
    let manifest = read_manifest(path, first)?;
    let mut expected = expected_files(&manifest).map_err(damaged)?;
    let mut seen: HashSet<String> = HashSet::new();
    let mut total = 0u64;
    let mut buf = vec![0u8; CHUNK];
    for entry in entries {
        if cancel.cancelled() {
            return Err(stopped());
        }
        let mut entry = entry.map_err(|e| damaged(e.to_string()))?;
        let name = entry
            .path()
            .map_err(|e| damaged(e.to_string()))?
            .display()
            .to_string();
        if entry.size() > MAX_FILE {
            return Err(damaged(format!("{name} is larger than any object")));
        }
        total += entry.size();
        if total > MAX_TOTAL {
            return Err(damaged("it unpacks to more than 4 GiB".into()));
        }
        let Some(sum) = expected.remove(&name) else {
            return Err(damaged(match seen.contains(&name) {
                true => format!("{name} is in it twice"),
                false => format!("{name} is not in its manifest"),
            }));
        };
        let mut hash = Sha256::new();
        let mut bytes = keep
            .is_some()
            .then(|| Vec::with_capacity(entry.size() as usize));
        loop {
            if cancel.cancelled() {
                return Err(stopped());
            }
            let n = match entry.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(damaged(format!("{name}: {e}"))),
            };
            hash.update(&buf[..n]);
            if let Some(b) = bytes.as_mut() {
                b.extend_from_slice(&buf[..n]);
            }
        }
        let got: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        if got != sum {
            return Err(damaged(format!("{name} does not match its checksum")));
        }
        if let (Some(files), Some(bytes)) = (keep.as_deref_mut(), bytes) {
            files.insert(name.clone(), bytes);
        }
        seen.insert(name);
    }
    if let Some(missing) = expected.keys().next() {
        return Err(damaged(format!("{missing} is missing")));
    }
    // The gzip trailer (CRC and length) is read only at the very end of the stream; whatever
    // follows the tar's end is read through too, a chunk at a time.
    let mut rest = tar.into_inner();
    loop {
        if cancel.cancelled() {
            return Err(stopped());
        }
        match rest.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(damaged(e.to_string())),
        }
    }
    Ok(Checked { manifest, size })
}

/// Every file the manifest names, with its checksum: one per object that has a file, and the
/// sealed Secrets' file.
fn expected_files(m: &Manifest) -> Result<BTreeMap<String, String>, String> {
    let mut files = BTreeMap::new();
    for e in &m.objects {
        let (Some(p), Some(sum)) = (&e.path, &e.sha256) else {
            if e.is_secret() && m.secrets.encryption != Encryption::None {
                continue;
            }
            return Err(format!("{} has no file", e.title()));
        };
        if files.insert(p.clone(), sum.clone()).is_some() {
            return Err(format!("{p} is named twice in its manifest"));
        }
    }
    if m.secrets.encryption != Encryption::None {
        let sum = m.secrets.sha256.clone().unwrap_or_default();
        files.insert(SECRETS.to_string(), sum);
    }
    Ok(files)
}

/// How a restore treats the archive's Secrets.
pub enum SecretsBy<'a> {
    Opening(&'a Opening),
    /// Leave them out (`--skip-secrets`).
    Skipping,
    /// The archive holds none sealed, or the caller checked.
    NotNeeded,
}

impl Opened {
    /// Every object with its entry, in restore order. Sealed Secrets are opened with
    /// `secrets`; without a way to open them, this fails rather than restore without them.
    pub fn objects(&self, secrets: SecretsBy<'_>) -> Result<Vec<(Entry, Value)>, String> {
        let mut sealed: Vec<Value> = Vec::new();
        let has_sealed =
            self.manifest.secrets.encryption != Encryption::None && self.manifest.secrets.count > 0;
        if has_sealed {
            match secrets {
                SecretsBy::Opening(o) => {
                    let bytes = self.files.get(SECRETS).map(Vec::as_slice).unwrap_or(&[]);
                    let plain = o.open(bytes)?;
                    let text = String::from_utf8(plain)
                        .map_err(|_| "the decrypted Secrets are not text".to_string())?;
                    sealed = serde_saphyr::from_multiple(&text)
                        .map_err(|e| format!("the decrypted Secrets: {e}"))?;
                    sealed.retain(|v| !v.is_null());
                }
                SecretsBy::Skipping => {}
                SecretsBy::NotNeeded => {
                    return Err(
                        "this archive's Secrets are encrypted: give the key, or --skip-secrets"
                            .into(),
                    );
                }
            }
        }
        let mut sealed = sealed.into_iter();
        let mut out = Vec::with_capacity(self.manifest.objects.len());
        for e in &self.manifest.objects {
            let value = match &e.path {
                Some(p) => {
                    let bytes = self.files.get(p).map(Vec::as_slice).unwrap_or(&[]);
                    let text =
                        std::str::from_utf8(bytes).map_err(|_| format!("{p} is not text"))?;
                    serde_saphyr::from_str::<Value>(text).map_err(|e| format!("{p}: {e}"))?
                }
                None if matches!(secrets, SecretsBy::Skipping) => continue,
                None => {
                    let v = sealed
                        .next()
                        .ok_or_else(|| format!("{} is not in the Secrets file", e.title()))?;
                    if text(&v, "/metadata/name") != e.name
                        || text(&v, "/metadata/namespace") != e.namespace
                    {
                        return Err(format!(
                            "the Secrets file does not match its manifest at {}",
                            e.title()
                        ));
                    }
                    v
                }
            };
            out.push((e.clone(), value));
        }
        Ok(out)
    }

    /// Whether restoring needs a key: sealed Secrets are in the archive.
    pub fn sealed_secrets(&self) -> bool {
        self.manifest.secrets.encryption != Encryption::None && self.manifest.secrets.count > 0
    }
}

/// The manifest as `flotilla backup inspect` and `:backups` show it, sanitized.
pub fn manifest_text(file: &Path, checked: &Checked) -> String {
    let m = &checked.manifest;
    let mut out = String::new();
    let line = |out: &mut String, k: &str, v: &str| out.push_str(&format!("{k:<12}{v}\n"));
    line(
        &mut out,
        "archive",
        &format!("{} ({})", file.display(), crate::human::bytes(checked.size)),
    );
    line(&mut out, "format", &m.format);
    line(
        &mut out,
        "cluster",
        &format!(
            "{} ({}, {})",
            m.cluster.context, m.cluster.server, m.cluster.version
        ),
    );
    line(
        &mut out,
        "created",
        &format!(
            "{} (read in {:.1} s by flotilla {})",
            m.created,
            m.took_ms as f64 / 1000.0,
            m.flotilla
        ),
    );
    line(&mut out, "namespaces", &m.selection.namespaces.join(", "));
    if !m.selection.objects.is_empty() {
        line(&mut out, "objects", &m.selection.objects.join(", "));
    }
    if let Some(s) = &m.selection.selector {
        line(&mut out, "selector", s);
    }
    if !m.selection.kinds.is_empty() {
        line(&mut out, "kinds", &m.selection.kinds.join(", "));
    }
    let secrets = match m.secrets.encryption {
        Encryption::None if m.secrets.count > 0 => "stored in plain text",
        Encryption::None => "none",
        Encryption::X25519 => "encrypted to age X25519 recipients",
        Encryption::Passphrase => "encrypted with a passphrase (age scrypt)",
    };
    line(
        &mut out,
        "secrets",
        &format!("{} ({secrets})", m.secrets.count),
    );
    line(
        &mut out,
        "checksums",
        &format!("every file matches ({} objects)", m.objects.len()),
    );
    out.push_str("\nobjects\n");
    for (resource, n) in &m.counts {
        out.push_str(&format!("  {n:>6}  {resource}\n"));
    }
    if !m.skipped.is_empty() {
        out.push_str("\nnot backed up\n");
        for (why, n) in &m.skipped {
            out.push_str(&format!("  {n:>6}  {why}\n"));
        }
    }
    if !m.warnings.is_empty() {
        out.push_str("\nwarnings\n");
        for w in &m.warnings {
            out.push_str(&format!("  {w}\n"));
        }
    }
    // An archive can come from anywhere; what its manifest says must not drive the terminal
    // (`:backups` shows these lines too).
    crate::text::clean_text(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("flotilla-archive-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn objects() -> Vec<Stored> {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "web", "namespace": "shop"}, "data": {"a": "1"}});
        let secret = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "namespace": "shop"}, "data": {"password": "aHVudGVyMg=="}});
        vec![
            Stored {
                group: String::new(),
                plural: "configmaps".into(),
                object: cm,
            },
            Stored {
                group: String::new(),
                plural: "secrets".into(),
                object: secret,
            },
        ]
    }

    #[test]
    fn an_archive_reads_back_whole_and_only_the_key_opens_its_secrets() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("round");
        let path = dir.join("b.tar.gz");
        let id = age::x25519::Identity::generate();
        let sealing = Sealing::Recipients(vec![id.to_public()]);
        let (m, size) = write(&path, Manifest::default(), &objects(), &sealing).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temp file left"
        );
        assert_eq!(m.secrets.count, 1);
        assert_eq!(m.secrets.encryption, Encryption::X25519);
        let opened = open(&path).unwrap();
        let e = opened.objects(SecretsBy::NotNeeded).unwrap_err();
        assert!(e.contains("--skip-secrets"), "{e}");
        let without = opened.objects(SecretsBy::Skipping).unwrap();
        assert_eq!(without.len(), 1);
        let opening = Opening::Identities(vec![Box::new(id)]);
        let all = opened.objects(SecretsBy::Opening(&opening)).unwrap();
        assert_eq!(
            all.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>(),
            objects().into_iter().map(|s| s.object).collect::<Vec<_>>()
        );
        // The plain bytes of the archive do not hold the value.
        let mut raw = Vec::new();
        GzDecoder::new(std::fs::File::open(&path).unwrap())
            .read_to_end(&mut raw)
            .unwrap();
        assert!(!String::from_utf8_lossy(&raw).contains("aHVudGVyMg=="));
        assert_eq!(manifest(&path).unwrap(), m);
    }

    #[test]
    fn a_damaged_archive_is_refused_whole() {
        let dir = scratch("damaged");
        let path = dir.join("b.tar.gz");
        write(&path, Manifest::default(), &objects(), &Sealing::Plain).unwrap();
        let good = std::fs::read(&path).unwrap();
        let unpacked = |b: &[u8]| {
            let mut out = Vec::new();
            GzDecoder::new(b).read_to_end(&mut out).ok().map(|_| out)
        };
        let plain = unpacked(&good);
        let bad = dir.join("bad.tar.gz");
        // Any byte past gzip's 10-byte header (whose time and OS fields nothing checks), flipped
        // two ways: refused, in one line without a control character. A flip can leave every
        // unpacked byte as it was (deflate's padding bits, a code that decodes to the same
        // bytes): then nothing is damaged, and the archive opens.
        for at in 10..good.len() {
            for flip in [0xff, 0x5a] {
                let mut bytes = good.clone();
                bytes[at] ^= flip;
                std::fs::write(&bad, &bytes).unwrap();
                if unpacked(&bytes) == plain {
                    assert!(open(&bad).is_ok(), "byte {at}: nothing changed");
                    continue;
                }
                assert_eq!(
                    check(&bad, &Cancel::default()).err().is_some(),
                    open(&bad).is_err(),
                    "byte {at}: check and open agree"
                );
                let Err(e) = open(&bad) else {
                    panic!("byte {at} ^ {flip:#x} changed the archive unnoticed");
                };
                assert!(
                    e.contains("damaged") || e.contains("not a flotilla backup"),
                    "byte {at}: {e}"
                );
                assert!(!e.chars().any(char::is_control), "byte {at}: {e:?}");
            }
        }
        let e = open(&dir.join("missing.tar.gz")).unwrap_err();
        assert!(e.contains("missing.tar.gz"), "{e}");
        std::fs::write(&bad, b"hello").unwrap();
        assert!(open(&bad).unwrap_err().contains("not a flotilla backup"));
    }

    #[test]
    fn a_check_reads_what_was_written_and_stops_when_cancelled() {
        let dir = scratch("check");
        let path = dir.join("b.tar.gz");
        let (m, size) = write(&path, Manifest::default(), &objects(), &Sealing::Plain).unwrap();
        let checked = check(&path, &Cancel::default()).unwrap();
        assert_eq!(checked, Checked { manifest: m, size });
        let cancel = Cancel::default();
        cancel.cancel();
        let e = check(&path, &cancel).unwrap_err();
        assert!(e.starts_with("stopped reading"), "{e}");
    }

    #[test]
    fn a_file_changed_inside_a_good_archive_is_caught_by_its_checksum() {
        let dir = scratch("tampered");
        let path = dir.join("b.tar.gz");
        let (m, _) = write(&path, Manifest::default(), &objects(), &Sealing::Plain).unwrap();
        let mut files: Vec<(String, Vec<u8>)> =
            vec![(MANIFEST.into(), serde_json::to_vec(&m).unwrap())];
        for e in &m.objects {
            let mut body = format!("changed {}", e.name).into_bytes();
            body.push(b'\n');
            files.push((e.path.clone().unwrap(), body));
        }
        let file = std::fs::File::create(dir.join("t.tar.gz")).unwrap();
        pack(file, &files, 0).unwrap();
        let e = open(&dir.join("t.tar.gz")).unwrap_err();
        assert!(e.contains("does not match its checksum"), "{e}");
    }

    #[test]
    fn what_an_archive_says_cannot_drive_the_terminal() {
        let dir = std::env::temp_dir().join(format!("flotilla-inspect-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("b.tar.gz");
        let mut m = Manifest::default();
        m.selection.namespaces = vec!["shop\u{1b}]0;owned\u{7}".into()];
        m.warnings = vec!["pods in shop: \u{1b}[2Jcleared".into()];
        write(&path, m, &[], &Sealing::Plain).unwrap();
        let checked = check(&path, &Cancel::default()).unwrap();
        let text = manifest_text(&path, &checked);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{text:?}"
        );
        assert!(text.contains("namespaces  shop\n"), "{text}");
        assert!(text.contains("  pods in shop: cleared\n"), "{text}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
