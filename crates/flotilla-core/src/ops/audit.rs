//! The operation audit log: JSON lines in `audit.jsonl` in the state dir (mode 0600), written
//! ahead of every change. Before the first request that may change a cluster an **intent**
//! record (who, where, what, the planned calls) is appended and synced; after the answer an
//! **outcome** record names its intent by hash. An intent that cannot be written blocks the
//! change; an intent without an outcome (flotilla killed, host lost mid-call) reads "outcome
//! unknown". Attempts that send nothing (refused, denied, dry runs) are one record each.
//!
//! Tamper-evident, not tamper-proof: each record carries the SHA-256 of the one before it and
//! of itself, and a head file beside the log holds the record count and the last hash. An
//! edited record no longer matches its hash, a removed or reordered one breaks the chain, a
//! cut-off tail no longer matches the head file. A log found so is never appended to: changes
//! are blocked until `flotilla audit rotate` starts a new one (the old kept for inspection).
//! The chain hashes are not keyed, so someone who can rewrite the whole file can forge a
//! consistent one; `flotilla audit export` is there to ship the records somewhere they cannot.
//! Secret values in records are keyed hashes (HMAC-SHA-256 under the log's own key, a 0600
//! file beside it), so a short password cannot be recovered from the log by guessing.
//!
//! Record N is line N of the file, so `sed -n Np` finds what `verify` names.

use crate::files::sha256_hex;
use crate::model::{AuditState, UnknownOutcome};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// The object a record is about.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash, Default)]
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
    /// "intent" (written before the change is sent), then the outcome: "ok" | "failed";
    /// for what sends nothing, one record: "dry-run" | "denied" | "refused" | "failed".
    /// "acknowledged": someone saw that an intent's outcome is unknown.
    pub result: String,
    pub error: Option<String>,
    /// On an outcome (or an acknowledgement): the hash of the intent record it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
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

/// The key Secret values are hashed under: HMAC-SHA-256, so a value cannot be found by
/// hashing guesses without the key. Each log has its own, in a 0600 file beside it.
#[derive(Clone)]
pub struct Key([u8; 32]);

