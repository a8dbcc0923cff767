//! The operation audit log: one JSON line per mutation attempt (sent or not: refused, denied
//! and failed ones too), in `audit.jsonl` in the state dir (mode 0600).
//!
//! Tamper-evident, not tamper-proof: each record carries the SHA-256 of the one before it and
//! of itself, and a head file beside the log holds the record count and the last hash. An
//! edited record no longer matches its hash, a removed or reordered one breaks the chain, a
//! cut-off tail no longer matches the head file. The hashes are not keyed, so someone who can
//! rewrite the whole file can forge a consistent one; `flotilla audit export` is there to
//! ship the records somewhere they cannot.
//!
//! Record N is line N of the file, so `sed -n Np` finds what `verify` names.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// The object a record is about.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Target {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

/// One mutation attempt on one object. The field order is the serialized order, and so part
/// of what the hash covers: append fields at the end, before `prev` and `hash`, never
/// reorder (`hash` must stay last, `seal` relies on it).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Record {
    /// RFC 3339, UTC; filled in by the caller.
    pub time: String,
    /// The OS user.
    pub user: String,
    pub host: String,
    /// The Kubernetes identity (user name), when known.
    pub identity: Option<String>,
    pub context: String,
    /// The API server URL.
    pub server: String,
    /// "scale", "delete", "apply", …
    pub action: String,
    /// Ties the records of one action over many objects and clusters together.
    pub batch: String,
    pub target: Target,
    pub rv_before: Option<String>,
    pub rv_after: Option<String>,
    /// The patch or diff summary, already passed through `redact`.
    pub change: Option<Value>,
    /// "ok" | "dry-run" | "denied" | "refused" | "failed"
    pub result: String,
    pub error: Option<String>,
    /// The hash of the previous record ("" for the first); set by `append`.
    #[serde(default)]
    pub prev: String,
    /// SHA-256 (hex) of this record serialized with `hash` = ""; set by `append`.
    #[serde(default)]
    pub hash: String,
}

/// How a serialized record with `hash` = "" ends; `hash` is the last field.
const UNSEALED_TAIL: &str = "\"hash\":\"\"}";

/// The log's line and its hash. The hash covers the record's compact serde_json
/// serialization (fields in declaration order) with `hash` = "" — exactly the stored line
/// with the hash's hex digits taken out, so anyone can recompute it from the file alone
/// (without this program's serde_json, whose map ordering or float printing might differ).
fn seal(rec: &Record) -> io::Result<(String, String)> {
    let unsealed = serde_json::to_string(rec)?;
    let body = unsealed.strip_suffix(UNSEALED_TAIL).ok_or_else(|| {
        io::Error::other("audit record does not serialize with hash last (a bug)")
    })?;
    let hash = sha256_hex(unsealed.as_bytes());
    let line = format!("{body}\"hash\":\"{hash}\"}}\n");
    Ok((line, hash))
}

/// The reverse of `seal`: the hashed text of a stored line, and the hash it claims.
fn unseal(line: &str) -> Option<(String, &str)> {
    let rest = line.strip_suffix("\"}")?;
    let split = rest.len().checked_sub(64)?;
    let hex = rest.get(split..)?;
    let body = rest.get(..split)?.strip_suffix("\"hash\":\"")?;
    hex.bytes()
        .all(|b| b.is_ascii_hexdigit())
        .then(|| (format!("{body}{UNSEALED_TAIL}"), hex))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The open log. One per process is enough; `&self` methods may be called from any thread
/// (a mutex orders this process's appends, a file lock other processes').
pub struct AuditLog {
    path: PathBuf,
    inner: Mutex<Inner>,
}

struct Inner {
    /// Opened for append (and read, to find the chain's end again).
    file: File,
    end: End,
}

/// What this process knows of the end of the log.
#[derive(Default)]
struct End {
    /// The file's length after our last look; another length means another process appended.
    len: u64,
    count: usize,
    last: String,
}

/// Holds the advisory lock on the log file (other flotilla processes) until dropped.
struct FileLock<'a>(&'a File);

impl<'a> FileLock<'a> {
    fn exclusive(file: &'a File) -> io::Result<Self> {
        file.lock()?;
        Ok(FileLock(file))
    }
}

impl Drop for FileLock<'_> {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

