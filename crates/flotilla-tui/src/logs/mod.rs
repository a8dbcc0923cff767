//! Log panes' machinery: the bounded ring of raw lines with its filtered index, and the
//! styling of hostile remote text (SGR colours rendered, every other sequence shown escaped).

pub mod buffer;
pub mod render;