impl Key {
    /// The log's key from `path`, made (32 random bytes, hex, 0600, never through a symlink)
    /// when there is none yet.
    fn load_or_create(path: &Path) -> io::Result<Key> {
        match std::fs::read_to_string(path) {
            Ok(text) => Key::parse(text.trim()).ok_or_else(|| {
                io::Error::other(format!(
                    "{} is not an audit key (64 hex digits)",
                    path.display()
                ))
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let key = Key::random()?;
                let mut f = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .custom_flags(libc::O_NOFOLLOW)
                    .open(path)?;
                f.write_all(format!("{}\n", hex(&key.0)).as_bytes())?;
                f.sync_all()?;
                Ok(key)
            }
            Err(e) => Err(e),
        }
    }

    fn parse(hex_digits: &str) -> Option<Key> {
        let bytes = hex_digits.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let mut key = [0u8; 32];
        for (i, pair) in bytes.chunks(2).enumerate() {
            let pair = std::str::from_utf8(pair).ok()?;
            key[i] = u8::from_str_radix(pair, 16).ok()?;
        }
        Some(Key(key))
    }

    fn random() -> io::Result<Key> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).map_err(|e| io::Error::other(e.to_string()))?;
        Ok(Key(key))
    }

    /// A key of this process only, for redacting what is shown and never stored (a plan's
    /// diff): values that differ still look different, and nothing can be looked up.
    pub fn ephemeral() -> &'static Key {
        static KEY: std::sync::OnceLock<Key> = std::sync::OnceLock::new();
        KEY.get_or_init(|| {
            // Without the OS's randomness, a time-seeded key still hides values from the screen.
            Key::random().unwrap_or_else(|_| {
                let mut key = [0u8; 32];
                key.iter_mut().for_each(|b| *b = fastrand::u8(..));
                Key(key)
            })
        })
    }

    /// "hmac-sha256:<hex>" of `text`.
    pub fn mac(&self, text: &str) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .expect("HMAC takes a key of any length");
        mac.update(text.as_bytes());
        format!("hmac-sha256:{}", hex(&mac.finalize().into_bytes()))
    }

    /// `change` with Secret values replaced by their keyed hashes (see `redact`).
    pub fn redact(&self, kind: &str, change: Value) -> Value {
        let mut change = change;
        walk(self, &mut change, kind == "Secret");
        change
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The open log. One per process is enough; `&self` methods may be called from any thread
/// (a mutex orders this process's appends, a file lock other processes').
pub struct AuditLog {
    path: PathBuf,
    inner: Mutex<Inner>,
}

struct Inner {
    /// Opened for append (and read, to check the chain again).
    file: File,
    /// The key of the log `file` is.
    key: Key,
    end: End,
    /// Why no record may be appended: the log is not what flotilla last wrote.
    blocked: Option<String>,
}

/// What this process knows of the end of the log.
#[derive(Default)]
struct End {
    /// The file's length after our last look; another length means another process appended
    /// (longer) or someone cut it (shorter).
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

/// What is said of a log that refuses appends: what to do first, then why.
fn blocked_by(path: &Path, broken: &Broken) -> String {
    format!(
        "changes are blocked until `flotilla audit rotate` starts a new log: {broken} ({})",
        path.display()
    )
}

fn open_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

impl AuditLog {
    /// Opens (creating) the log: the parent dir 0700, the file 0600 for append, its key.
    /// Reads the whole log: a chain or head file that does not hold blocks every append
    /// (`blocked` says why); a head file one record behind (flotilla stopped between writing
    /// a record and its head) is brought up to date.
    pub fn open(path: PathBuf) -> io::Result<AuditLog> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
        }
        let file = open_file(&path)?;
        // A log created by hand (or by an old umask) may be readable by others: records name
        // objects and identities.
        let mode = file.metadata()?.permissions().mode();
        if mode & 0o077 != 0
            && let Err(e) = file.set_permissions(std::fs::Permissions::from_mode(0o600))
        {
            tracing::warn!("audit log {}: cannot make it 0600: {e}", path.display());
        }
        let key = Key::load_or_create(&key_path(&path))?;
        let log = AuditLog {
            path,
            inner: Mutex::new(Inner {
                file,
                key,
                end: End::default(),
                blocked: None,
            }),
        };
        {
            let mut inner = log.lock();
            let Inner {
                file, end, blocked, ..
            } = &mut *inner;
            let _lock = FileLock::exclusive(file)?;
            (*end, *blocked) = examine(&log.path, file)?;
        }
        Ok(log)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The key this log's Secret values are hashed under.
    pub fn key(&self) -> Key {
        self.lock().key.clone()
    }

    /// Why appends are refused, if they are.
    pub fn blocked(&self) -> Option<String> {
        self.lock().blocked.clone()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic mid-append leaves nothing half-done that `examine` would not notice.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Chains `rec` to the log (sets `prev` and `hash`), writes it as one line and fsyncs,
    /// then updates the head file. Returns the record as stored. Refused when the log is not
    /// as flotilla left it: cut short, edited, removed or replaced.
    pub fn append(&self, mut rec: Record) -> io::Result<Record> {
        let mut inner = self.lock();
        let inner = &mut *inner;
        // A rotation is the way out of a blocked log, so it is looked for first.
        if let Err(why) = self.same_file(&inner.file) {
            self.follow_rotation(inner, why)?;
        }
        if let Some(why) = &inner.blocked {
            return Err(io::Error::other(why.clone()));
        }
        let Inner {
            file, end, blocked, ..
        } = inner;
        let file: &File = file;
        let _lock = FileLock::exclusive(file)?;
        if file.metadata()?.len() != end.len {
            // Another flotilla appended since our last record (or the file was cut): check
            // the whole chain again before adding to it.
            (*end, *blocked) = examine(&self.path, file)?;
            if let Some(why) = blocked {
                return Err(io::Error::other(why.clone()));
            }
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

    /// Fails when the path no longer names the file we append to: records written to a
    /// removed or renamed file would be lost to anyone reading the path.
    fn same_file(&self, file: &File) -> Result<(), String> {
        let at_path = std::fs::symlink_metadata(&self.path)
            .map_err(|e| format!("the audit log {} is gone: {e}", self.path.display()))?;
        let held = file.metadata().map_err(|e| e.to_string())?;
        if (at_path.dev(), at_path.ino()) != (held.dev(), held.ino()) {
            return Err(format!(
                "the audit log {} was replaced by another file",
                self.path.display()
            ));
        }
        Ok(())
    }

    /// The path names another file: a new log that `flotilla audit rotate` started is taken
    /// up (its first record says so); anything else blocks appends for good.
    fn follow_rotation(&self, inner: &mut Inner, why: String) -> io::Result<()> {
        let rotated = std::fs::symlink_metadata(&self.path)
            .ok()
            .filter(|m| m.is_file())
            .and_then(|_| first_record(&self.path))
            .is_some_and(|r| r.action == ROTATE);
        if !rotated {
            let why = format!(
                "{why} while flotilla was running; changes are blocked until `flotilla audit rotate` starts a new log"
            );
            inner.blocked = Some(why.clone());
            return Err(io::Error::other(why));
        }
        let file = open_file(&self.path)?;
        {
            let _lock = FileLock::exclusive(&file)?;
            (inner.end, inner.blocked) = examine(&self.path, &file)?;
        }
        inner.file = file;
        inner.key = Key::load_or_create(&key_path(&self.path))?;
        if let Some(why) = &inner.blocked {
            return Err(io::Error::other(why.clone()));
        }
        Ok(())
    }
}

/// The action of the first record of a log `flotilla audit rotate` started.
pub const ROTATE: &str = "rotate";

fn first_record(path: &Path) -> Option<Record> {
    let mut line = Vec::new();
    BufReader::new(File::open(path).ok()?)
        .read_until(b'\n', &mut line)
        .ok()?;
    serde_json::from_slice(line.trim_ascii_end()).ok()
}

/// Reads the whole log through `file` and checks its chain and head file: where its end is,
/// and why appends must stop, if they must. A head file behind the log by records that chain
/// on from it is brought up to date (flotilla stopped between a record and its head).
fn examine(path: &Path, mut file: &File) -> io::Result<(End, Option<String>)> {
    file.seek(SeekFrom::Start(0))?;
    let head = read_head(path);
    let mut checker = Checker::new(head.as_ref().ok().and_then(|h| h.as_ref()).map(|h| h.count));
    let mut reader = BufReader::new(file);
    let mut len = 0u64;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf)?;
        if n == 0 {
            break;
        }
        len += n as u64;
        match buf.strip_suffix(b"\n") {
            Some(line) => {
                checker.line(line);
            }
            None => {
                checker.line(&buf);
                checker.fail("cut short (no end of line): a crash mid-write, or an edit");
            }
        }
    }
    let end = End {
        len,
        count: checker.n,
        last: checker.prev.clone(),
    };
    match checker.finish(path, head) {
        Ok(tail) => {
            if tail.head_behind > 0 {
                write_head(path, end.count, &end.last)?;
            }
            Ok((end, None))
        }
        Err(broken) => Ok((end, Some(blocked_by(path, &broken)))),
    }
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

/// What `rotate` did.
#[derive(Debug)]
pub struct Rotated {
    /// Where the old log is now (its head and key beside it, with the same suffixes).
    pub old: PathBuf,
    /// What `verify` said of the old log.
    pub verdict: Result<usize, Broken>,
}

/// Starts a new log at `path`: the old one, with its head file and key, is renamed to
/// `<path>.<UTC time>` (kept for inspection), and the new log's first record says where it
/// went, how many records it held and whether its chain held. A running flotilla takes the
/// new log up at its next change.
pub fn rotate(path: &Path) -> io::Result<Rotated> {
    // A removed log (its head file left) is rotated too: that is how appends resume.
    let held = match File::open(path) {
        Ok(f) => Some(f),
        Err(e) if e.kind() == io::ErrorKind::NotFound && head_path(path).exists() => None,
        Err(e) => return Err(e),
    };
    let _lock = held.as_ref().map(FileLock::exclusive).transpose()?;
    let verdict = verify(path);
    let (_, last) = if held.is_some() {
        tail_of(path)?
    } else {
        Default::default()
    };
    let stamp = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string();
    let suffixed = |p: &Path| {
        let mut s = p.as_os_str().to_owned();
        s.push(format!(".{stamp}"));
        PathBuf::from(s)
    };
    let old = suffixed(path);
    if old.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists; rotate again in a second", old.display()),
        ));
    }
    if held.is_some() {
        std::fs::rename(path, &old)?;
    }
    for (side, kept) in [
        (head_path(path), head_path(&old)),
        (key_path(path), key_path(&old)),
    ] {
        if side.exists() {
            std::fs::rename(&side, kept)?;
        }
    }
    let log = AuditLog::open(path.to_path_buf())?;
    let verdict_text = match &verdict {
        Ok(n) => format!("intact, {n} records"),
        Err(b) => format!("broken: {b}"),
    };
    log.append(Record {
        time: jiff::Timestamp::now().to_string(),
        user: os_user(),
        host: host_name(),
        action: ROTATE.into(),
        batch: stamp.clone(),
        change: Some(serde_json::json!({
            "previous_log": old.display().to_string(),
            "previous_last_hash": last,
            "previous_verdict": verdict_text,
        })),
        result: "ok".into(),
        ..Record::default()
    })?;
    Ok(Rotated { old, verdict })
}