impl AuditLog {
    /// Opens (creating) the log: the parent dir 0700, the file 0600 for append. Reads the
    /// log to continue its chain.
    pub fn open(path: PathBuf) -> io::Result<AuditLog> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
        }
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .open(&path)?;
        // A log created by hand (or by an old umask) may be readable by others: records name
        // objects and identities.
        let mode = file.metadata()?.permissions().mode();
        if mode & 0o077 != 0
            && let Err(e) = file.set_permissions(std::fs::Permissions::from_mode(0o600))
        {
            tracing::warn!("audit log {}: cannot make it 0600: {e}", path.display());
        }
        let log = AuditLog {
            path,
            inner: Mutex::new(Inner {
                file,
                end: End::default(),
            }),
        };
        {
            let mut inner = log.lock();
            let Inner { file, end } = &mut *inner;
            let _lock = FileLock::exclusive(file)?;
            resync(file, end)?;
        }
        Ok(log)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic mid-append leaves nothing half-done that `resync` would not notice.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The preflight before a mutation, which is blocked when this fails: the log is still
    /// the file we hold at its path (not removed or replaced), can still be opened for append
    /// there (permissions, a read-only remount) and its device takes an fsync.
    pub fn check(&self) -> io::Result<()> {
        let inner = self.lock();
        self.same_file(&inner.file)?;
        OpenOptions::new().append(true).open(&self.path)?;
        inner.file.sync_all()
    }

    /// Fails when the path no longer names the file we append to: records written to a
    /// removed or renamed file would be lost to anyone reading the path.
    fn same_file(&self, file: &File) -> io::Result<()> {
        let at_path = std::fs::metadata(&self.path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("audit log {} is gone: {e}", self.path.display()),
            )
        })?;
        let held = file.metadata()?;
        if (at_path.dev(), at_path.ino()) != (held.dev(), held.ino()) {
            return Err(io::Error::other(format!(
                "audit log {} was replaced by another file",
                self.path.display()
            )));
        }
        Ok(())
    }

    /// Chains `rec` to the log (sets `prev` and `hash`), writes it as one line and fsyncs,
    /// then updates the head file. Returns the record as stored.
    pub fn append(&self, mut rec: Record) -> io::Result<Record> {
        let mut inner = self.lock();
        let Inner { file, end } = &mut *inner;
        let file: &File = file;
        let _lock = FileLock::exclusive(file)?;
        self.same_file(file)?;
        if file.metadata()?.len() != end.len {
            // Another flotilla appended since our last record: find the chain's end again.
            resync(file, end)?;
        }
        rec.prev = end.last.clone();
        rec.hash = String::new();
        let (line, hash) = seal(&rec)?;
        rec.hash = hash;
        let before = end.len;
        let mut writer = file;
        if let Err(e) = writer
            .write_all(line.as_bytes())
            .and_then(|()| file.sync_data())
        {
            // No half line for the next record to be glued onto; the caller sees the error.
            let _ = file.set_len(before);
            return Err(e);
        }
        end.len = before + line.len() as u64;
        end.count += 1;
        end.last = rec.hash.clone();
        write_head(&self.path, end.count, &end.last)?;
        Ok(rec)
    }
}

/// Reads the whole log through `file` for its length, line count and last hash. A last line
/// without its newline (a crash mid-write) is ended, so the next record starts a line of its
/// own and `verify` names the broken one.
fn resync(mut file: &File, end: &mut End) -> io::Result<()> {
    #[derive(Deserialize)]
    struct HashOnly {
        #[serde(default)]
        hash: String,
    }
    file.seek(SeekFrom::Start(0))?;
    let mut reader = BufReader::new(file);
    let (mut count, mut len, mut last, mut ended) = (0usize, 0u64, String::new(), true);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        len += n as u64;
        count += 1;
        ended = buf.ends_with(b"\n");
        if let Ok(h) = serde_json::from_slice::<HashOnly>(buf.trim_ascii_end()) {
            last = h.hash;
        }
    }
    drop(reader);
    if !ended {
        file.write_all(b"\n")?;
        file.sync_data()?;
        len += 1;
    }
    *end = End { len, count, last };
    Ok(())
}

/// "<count> <hash>", replaced atomically (temp file 0600, fsync, rename, fsync of the dir).
fn write_head(log: &Path, count: usize, hash: &str) -> io::Result<()> {
    let head = head_path(log);
    let mut tmp = head.clone().into_os_string();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    // Not through a symlink someone left in the temp file's place.
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&tmp)?;
    f.write_all(format!("{count} {hash}\n").as_bytes())?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, &head)?;
    if let Some(dir) = head.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// `$FLOTILLA_AUDIT_LOG` if set, else `audit.jsonl` in the state dir (the local data dir
