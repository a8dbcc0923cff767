"""Hostile text for the sanitising tests (tests/testbed_write/hostile.rs): every way remote text could try to
drive an operator's terminal or hide what it says, after a visible marker (HOSTILE-LOG,
HOSTILE-WEBHOOK). gen-logs.py writes it into a log, helper.py answers with it as an admission
webhook's denial. Python escapes only: the file itself holds no control character, so printing
it is harmless."""

CORPUS = (
    # A zero-width non-joiner and joiner first: they join the marker's last letter, so a
    # renderer that drops lone invisible characters, or a column cut after the marker, still
    # shows them.
    "\u200c\u200d "                             # zero-width non-joiner and joiner
    "\u202etxet\u202c"                         # bidi override (reads "text")
    "\u2066\u2067\u2068i\u2069"                # bidi isolates
    "z\u200bw\ufeff"                           # zero-width space, BOM
    "\x9b2J"                                   # 8-bit C1 CSI: clear the screen
    "\r\x08\x7f"                               # carriage return, backspace, DEL
    "\x1b]0;HOSTILE-TITLE\x07"                 # OSC 0: window title (BEL-terminated)
    "\x1b]2;HOSTILE-TITLE\x1b\\"               # OSC 2: window title (ST-terminated)
    "\x1b]52;c;aG9zdGlsZQ==\x07"               # OSC 52: write the clipboard
    "\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\"  # OSC 8: a hyperlink
    "\x1bP1$qm\x1b\\"                          # DCS: a status-string request
    "\x1b[?1049l\x1b[?1000h"                   # CSI private modes: leave the alternate screen, mouse on
)