/// The number of lines and the hash of the last record that parses (however the chain
/// stands).
fn tail_of(path: &Path) -> io::Result<(usize, String)> {
    let (records, _) = read_verified(path)?;
    Ok(records
        .last()
        .map(|(n, r)| (*n, r.hash.clone()))
        .unwrap_or_default())
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
pub fn path_for(settings: &crate::settings::Settings) -> PathBuf {
    match &settings.audit_log {
        Some(p) => crate::files::expand_home(p),
        None => default_path(),
    }
}

/// The head file of a log: `<log>.head`.
pub fn head_path(log: &Path) -> PathBuf {
    beside(log, ".head")
}

/// The key file of a log: `<log>.key` (0600).
pub fn key_path(log: &Path) -> PathBuf {
    beside(log, ".key")
}

fn beside(log: &Path, suffix: &str) -> PathBuf {
    let mut p = log.as_os_str().to_owned();
    p.push(suffix);
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

/// What the head file says: how many records the log had and the last one's hash.
struct Head {
    count: usize,
    hash: String,
}

/// The head file of `log`; `None` when there is none.
fn read_head(log: &Path) -> Result<Option<Head>, Broken> {
    let head = head_path(log);
    let whole = |reason: String| Broken { record: 0, reason };
    let text = match std::fs::read_to_string(&head) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(whole(format!("cannot read {}: {e}", head.display()))),
    };
    text.split_once(' ')
        .and_then(|(c, h)| {
            Some(Head {
                count: c.trim().parse::<usize>().ok()?,
                hash: h.trim().to_string(),
            })
        })
        .map(Some)
        .ok_or_else(|| {
            whole(format!(
                "the head file {} is not \"<count> <hash>\"",
                head.display()
            ))
        })
}

/// A log whose chain and head file hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Intact {
    pub records: usize,
    /// Records after the head file's count that chain on from it: flotilla stopped between
    /// writing a record and its head (the next append brings the head up to date).
    pub head_behind: usize,
}

