//! The protocol between the app and the world outside it: the `Effect`s the app asks for, the
//! `Msg`s that answer them, and the `Op`s a change is made of. It names the domain types each
//! answer carries (a backup job, an inspection report, Helm records), which is why it lives
//! above the shared vocabulary in `model`.

pub mod effect;
pub mod msg;
pub mod op;

pub use effect::Effect;
pub use msg::Msg;
