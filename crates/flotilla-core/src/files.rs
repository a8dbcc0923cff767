//! Files and directories for their owner alone: flotilla's state directory (0700), its log
//! (0600), and temporary files written beside their final name (`O_EXCL`, 0600, so an existing
//! file or a symlink planted at that name is never written through); `~` expanded as the shell
//! does; the SHA-256 every file check uses.

use std::fs::{DirBuilder, File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Group and other permission bits.
const OTHERS: u32 = 0o077;

/// Creates `dir` and its missing parents 0700 (what the XDG base directory spec asks of them).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(0o700).create(dir)
}

/// flotilla's own directory (the state dir): created 0700, or made 0700 when an older flotilla
/// or a umask left it open to others. It holds the audit log, the log and backups.
pub fn own_private_dir(dir: &Path) -> io::Result<()> {
    create_private_dir(dir)?;
    if std::fs::metadata(dir)?.permissions().mode() & OTHERS != 0 {
        std::fs::set_permissions(dir, Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// `path` opened for appending: created 0600, or made 0600 when it was open to others (a log
/// names objects, contexts and identities).
pub fn append_private(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    if file.metadata()?.permissions().mode() & OTHERS != 0 {
        file.set_permissions(Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

/// A new file beside `path` (same directory, so a rename puts it in place), created with
/// `O_EXCL` and 0600 under a name no one can guess ahead: a file or a symlink already there
/// makes it fail rather than be written through. The caller renames or removes it.
pub fn temp_beside(path: &Path) -> io::Result<(PathBuf, File)> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: not a file name", path.display()),
        )
    })?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(
        ".{}-{:016x}.tmp",
        std::process::id(),
        fastrand::u64(..)
    ));
    let tmp = path.with_file_name(tmp_name);
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    Ok((tmp, file))
}

/// `~/x` (or `~`) as the shell reads it: in the home directory.
pub fn expand_home(path: impl AsRef<Path>) -> PathBuf {
    let path = path.as_ref();
    match (path.strip_prefix("~"), directories::BaseDirs::new()) {
        (Ok(rest), Some(home)) => home.home_dir().join(rest),
        _ => path.to_path_buf(),
    }
}

/// The SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Writes a new file readable by the user only (saved logs can hold secrets); an existing
/// file is never overwritten.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("flotilla-files-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn an_open_state_dir_and_log_are_closed_to_others() {
        let dir = scratch("own").join("state/flotilla");
        own_private_dir(&dir).unwrap();
        assert_eq!((mode(dir.parent().unwrap()), mode(&dir)), (0o700, 0o700));
        std::fs::set_permissions(&dir, Permissions::from_mode(0o755)).unwrap();
        own_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let log = dir.join("flotilla.log");
        std::fs::write(&log, "old\n").unwrap();
        std::fs::set_permissions(&log, Permissions::from_mode(0o644)).unwrap();
        use std::io::Write;
        append_private(&log).unwrap().write_all(b"new\n").unwrap();
        assert_eq!(mode(&log), 0o600);
        assert_eq!(std::fs::read_to_string(&log).unwrap(), "old\nnew\n");
    }

    #[test]
    fn a_log_that_is_a_symlink_is_not_followed() {
        let dir = scratch("log-link");
        let victim = dir.join("victim");
        std::fs::write(&victim, "mine\n").unwrap();
        let log = dir.join("flotilla.log");
        std::os::unix::fs::symlink(&victim, &log).unwrap();
        assert!(append_private(&log).is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "mine\n");
    }

    #[test]
    fn temp_files_are_new_private_and_distinct() {
        let dir = scratch("temp");
        let target = dir.join("report.json");
        let (a, _) = temp_beside(&target).unwrap();
        let (b, _) = temp_beside(&target).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.parent(), Some(dir.as_path()));
        assert_eq!((mode(&a), mode(&b)), (0o600, 0o600));
        assert!(temp_beside(&dir.join("no/such/dir/r.json")).is_err());
    }
}