/// where there is no state dir), else in the working directory when there is no home.
pub fn default_path() -> PathBuf {
    if let Some(p) = std::env::var_os("FLOTILLA_AUDIT_LOG").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    match directories::ProjectDirs::from("", "", "flotilla") {
        Some(d) => d
            .state_dir()
            .unwrap_or(d.data_local_dir())
            .join("audit.jsonl"),
        None => PathBuf::from("flotilla-audit.jsonl"),
    }
}

/// The `audit-log` setting if set (a leading `~/` is the home dir), else `default_path()`.
pub fn path_for(settings: &crate::config::Settings) -> PathBuf {
    match &settings.audit_log {
        Some(p) => crate::config::expand_home(p),
        None => default_path(),
    }
}

/// The head file of a log: `<log>.head`.
pub fn head_path(log: &Path) -> PathBuf {
    let mut p = log.as_os_str().to_owned();
    p.push(".head");
    PathBuf::from(p)
}

/// Where the chain breaks: the 1-based record (= line), or 0 when it is the log as a whole
/// (unreadable, head file missing or not matching).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    pub record: usize,
    pub reason: String,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.record {
            0 => f.write_str(&self.reason),
            n => write!(f, "record {n}: {}", self.reason),
        }
    }
}

impl std::error::Error for Broken {}

/// Follows the chain line by line; keeps the first break.
struct Checker {
    n: usize,
    prev: String,
    broken: Option<Broken>,
}

impl Checker {
    fn new() -> Self {
        Checker {
            n: 0,
            prev: String::new(),
            broken: None,
        }
    }

    fn fail(&mut self, reason: impl Into<String>) {
        if self.broken.is_none() {
            self.broken = Some(Broken {
                record: self.n,
                reason: reason.into(),
            });
        }
    }

    /// One line (without its newline); the record, when it parses.
    fn line(&mut self, bytes: &[u8]) -> Option<Record> {
        self.n += 1;
        let Ok(text) = std::str::from_utf8(bytes) else {
            self.fail("not UTF-8 text");
            return None;
        };
        if text.trim().is_empty() {
            self.fail("an empty line where a record should be");
            return None;
        }
        let rec = match serde_json::from_str::<Record>(text) {
            Ok(r) => r,
            Err(e) => {
                self.fail(format!("not a record (unparsable JSON: {e})"));
                return None;
            }
        };
        if self.broken.is_some() {
            return Some(rec);
        }
        match unseal(text) {
            Some((hashed, hex)) if hex == rec.hash => {
                if sha256_hex(hashed.as_bytes()) != rec.hash {
                    self.fail("hash does not match its content (edited?)");
                } else if rec.prev != self.prev {
                    let n = self.n;
                    self.fail(match n {
                        1 => "the first record has a previous hash (records before it were removed?)"
                            .to_string(),
                        _ => format!(
                            "previous hash does not match record {} (a record was removed or reordered)",
                            n - 1
                        ),
                    });
                }
            }
            _ => self.fail("the hash is not the last field, as flotilla writes it (edited?)"),
        }
        self.prev = rec.hash.clone();
        Some(rec)
    }

    /// After the last line: the head file must agree on the count and the last hash.
    fn finish(self, log: &Path) -> Result<usize, Broken> {
        if let Some(b) = self.broken {
            return Err(b);
        }
        let n = self.n;
        let head = head_path(log);
        let whole = |reason: String| Broken { record: 0, reason };
        let text = match std::fs::read_to_string(&head) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound && n == 0 => return Ok(0),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(whole(format!(
                    "the head file {} is missing, with {n} records in the log (it holds the count that shows a truncated log)",
                    head.display()
                )));
            }
            Err(e) => return Err(whole(format!("cannot read {}: {e}", head.display()))),
        };
        let parsed = text
            .split_once(' ')
            .and_then(|(c, h)| Some((c.trim().parse::<usize>().ok()?, h.trim())));
        let Some((count, hash)) = parsed else {
            return Err(whole(format!(
                "the head file {} is not \"<count> <hash>\"",
                head.display()
            )));
        };
        if count > n {
            return Err(whole(format!(
                "the log ends at record {n} but the head file says {count} records (truncated?)"
            )));
        }
        if count < n {
            return Err(whole(format!(
                "the log has {n} records but the head file says {count} (records added by something else, or an old head file)"
            )));
        }
        if hash != self.prev {
            return Err(whole(format!(
                "the head file's hash does not match record {n} (the last records were replaced?)"
            )));
        }
        Ok(n)
    }
}

