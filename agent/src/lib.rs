//! The KeyTrack agent: captures keyboard and mouse input, keeps only per-minute counts, saves them
//! in a spool and uploads them to the KeyTrack server.
//!
//! `input` (capture, the only place `rdev` is used; `evdev`: capture from the kernel's input
//! devices, on Wayland and without X; `desktop`: which display a position is on;
//! `wayland_focus`: the focused application on wlroots compositors;
//! `focus`: which application has it) -> `event` (what capture hands on, through its gate) ->
//! `aggregate` (pure, tested without a display) -> `spool` (SQLite on disk) -> `run`'s uploader
//! (`client`). `shutdown`: how the agent is asked to stop and saves first.

pub mod aggregate;
pub mod bench;
pub mod client;
pub mod config;
pub mod desktop;
#[cfg(target_os = "linux")]
pub mod evdev;
pub mod event;
pub mod focus;
pub mod input;
pub mod log;
pub mod run;
pub mod service;
pub mod shutdown;
pub mod spool;
#[cfg(target_os = "linux")]
pub mod wayland_focus;