/// Follows the chain line by line; keeps the first break.
struct Checker {
    n: usize,
    prev: String,
    broken: Option<Broken>,
    /// The head file's count, and the hash of that record once read.
    head_count: Option<usize>,
    at_head: Option<String>,
}

impl Checker {
    fn new(head_count: Option<usize>) -> Self {
        Checker {
            n: 0,
            prev: String::new(),
            broken: None,
            at_head: (head_count == Some(0)).then(String::new),
            head_count,
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
        let rec = self.parse(bytes);
        if let Some(rec) = &rec {
            self.prev = rec.hash.clone();
        }
        if Some(self.n) == self.head_count {
            self.at_head = Some(self.prev.clone());
        }
        rec
    }

    fn parse(&mut self, bytes: &[u8]) -> Option<Record> {
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
        Some(rec)
    }

    /// After the last line: the head file must agree on the count and the last hash, or be
    /// behind by records that chain on from the one it names.
    fn finish(self, log: &Path, head: Result<Option<Head>, Broken>) -> Result<Intact, Broken> {
        if let Some(b) = self.broken {
            return Err(b);
        }
        let n = self.n;
        let whole = |reason: String| Broken { record: 0, reason };
        let head = match head? {
            Some(head) => head,
            None if n == 0 => {
                return Ok(Intact {
                    records: 0,
                    head_behind: 0,
                });
            }
            None => {
                return Err(whole(format!(
                    "the head file {} is missing, with {n} records in the log (it holds the count that shows a truncated log)",
                    head_path(log).display()
                )));
            }
        };
        if head.count > n {
            return Err(whole(format!(
                "the log ends at record {n} but the head file says {} records (truncated?)",
                head.count
            )));
        }
        if self.at_head.as_deref() != Some(head.hash.as_str()) {
            return Err(whole(if head.count == n {
                format!(
                    "the head file's hash does not match record {n} (the last records were replaced?)"
                )
            } else {
                format!(
                    "the log has {n} records but the head file says {} with a hash that does not match that record (records replaced, or an old head file)",
                    head.count
                )
            }));
        }
        Ok(Intact {
            records: n,
            head_behind: n - head.count,
        })
    }
}

/// The records that parse with their record (= line) numbers, oldest first.
pub type Numbered = Vec<(usize, Record)>;

/// Reads every line of the log once: the records that parse, and whether the chain holds.
pub fn read_verified(path: &Path) -> io::Result<(Numbered, Result<Intact, Broken>)> {
    let head = read_head(path);
    let mut reader = BufReader::new(File::open(path)?);
    let mut checker = Checker::new(head.as_ref().ok().and_then(|h| h.as_ref()).map(|h| h.count));
    let mut records = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf)? == 0 {
            break;
        }
        let ended = buf.ends_with(b"\n");
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        if let Some(rec) = checker.line(line) {
            records.push((checker.n, rec));
        }
        if !ended {
            checker.fail("cut short (no end of line): a crash mid-write, or an edit");
        }
    }
    Ok((records, checker.finish(path, head)))
}

