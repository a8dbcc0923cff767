//! Copy to the clipboard: the system clipboard when a display is at hand, OSC 52 otherwise
//! (SSH jump hosts have no display). Written by hand because crossterm's OSC 52 command
//! lacks the tmux passthrough wrapping, and arboard alone fails without a display.

use base64::Engine;
use std::io::Write;

fn osc52(text: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text);
    let seq = format!("\u{1b}]52;c;{b64}\u{7}");
    if std::env::var_os("TMUX").is_some() {
        // tmux passes an escape through only inside its DCS wrapper, with ESCs doubled.
        format!(
            "\u{1b}Ptmux;{}\u{1b}\\",
            seq.replace('\u{1b}', "\u{1b}\u{1b}")
        )
    } else {
        seq
    }
}

fn has_display() -> bool {
    let remote = ["SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some());
    let display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some());
    display && !remote
}

#[cfg(feature = "system-clipboard")]
fn system(text: &str) -> bool {
    // Created lazily, only when asked: creating it without a display fails (or hangs on X).
    arboard::Clipboard::new()
        .and_then(|mut c| c.set_text(text.to_string()))
        .is_ok()
}

#[cfg(not(feature = "system-clipboard"))]
fn system(_: &str) -> bool {
    false
}

pub fn copy(out: &mut impl Write, text: &str) -> std::io::Result<()> {
    if has_display() && system(text) {
        return Ok(());
    }
    out.write_all(osc52(text).as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_sequence() {
        if std::env::var_os("TMUX").is_none() {
            assert_eq!(osc52("foo"), "\u{1b}]52;c;Zm9v\u{7}");
        }
    }
}
