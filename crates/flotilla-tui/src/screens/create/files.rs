//! The local files `:create` reads: `-f FILE` and each `--from-file PATH` (`~/` as the shell
//! reads it), refused when larger than an import or a ConfigMap can be.

use crate::ops::build;

/// Larger files are refused: an import is a few manifests, a ConfigMap at most 1 MiB.
const MAX_FILE: u64 = 4 << 20;

pub(super) fn read_file(path: &str) -> Result<Vec<u8>, String> {
    let p = crate::files::expand_home(path);
    let meta = std::fs::metadata(&p).map_err(|e| format!("{path}: {e}"))?;
    if meta.len() > MAX_FILE {
        return Err(format!("{path}: larger than {} MiB", MAX_FILE >> 20));
    }
    std::fs::read(&p).map_err(|e| format!("{path}: {e}"))
}

pub(super) fn file_entries(files: &[build::FileArg]) -> Result<Vec<(String, Vec<u8>)>, String> {
    files
        .iter()
        .map(|f| Ok((f.key()?, read_file(&f.path)?)))
        .collect()
}
