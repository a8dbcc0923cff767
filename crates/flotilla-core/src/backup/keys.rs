//! The keys Secrets are sealed with: age (the format rage and age read), to X25519
//! recipients or to a passphrase. Sealed to recipients, an archive is restored with the
//! matching identity file (`age-keygen` / `rage-keygen` output); sealed to a passphrase,
//! with the passphrase.

use super::Encryption;
use age::secrecy::SecretString;
use std::io::{Read, Write};
use std::path::Path;

/// The environment variable a passphrase may come from (cron jobs, CI).
pub const PASSPHRASE_ENV: &str = "FLOTILLA_BACKUP_PASSPHRASE";

/// How a new archive seals its Secrets.
pub enum Sealing {
    /// Plain text, by the user's explicit choice.
    Plain,
    Recipients(Vec<age::x25519::Recipient>),
    Passphrase(SecretString),
}

impl Sealing {
    pub fn encryption(&self) -> Encryption {
        match self {
            Sealing::Plain => Encryption::None,
            Sealing::Recipients(_) => Encryption::X25519,
            Sealing::Passphrase(_) => Encryption::Passphrase,
        }
    }

    pub fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, String> {
        let encryptor = match self {
            Sealing::Plain => return Ok(plain.to_vec()),
            Sealing::Recipients(r) => {
                age::Encryptor::with_recipients(r.iter().map(|r| r as &dyn age::Recipient))
                    .map_err(|e| format!("cannot encrypt the Secrets: {e}"))?
            }
            Sealing::Passphrase(p) => age::Encryptor::with_user_passphrase(p.clone()),
        };
        let mut out = Vec::with_capacity(plain.len() + 256);
        let mut w = encryptor
            .wrap_output(&mut out)
            .map_err(|e| format!("cannot encrypt the Secrets: {e}"))?;
        w.write_all(plain)
            .and_then(|()| w.finish().map(|_| ()))
            .map_err(|e| format!("cannot encrypt the Secrets: {e}"))?;
        Ok(out)
    }
}

/// How an archive's Secrets are opened.
pub enum Opening {
    Identities(Vec<Box<dyn age::Identity + Send + Sync>>),
    Passphrase(SecretString),
}

impl Opening {
    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, String> {
        let decryptor = age::Decryptor::new_buffered(sealed)
            .map_err(|e| format!("the Secrets file is not age-encrypted data ({e})"))?;
        let wrong = |e: age::DecryptError| match e {
            age::DecryptError::NoMatchingKeys => {
                "none of the given identities opens this archive's Secrets".to_string()
            }
            age::DecryptError::DecryptionFailed if matches!(self, Opening::Passphrase(_)) => {
                "the passphrase does not open this archive's Secrets".to_string()
            }
            e => format!("cannot decrypt the Secrets: {e}"),
        };
        let scrypt = decryptor.is_scrypt();
        let mut reader = match self {
            Opening::Passphrase(p) if scrypt => {
                let id = age::scrypt::Identity::new(p.clone());
                decryptor
                    .decrypt(std::iter::once(&id as &dyn age::Identity))
                    .map_err(wrong)?
            }
            Opening::Identities(ids) if !scrypt => decryptor
                .decrypt(ids.iter().map(|i| i.as_ref() as &dyn age::Identity))
                .map_err(wrong)?,
            Opening::Passphrase(_) => {
                return Err(
                    "this archive's Secrets are sealed to age recipients: give --identity FILE"
                        .into(),
                );
            }
            Opening::Identities(_) => {
                return Err(format!(
                    "this archive's Secrets are sealed with a passphrase: give --passphrase-file FILE or set {PASSPHRASE_ENV}"
                ));
            }
        };
        let mut plain = Vec::new();
        reader
            .read_to_end(&mut plain)
            .map_err(|e| format!("cannot decrypt the Secrets: {e}"))?;
        Ok(plain)
    }
}