/// The records that parse with their record (= line) numbers, oldest first.
pub type Numbered = Vec<(usize, Record)>;

/// Reads every line of the log once: the records that parse, and whether the chain holds.
pub fn read_verified(path: &Path) -> io::Result<(Numbered, Result<usize, Broken>)> {
    let mut reader = BufReader::new(File::open(path)?);
    let mut checker = Checker::new();
    let mut records = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        if let Some(rec) = checker.line(line) {
            records.push((checker.n, rec));
        }
    }
    Ok((records, checker.finish(path)))
}

/// Checks the whole chain and the head file; the number of records when they hold.
pub fn verify(path: &Path) -> Result<usize, Broken> {
    read_verified(path)
        .map_err(|e| Broken {
            record: 0,
            reason: format!("cannot read {}: {e}", path.display()),
        })
        .and_then(|(_, verdict)| verdict)
}

/// The records that parse, oldest first (for the `:audit` view; broken lines are skipped).
pub fn read(path: &Path) -> io::Result<Vec<Record>> {
    read_verified(path).map(|(records, _)| records.into_iter().map(|(_, r)| r).collect())
}

/// Writes the stored lines (byte for byte, so their hashes still check) of the records at
/// or after `since` to `out`; the number written.
pub fn export(
    path: &Path,
    since: Option<jiff::Timestamp>,
    out: &mut dyn Write,
) -> io::Result<usize> {
    #[derive(Deserialize)]
    struct TimeOnly {
        time: String,
    }
    let mut reader = BufReader::new(File::open(path)?);
    let mut buf = Vec::new();
    let mut written = 0;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let Ok(rec) = serde_json::from_slice::<TimeOnly>(line) else {
            continue;
        };
        if let Some(since) = since {
            match rec.time.parse::<jiff::Timestamp>() {
                Ok(t) if t >= since => {}
                _ => continue,
            }
        }
        out.write_all(line)?;
        out.write_all(b"\n")?;
        written += 1;
    }
    out.flush()?;
    Ok(written)
}

/// What a record may say of a change to a Secret: every value under `data` / `stringData`
/// (and the last-applied annotation, which holds them too) becomes `sha256:<hex>`, so the
/// record shows that a value changed without holding it. Also JSON-patch ops on
/// `/data…` and `/stringData…`. Other kinds, except Secrets nested in them (a List), pass
/// unchanged.
pub fn redact(kind: &str, change: Value) -> Value {
    let mut change = change;
    walk(&mut change, kind == "Secret");
    change
}

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

fn hashed(v: &Value) -> Value {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Value::String(format!("sha256:{}", sha256_hex(text.as_bytes())))
}

fn walk(v: &mut Value, in_secret: bool) {
    match v {
        Value::Object(map) => {
            let secret = in_secret || map.get("kind").and_then(Value::as_str) == Some("Secret");
            if secret {
                for key in ["data", "stringData"] {
                    if let Some(Value::Object(values)) = map.get_mut(key) {
                        values.values_mut().for_each(|x| *x = hashed(x));
                    }
                }
                // A JSON-patch op: {"op": "add", "path": "/data/password", "value": "…"}.
                let on_values = map.get("path").and_then(Value::as_str).is_some_and(|p| {
                    ["/data", "/stringData"].iter().any(|root| {
                        p.strip_prefix(root)
                            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
                    })
                });
                if on_values && let Some(value) = map.get_mut("value") {
                    match value {
                        Value::Object(values) => values.values_mut().for_each(|x| *x = hashed(x)),
                        Value::Null => {}
                        other => *other = hashed(other),
                    }
                }
                if let Some(Value::Object(ann)) = map
                    .get_mut("metadata")
                    .and_then(|m| m.get_mut("annotations"))
                    && let Some(applied) = ann.get_mut(LAST_APPLIED)
                {
                    *applied = hashed(applied);
                }
            }
            for (key, x) in map.iter_mut() {
                if !(secret && (key == "data" || key == "stringData")) {
                    walk(x, secret);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|x| walk(x, in_secret)),
        _ => {}
    }
}

/// The OS user: `$USER`, `$LOGNAME`, else the password entry of the effective uid.
pub fn os_user() -> String {
    for var in ["USER", "LOGNAME"] {
        if let Some(u) = std::env::var(var).ok().filter(|u| !u.is_empty()) {
            return u;
        }
    }
    // SAFETY: geteuid cannot fail; getpwuid_r writes only into `pw` and `buf`, whose sizes it
    // is given, and `pw_name` points into `buf`, read while `buf` lives.
    unsafe {
        let uid = libc::geteuid();
        let mut pw: libc::passwd = std::mem::zeroed();
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        let mut buf = vec![0 as libc::c_char; 4096];
        let rc = libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), buf.len(), &mut found);
        if rc == 0 && !found.is_null() && !pw.pw_name.is_null() {
            return std::ffi::CStr::from_ptr(pw.pw_name)
                .to_string_lossy()
                .into_owned();
        }
        format!("uid {uid}")
    }
}