/// Checks the whole chain and the head file; the number of records when they hold.
pub fn verify(path: &Path) -> Result<usize, Broken> {
    verify_intact(path).map(|i| i.records)
}

/// As `verify`, with how far the head file is behind.
pub fn verify_intact(path: &Path) -> Result<Intact, Broken> {
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

/// An intent no outcome answers: flotilla was stopped (or the host lost, or the network cut)
/// after it was written, so whether the change happened is unknown.
#[derive(Clone, Debug, PartialEq)]
pub struct Unanswered {
    /// Its record (= line) number.
    pub record: usize,
    pub intent: Record,
    /// Someone has seen it (an "acknowledged" record names it).
    pub acknowledged: bool,
}

/// The intents of `records` with no outcome for the same target, oldest first. The
/// per-object records of a restore name its intent too but not its target, so only the
/// restore's closing record answers it.
pub fn unanswered(records: &[(usize, Record)]) -> Vec<Unanswered> {
    let mut answered: std::collections::HashSet<(&str, &Target)> = Default::default();
    let mut acknowledged: std::collections::HashSet<&str> = Default::default();
    for (_, r) in records {
        if let Some(intent) = r.intent.as_deref() {
            if r.result == ACKNOWLEDGED {
                acknowledged.insert(intent);
            } else {
                answered.insert((intent, &r.target));
            }
        }
    }
    records
        .iter()
        .filter(|(_, r)| r.result == INTENT && !answered.contains(&(r.hash.as_str(), &r.target)))
        .map(|(n, r)| Unanswered {
            record: *n,
            intent: r.clone(),
            acknowledged: acknowledged.contains(r.hash.as_str()),
        })
        .collect()
}

/// "drain Node prod-node-1 on prod": what a record is about, in one line (remote text:
/// sanitise it before showing it).
pub fn describe(r: &Record) -> String {
    let t = &r.target;
    let name = match t.namespace.as_str() {
        "" => t.name.clone(),
        ns => format!("{ns}/{}", t.name),
    };
    match r.context.as_str() {
        "" => format!("{} {} {name}", r.action, t.kind),
        context => format!("{} {} {name} on {context}", r.action, t.kind),
    }
}

/// What the header must say of the log at `path`: why changes are blocked, and the changes
/// whose outcome is unknown that nobody has acknowledged. No log yet is nothing to say.
pub fn state(path: &Path) -> AuditState {
    let (records, verdict) = match read_verified(path) {
        Ok(read) => read,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return AuditState::default(),
        Err(e) => {
            return AuditState {
                blocked: Some(format!(
                    "the audit log {} cannot be read ({e}): changes are blocked",
                    path.display()
                )),
                unknown: Vec::new(),
            };
        }
    };
    AuditState {
        blocked: verdict.err().map(|b| blocked_by(path, &b)),
        unknown: unanswered(&records)
            .into_iter()
            .filter(|u| !u.acknowledged)
            .map(|u| UnknownOutcome {
                what: describe(&u.intent),
                time: u.intent.time.clone(),
                intent: u.intent.hash,
            })
            .collect(),
    }
}

/// `result` of an intent record.
pub const INTENT: &str = "intent";
/// `result` of a record saying someone saw an intent's outcome is unknown.
pub const ACKNOWLEDGED: &str = "acknowledged";

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

/// What a record may say of a change to a Secret (`Key::redact`): every value under `data`
/// / `stringData` (and the last-applied annotation, which holds them too) becomes
/// `hmac-sha256:<hex>` under the key, so the record shows that a value changed without
/// holding it or letting it be guessed. Also JSON-patch ops on `/data…` and `/stringData…`.
/// Other kinds, except Secrets nested in them (a List), pass unchanged.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

fn hashed(key: &Key, v: &Value) -> Value {
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Value::String(key.mac(&text))
}

fn walk(key: &Key, v: &mut Value, in_secret: bool) {
    match v {
        Value::Object(map) => {
            let secret = in_secret || map.get("kind").and_then(Value::as_str) == Some("Secret");
            if secret {
                for field in ["data", "stringData"] {
                    if let Some(Value::Object(values)) = map.get_mut(field) {
                        values.values_mut().for_each(|x| *x = hashed(key, x));
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
                        Value::Object(values) => {
                            values.values_mut().for_each(|x| *x = hashed(key, x))
                        }
                        Value::Null => {}
                        other => *other = hashed(key, other),
                    }
                }
                if let Some(Value::Object(ann)) = map
                    .get_mut("metadata")
                    .and_then(|m| m.get_mut("annotations"))
                    && let Some(applied) = ann.get_mut(LAST_APPLIED)
                {
                    *applied = hashed(key, applied);
                }
            }
            for (field, x) in map.iter_mut() {
                if !(secret && (field == "data" || field == "stringData")) {
                    walk(key, x, secret);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|x| walk(key, x, in_secret)),
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
        let key = Key([7; 32]);
        let h = |s: &str| key.mac(s);
        let redact = |kind: &str, v: Value| key.redact(kind, v);
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
    fn keyed_hashes_depend_on_the_key_and_hide_the_plain_digest() {
        let (a, b) = (Key([1; 32]), Key([2; 32]));
        let plain = sha256_hex(b"hunter2");
        assert_ne!(a.mac("hunter2"), b.mac("hunter2"));
        assert_eq!(a.mac("hunter2"), a.mac("hunter2"));
        assert!(a.mac("hunter2").starts_with("hmac-sha256:"));
        assert!(!a.mac("hunter2").contains(&plain));
        assert_eq!(Key::parse(&"ab".repeat(32)).map(|k| k.0), Some([0xab; 32]));
        assert!(Key::parse("xy").is_none());
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