/// `age1…` recipients, from the command line and from files (one per line, `#` comments).
pub fn recipients(
    given: &[String],
    files: &[&Path],
) -> Result<Vec<age::x25519::Recipient>, String> {
    let mut all: Vec<(String, String)> = given
        .iter()
        .map(|r| (r.trim().to_string(), "--recipient".to_string()))
        .collect();
    for f in files {
        let text = std::fs::read_to_string(f)
            .map_err(|e| format!("recipients file {}: {e}", f.display()))?;
        all.extend(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(|l| (l.to_string(), f.display().to_string())),
        );
    }
    all.iter()
        .map(|(r, from)| {
            r.parse::<age::x25519::Recipient>().map_err(|e| {
                let shown: String = r.chars().take(20).collect();
                format!("{from}: {shown:?} is not an age X25519 recipient (age1…): {e}")
            })
        })
        .collect()
}

/// The identities of an age identity file (`AGE-SECRET-KEY-1…` lines).
pub fn identities(file: &Path) -> Result<Opening, String> {
    let ids = age::IdentityFile::from_file(file.display().to_string())
        .and_then(|f| f.into_identities().map_err(std::io::Error::other))
        .map_err(|e| format!("identity file {}: {e}", file.display()))?;
    if ids.is_empty() {
        return Err(format!(
            "identity file {}: no identity in it",
            file.display()
        ));
    }
    Ok(Opening::Identities(ids))
}

/// A passphrase from a file's first line, else from `FLOTILLA_BACKUP_PASSPHRASE`.
pub fn passphrase(file: Option<&Path>) -> Result<Option<SecretString>, String> {
    let text = match file {
        Some(f) => std::fs::read_to_string(f)
            .map_err(|e| format!("passphrase file {}: {e}", f.display()))?,
        None => match std::env::var(PASSPHRASE_ENV) {
            Ok(v) => v,
            Err(_) => return Ok(None),
        },
    };
    let line = text.lines().next().unwrap_or("").to_string();
    if line.is_empty() {
        return Err(match file {
            Some(f) => format!("passphrase file {}: its first line is empty", f.display()),
            None => format!("{PASSPHRASE_ENV} is empty"),
        });
    }
    Ok(Some(SecretString::from(line)))
}

/// How new Secrets are sealed: to the recipients given (and those in `files`), else to a
/// passphrase (`passphrase_file`, else the environment); `None` when nothing was given.
pub fn sealing(
    recipients_given: &[String],
    files: &[&Path],
    passphrase_file: Option<&Path>,
) -> Result<Option<Sealing>, String> {
    let r = recipients(recipients_given, files)?;
    if !r.is_empty() {
        return Ok(Some(Sealing::Recipients(r)));
    }
    Ok(passphrase(passphrase_file)?.map(Sealing::Passphrase))
}

/// How sealed Secrets are opened: with the identity file, else a passphrase
/// (`passphrase_file`, else the environment); `None` when nothing was given.
pub fn opening(
    identity: Option<&Path>,
    passphrase_file: Option<&Path>,
) -> Result<Option<Opening>, String> {
    if let Some(id) = identity {
        return identities(id).map(Some);
    }
    Ok(passphrase(passphrase_file)?.map(Opening::Passphrase))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_to_a_recipient_only_its_identity_opens() {
        let id = age::x25519::Identity::generate();
        let other = age::x25519::Identity::generate();
        let sealed = Sealing::Recipients(vec![id.to_public()])
            .seal(b"password: hunter2")
            .unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains("hunter2"));
        let open = Opening::Identities(vec![Box::new(id)]);
        assert_eq!(open.open(&sealed).unwrap(), b"password: hunter2");
        let e = Opening::Identities(vec![Box::new(other)])
            .open(&sealed)
            .unwrap_err();
        assert!(e.contains("none of the given identities"), "{e}");
        let e = Opening::Passphrase(SecretString::from("x".to_string()))
            .open(&sealed)
            .unwrap_err();
        assert!(e.contains("--identity"), "{e}");
    }

    #[test]
    fn recipients_are_checked_and_named_where_they_came_from() {
        let id = age::x25519::Identity::generate();
        let good = id.to_public().to_string();
        assert_eq!(
            recipients(std::slice::from_ref(&good), &[]).unwrap().len(),
            1
        );
        let e = recipients(&[good, "age1nope".into()], &[]).unwrap_err();
        assert!(e.starts_with("--recipient: \"age1nope\""), "{e}");
    }
}
