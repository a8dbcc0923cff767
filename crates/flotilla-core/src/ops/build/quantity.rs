//! Amounts for quotas and limit ranges (`cpu=4,memory=8Gi,pods=50`): each value a Kubernetes
//! quantity, or a whole number for the entries that count objects.

use crate::quantity::Quantity;

/// Quota entries that count objects: whole numbers only.
fn is_count(key: &str) -> bool {
    matches!(
        key,
        "pods"
            | "services"
            | "secrets"
            | "configmaps"
            | "persistentvolumeclaims"
            | "replicationcontrollers"
            | "resourcequotas"
            | "services.loadbalancers"
            | "services.nodeports"
    ) || key.starts_with("count/")
}

/// `key=value` checked as an amount: `cpu=abc` is refused with what a quantity looks like.
pub fn quantity(key: &str, value: &str) -> Result<(), String> {
    if is_count(key) {
        if value.is_empty() || !value.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("{key}={value}: {value:?} is not a whole number"));
        }
        return Ok(());
    }
    // Never negative: quotas and limits are amounts. The server checks again; this catches
    // typos before anything is sent.
    if Quantity::parse(value).is_some_and(|q| !q.is_negative()) {
        Ok(())
    } else {
        Err(format!(
            "{key}={value}: {value:?} is not a quantity (e.g. 500m, 2, 512Mi, 8Gi)"
        ))
    }
}

/// `cpu=4,memory=8Gi` → pairs, each value a quantity; keys must not repeat.
pub fn amounts(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("{part:?}: expected NAME=AMOUNT (cpu=4,memory=8Gi)"))?;
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty() {
            return Err(format!("{part:?}: the name is missing"));
        }
        quantity(k, v)?;
        if out.iter().any(|(o, _)| o == k) {
            return Err(format!("{k} is given twice"));
        }
        out.push((k.to_string(), v.to_string()));
    }
    if out.is_empty() {
        return Err("expected NAME=AMOUNT pairs (cpu=4,memory=8Gi)".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::build::pairs;

    #[test]
    fn quantities_are_checked_with_a_clear_message() {
        for ok in ["4", "500m", "8Gi", "0.5", "1e3", "100Gi", ".5", "2k"] {
            assert_eq!(quantity("cpu", ok), Ok(()), "{ok}");
        }
        let err = quantity("cpu", "abc").unwrap_err();
        assert!(
            err.contains("cpu=abc") && err.contains("not a quantity"),
            "{err}"
        );
        for bad in ["", "-1", "8GB", "4 cores", "1.2.3", "Gi"] {
            assert!(quantity("memory", bad).is_err(), "{bad}");
        }
        assert!(quantity("pods", "50").is_ok());
        assert!(
            quantity("pods", "1.5")
                .unwrap_err()
                .contains("whole number")
        );
        assert_eq!(
            amounts("cpu=4, memory=8Gi,pods=50"),
            Ok(pairs(&[("cpu", "4"), ("memory", "8Gi"), ("pods", "50")]))
        );
        assert!(amounts("cpu=abc").unwrap_err().contains("not a quantity"));
        assert!(amounts("cpu").unwrap_err().contains("NAME=AMOUNT"));
        assert!(amounts("cpu=1,cpu=2").unwrap_err().contains("twice"));
    }
}
