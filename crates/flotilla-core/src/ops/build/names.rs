//! What names must be: DNS-1123 labels (namespaces), subdomains (most objects) and the keys of
//! a ConfigMap or Secret. Each refusal says what is allowed.

/// Five lowercase letters or digits, as the names Kubernetes generates end (no vowels, so no
/// words): a triggered job's name, a debug container's, a node shell pod's.
pub fn random_suffix() -> String {
    const CHARS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..5)
        .map(|_| char::from(CHARS[fastrand::usize(..CHARS.len())]))
        .collect()
}

/// A DNS-1123 label: what namespace names must be.
pub fn dns_label(what: &str, name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} {name:?}: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63"
        ))
    }
}

/// A DNS-1123 subdomain: what most object names must be.
pub fn dns_name(what: &str, name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|part| dns_label(what, part).is_ok());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} {name:?}: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
        ))
    }
}

/// A ConfigMap or Secret key.
pub fn data_key(key: &str) -> Result<(), String> {
    let ok = !key.is_empty()
        && key.len() <= 253
        && key != "."
        && key != ".."
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "key {key:?}: letters, digits, '-', '_' and '.' only"
        ))
    }
}
