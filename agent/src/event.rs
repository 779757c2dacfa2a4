//! Input events as the aggregator sees them, and the gate every captured event passes.
//!
//! An [`InputEvent`] names a physical key (a W3C `KeyboardEvent.code`), a mouse button, a pointer
//! position or a wheel notch, and when it happened. It has no room for the character a key typed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A physical key by its W3C code; always one of [`keytrack_wire::KEY_CODES`].
pub type KeyCode = &'static str;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    Left,
    Right,
    Middle,
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    KeyDown(KeyCode),
    KeyUp(KeyCode),
    ButtonDown(Button),
    /// Pointer position in screen pixels.
    Move {
        x: f64,
        y: f64,
    },
    /// Pointer motion where the position is not known (the kernel's input devices report motion,
    /// not where the pointer is): it adds distance, never a place on the screen.
    Motion {
        dx: f64,
        dy: f64,
    },
    /// Wheel notches (signed; only their number is kept).
    Wheel {
        dx: i64,
        dy: i64,
    },
    /// The focus moved to another application (`None`: none the window system names); while
    /// `excluded`, input in it is not counted ([`crate::focus`]).
    Focus {
        app: Option<Arc<str>>,
        excluded: bool,
    },
    /// Some input happened while input is not counted (a never-count application has the focus):
    /// only that, never which key, button or position.
    Excluded,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InputEvent {
    /// Wall-clock time, Unix milliseconds.
    pub at_ms: i64,
    pub input: Input,
}

/// What capture lets through, decided for each event where it is captured, so that what is not
/// counted never travels further: nothing while paused or while the session is locked; only
/// [`Input::Excluded`] while a never-count application has the focus.
#[derive(Debug, Clone, Default)]
pub struct Gate {
    pub paused: Arc<AtomicBool>,
    pub locked: Arc<AtomicBool>,
    pub excluded: Arc<AtomicBool>,
}

impl Gate {
    pub fn pass(&self, input: Input) -> Option<Input> {
        if self.paused.load(Ordering::Relaxed) || self.locked.load(Ordering::Relaxed) {
            None
        } else if self.excluded.load(Ordering::SeqCst) {
            Some(Input::Excluded)
        } else {
            Some(input)
        }
    }
}

/// A time as Unix milliseconds (0 before 1970).
pub fn unix_ms(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(_) => 0,
    }
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    unix_ms(SystemTime::now())
}
