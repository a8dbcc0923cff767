//! `$EDITOR` on a piece of text: written to a private temporary file (0600: it may hold a
//! revealed Secret), edited, read back, removed. The caller hands the terminal over first.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::Command;

/// The editor the user asked for: `$VISUAL`, then `$EDITOR`, then vi.
fn editor() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".into())
}

fn temp_path(name: &str) -> PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("flotilla-{}-{nanos}-{safe}", std::process::id()))
}

/// Writes a new file readable by the user only (saved logs can hold secrets); an existing
/// file is never overwritten.
pub fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())
}

/// Opens `text` in the user's editor and returns what it left. `name` hints the file type.
pub fn edit(name: &str, text: &str) -> Result<String, String> {
    edit_with(&editor(), name, text)
}

/// The same with a given editor command line.
pub fn edit_with(editor: &str, name: &str, text: &str) -> Result<String, String> {
    let path = temp_path(name);
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        f.write_all(text.as_bytes())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        drop(f);
        // Through the shell, so that EDITOR="code -w" or "vim -u NONE" work as elsewhere.
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!("{editor} \"$1\""))
            .arg("flotilla-editor")
            .arg(&path)
            .status()
            .map_err(|e| format!("cannot run {editor}: {e}"))?;
        if !status.success() {
            return Err(match status.code() {
                Some(c) => format!("{editor} exited {c}; nothing changed"),
                None => format!("{editor} was killed; nothing changed"),
            });
        }
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    })();
    let _ = std::fs::remove_file(&path);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_through_the_shell_and_cleans_up() {
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
    fn temp_names_are_tame() {
        let p = temp_path("pod-web/../x y.yaml");
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.ends_with("pod-web_.._x_y.yaml"), "{name}");
        assert!(!name.contains('/'));
    }
}
