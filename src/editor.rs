//! `$EDITOR` on a piece of text: written to a private temporary file (0600, in a directory of
//! its own, 0700: it may hold a revealed Secret, and editors keep swap and backup copies beside
//! the file), edited, read back, removed with its directory. The caller hands the terminal
//! over first. When flotilla must end while the editor runs (SIGTERM, SIGHUP, a panic),
//! [`stop`] ends the editor and removes the directory from another thread.

use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The editor running now: its process (the shell `exec`s it, so this is the editor itself)
/// and the directory of its file.
struct Running {
    pid: libc::pid_t,
    dir: PathBuf,
}

static RUNNING: Mutex<Option<Running>> = Mutex::new(None);

fn running() -> std::sync::MutexGuard<'static, Option<Running>> {
    // Nothing panics while holding it; a poisoned lock still holds a consistent value.
    RUNNING.lock().unwrap_or_else(|p| p.into_inner())
}

/// The editor the user asked for: `$VISUAL`, then `$EDITOR`, then vi.
fn editor() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".into())
}

/// A file name that hints the type and holds nothing a shell or file system trips over.
fn tame(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A new directory only the user may enter, for one edit.
fn private_dir() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!(
        "flotilla-edit-{}-{:08x}",
        std::process::id(),
        fastrand::u32(..)
    ));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// Opens `text` in the user's editor and returns what it left. `name` hints the file type.
pub fn edit(name: &str, text: &str) -> Result<String, String> {
    edit_with(&editor(), name, text)
}

/// The same with a given editor command line.
pub fn edit_with(editor: &str, name: &str, text: &str) -> Result<String, String> {
    let dir = private_dir()?;
    let path = dir.join(tame(name));
    let result = run(editor, &path, text);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run(editor: &str, path: &Path, text: &str) -> Result<String, String> {
    crate::files::write_private(path, text)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    // Through the shell, so that EDITOR="code -w" or "vim -u NONE" work as elsewhere; `exec`
    // makes the child the editor itself, so a signal sent to it reaches the editor.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("exec {editor} \"$1\""))
        .arg("flotilla-editor")
        .arg(path)
        .spawn()
        .map_err(|e| format!("cannot run {editor}: {e}"))?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    *running() = libc::pid_t::try_from(child.id())
        .ok()
        .map(|pid| Running { pid, dir });
    let status = child.wait();
    *running() = None;
    let status = status.map_err(|e| format!("{editor}: {e}"))?;
    if !status.success() {
        return Err(match status.code() {
            Some(c) => format!("{editor} exited {c}; nothing changed"),
            None => format!("{editor} was killed; nothing changed"),
        });
    }
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Ends the editor that runs now, if one does, and removes its file's directory: flotilla is
/// ending and the file may hold a revealed Secret. SIGTERM first, so the editor can give the
/// terminal back and remove its own files; SIGKILL when it has not ended within `grace`.
pub fn stop(grace: Duration) {
    let Some((pid, dir)) = running().as_ref().map(|r| (r.pid, r.dir.clone())) else {
        return;
    };
    let ended = |within: Duration| {
        let start = Instant::now();
        while start.elapsed() < within {
            if running().as_ref().is_none_or(|r| r.pid != pid) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        false
    };
    // SAFETY: signals the editor process this module started and has not reaped yet (the
    // waiting thread clears `RUNNING` as soon as it has).
    unsafe { libc::kill(pid, libc::SIGTERM) };
    if !ended(grace) {
        // SAFETY: as above.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        ended(Duration::from_millis(200));
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// One editor at a time, as in flotilla: `stop` ends whichever runs.
    static ONE_EDITOR: Mutex<()> = Mutex::new(());

    fn one_editor() -> std::sync::MutexGuard<'static, ()> {
        ONE_EDITOR.lock().unwrap_or_else(|p| p.into_inner())
    }

    #[test]
    fn edits_through_the_shell_and_cleans_up() {
        let _one = one_editor();
        let out = edit_with(
            "sed -i 's/replicas: 2/replicas: 7/'",
            "deploy.yaml",
            "replicas: 2\n",
        );
        assert_eq!(out.as_deref(), Ok("replicas: 7\n"));
        let err = edit_with("false", "x.yaml", "a\n").unwrap_err();
        assert!(err.contains("exited 1"), "{err}");
    }

    #[test]
    fn the_file_is_private_and_goes_with_what_the_editor_left_beside_it() {
        let _one = one_editor();
        let seen = std::env::temp_dir().join(format!("flotilla-edit-seen-{}", std::process::id()));
        // The "editor" notes where the file is and leaves a swap file beside it, as vim does.
        let editor = format!(
            "sh -c 'echo \"$0\" > {seen}; echo secret > \"$(dirname \"$0\")/.swp\"'",
            seen = seen.display()
        );
        edit_with(&editor, "pod-web/../x y.yaml", "a\n").unwrap();
        let path = PathBuf::from(std::fs::read_to_string(&seen).unwrap().trim());
        let _ = std::fs::remove_file(&seen);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(name, "pod-web_.._x_y.yaml");
        let dir = path.parent().unwrap();
        assert!(
            !dir.exists(),
            "{} is removed, swap file and all",
            dir.display()
        );
        let kept = private_dir().unwrap();
        let mode = std::fs::metadata(&kept).unwrap().permissions().mode();
        std::fs::remove_dir(&kept).unwrap();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn stop_ends_a_running_editor_and_removes_its_file() {
        let _one = one_editor();
        let seen = std::env::temp_dir().join(format!("flotilla-edit-stop-{}", std::process::id()));
        let editor = format!(
            "sh -c 'echo \"$0\" > {}; exec sleep 60 >/dev/null 2>&1'",
            seen.display()
        );
        let editing = std::thread::spawn(move || edit_with(&editor, "secret.yaml", "hunter2\n"));
        let start = Instant::now();
        let path = loop {
            if let Ok(p) = std::fs::read_to_string(&seen)
                && !p.trim().is_empty()
            {
                break PathBuf::from(p.trim());
            }
            assert!(start.elapsed() < Duration::from_secs(10), "the editor ran");
            std::thread::sleep(Duration::from_millis(10));
        };
        let _ = std::fs::remove_file(&seen);
        assert!(path.exists());
        stop(Duration::from_secs(1));
        assert!(!path.exists(), "{} is removed", path.display());
        let result = editing.join().unwrap();
        assert!(result.is_err(), "{result:?}");
        assert!(start.elapsed() < Duration::from_secs(5));
    }
}