/// This machine's host name (gethostname), or "unknown".
pub fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most `buf.len()` bytes into `buf`.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "unknown".into();
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    match String::from_utf8_lossy(&buf[..end]) {
        name if name.is_empty() => "unknown".into(),
        name => name.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sealed_lines_unseal_to_what_was_hashed() {
        let rec = Record {
            action: "scale".into(),
            change: Some(json!({"spec": {"replicas": 3}, "x": "\"hash\":\"\"}"})),
            ..Record::default()
        };
        let (line, hash) = seal(&rec).expect("seal");
        let line = line.trim_end();
        let (hashed, hex) = unseal(line).expect("unseal");
        assert_eq!(hex, hash);
        assert_eq!(hashed, serde_json::to_string(&rec).expect("json"));
        assert_eq!(sha256_hex(hashed.as_bytes()), hash);
        let parsed: Record = serde_json::from_str(line).expect("parse");
        assert_eq!(parsed.hash, hash);
    }

    #[test]
    fn secrets_are_hashed_everywhere_they_hold_values() {
        let h = |s: &str| format!("sha256:{}", sha256_hex(s.as_bytes()));
        let merge = json!({"data": {"password": "c2VjcmV0"}, "stringData": {"token": "t"},
            "metadata": {"labels": {"a": "b"}, "annotations": {LAST_APPLIED: "{\"data\":1}"}}});
        let r = redact("Secret", merge);
        assert_eq!(r["data"]["password"], json!(h("c2VjcmV0")));
        assert_eq!(r["stringData"]["token"], json!(h("t")));
        assert_eq!(r["metadata"]["labels"]["a"], json!("b"));
        assert_eq!(
            r["metadata"]["annotations"][LAST_APPLIED],
            json!(h("{\"data\":1}"))
        );
        let nested = redact(
            "Secret",
            json!({"before": {"data": {"k": "v"}}, "after": null}),
        );
        assert_eq!(nested["before"]["data"]["k"], json!(h("v")));
        let patch = redact(
            "Secret",
            json!([
                {"op": "replace", "path": "/data/k", "value": "djI="},
                {"op": "add", "path": "/data", "value": {"a": "b"}},
                {"op": "replace", "path": "/metadata/labels/x", "value": "y"},
                {"op": "replace", "path": "/dataset", "value": "kept"}
            ]),
        );
        assert_eq!(patch[0]["value"], json!(h("djI=")));
        assert_eq!(patch[1]["value"]["a"], json!(h("b")));
        assert_eq!(patch[2]["value"], json!("y"));
        assert_eq!(patch[3]["value"], json!("kept"));
        let list = redact(
            "List",
            json!({"items": [{"kind": "Secret", "data": {"k": "v"}}, {"kind": "ConfigMap", "data": {"k": "v"}}]}),
        );
        assert_eq!(list["items"][0]["data"]["k"], json!(h("v")));
        assert_eq!(list["items"][1]["data"]["k"], json!("v"));
        let cm = json!({"data": {"k": "v"}});
        assert_eq!(redact("ConfigMap", cm.clone()), cm);
    }

    #[test]
    fn broken_says_which_record() {
        let b = Broken {
            record: 7,
            reason: "hash does not match its content (edited?)".into(),
        };
        assert_eq!(
            b.to_string(),
            "record 7: hash does not match its content (edited?)"
        );
        let whole = Broken {
            record: 0,
            reason: "the head file is missing".into(),
        };
        assert_eq!(whole.to_string(), "the head file is missing");
    }

    #[test]
    fn head_path_appends() {
        assert_eq!(
            head_path(Path::new("/x/audit.jsonl")),
            PathBuf::from("/x/audit.jsonl.head")
        );
    }
}
