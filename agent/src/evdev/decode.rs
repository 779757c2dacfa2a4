//! Kernel input events (type, code, value) as the agent's [`Input`]s, one device at a time, and
//! the filter that counts an event once when two devices deliver it (a remapper's virtual
//! keyboard that repeats a physical one it did not grab). Pure: tested and benchmarked without
//! devices.

use std::collections::VecDeque;

use crate::event::{Button, Input};

pub const EV_SYN: u16 = 0x00;
pub const EV_KEY: u16 = 0x01;
pub const EV_REL: u16 = 0x02;
const SYN_REPORT: u16 = 0;
/// The kernel's buffer overflowed: the frame being read is incomplete and is dropped.
const SYN_DROPPED: u16 = 3;
pub const REL_X: u16 = 0x00;
pub const REL_Y: u16 = 0x01;
pub const REL_HWHEEL: u16 = 0x06;
pub const REL_WHEEL: u16 = 0x08;
pub const BTN_LEFT: u16 = 0x110;
pub const BTN_RIGHT: u16 = 0x111;
pub const BTN_MIDDLE: u16 = 0x112;
/// The side and extra buttons up to BTN_TASK.
const BTN_OTHER: std::ops::RangeInclusive<u16> = 0x113..=0x117;

/// One device's events in, [`Input`]s out. Motion arrives as one [`Input::Motion`] per frame
/// (the kernel reports x and y apart, then `SYN_REPORT`).
#[derive(Debug, Default)]
pub struct Decoder {
    dx: i64,
    dy: i64,
}

impl Decoder {
    /// What one kernel event means, if anything. Key repeats (value 2) are not presses; wheel
    /// notches count (`REL_WHEEL`, not its high-resolution twin, which says the same in 120ths).
    pub fn feed(&mut self, kind: u16, code: u16, value: i32) -> Option<Input> {
        match (kind, code) {
            (EV_KEY, BTN_LEFT) if value == 1 => Some(Input::ButtonDown(Button::Left)),
            (EV_KEY, BTN_RIGHT) if value == 1 => Some(Input::ButtonDown(Button::Right)),
            (EV_KEY, BTN_MIDDLE) if value == 1 => Some(Input::ButtonDown(Button::Middle)),
            (EV_KEY, code) if value == 1 && BTN_OTHER.contains(&code) => Some(Input::ButtonDown(Button::Other)),
            (EV_KEY, code) => {
                let key = super::keys::key_code(code)?;
                match value {
                    1 => Some(Input::KeyDown(key)),
                    0 => Some(Input::KeyUp(key)),
                    _ => None,
                }
            }
            (EV_REL, REL_X) => {
                self.dx = self.dx.saturating_add(i64::from(value));
                None
            }
            (EV_REL, REL_Y) => {
                self.dy = self.dy.saturating_add(i64::from(value));
                None
            }
            (EV_REL, REL_WHEEL) if value != 0 => Some(Input::Wheel { dx: 0, dy: i64::from(value) }),
            (EV_REL, REL_HWHEEL) if value != 0 => Some(Input::Wheel { dx: i64::from(value), dy: 0 }),
            (EV_SYN, SYN_REPORT) => {
                let (dx, dy) = (std::mem::take(&mut self.dx), std::mem::take(&mut self.dy));
                // Pixels as the pointer moves at no acceleration: the kernel's counts.
                #[allow(clippy::cast_precision_loss)] // a frame's motion is far below 2^52
                ((dx, dy) != (0, 0)).then_some(Input::Motion { dx: dx as f64, dy: dy as f64 })
            }
            (EV_SYN, SYN_DROPPED) => {
                (self.dx, self.dy) = (0, 0);
                None
            }
            _ => None,
        }
    }
}

/// How close in time two devices' identical events must be for the second to be a copy.
const COPY_WINDOW_US: i64 = 30_000;

/// Counts an event once when another device delivered the same one within [`COPY_WINDOW_US`].
/// Two real keyboards do not press the same key within 30 ms; a program that copies a device's
/// events to a virtual one does, within a millisecond or so.
#[derive(Debug, Default)]
pub struct Copies {
    /// (device, what, when in µs) of the events of the last [`COPY_WINDOW_US`].
    recent: VecDeque<(usize, Input, i64)>,
}

impl Copies {
    /// Whether `input` from `device` at `at_us` repeats another device's event (then it is not
    /// counted), and which of the two made the copy: the later one (threads reading two devices
    /// may hand on the copy first). Remembers the event either way.
    pub fn copy_by(&mut self, device: usize, input: &Input, at_us: i64) -> Option<usize> {
        while self.recent.front().is_some_and(|(_, _, at)| at_us.saturating_sub(*at) > COPY_WINDOW_US) {
            self.recent.pop_front();
        }
        let copier = self
            .recent
            .iter()
            .find(|(other, seen, at)| {
                *other != device && seen == input && at_us.abs_diff(*at) <= COPY_WINDOW_US.unsigned_abs()
            })
            .map(|(other, _, at)| if at_us >= *at { device } else { *other });
        // Bounded: a burst within the window (a fast mouse sends 1,000 frames a second) keeps the last 256.
        if self.recent.len() >= 256 {
            self.recent.pop_front();
        }
        self.recent.push_back((device, input.clone(), at_us));
        copier
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_all(decoder: &mut Decoder, events: &[(u16, u16, i32)]) -> Vec<Input> {
        events.iter().filter_map(|(kind, code, value)| decoder.feed(*kind, *code, *value)).collect()
    }

    #[test]
    fn keys_buttons_wheel_and_motion_become_inputs() {
        let mut decoder = Decoder::default();
        let inputs = feed_all(
            &mut decoder,
            &[
                (EV_KEY, 30, 1),
                (EV_SYN, SYN_REPORT, 0),
                (EV_KEY, 30, 2), // repeat
                (EV_KEY, 30, 0),
                (EV_KEY, BTN_LEFT, 1),
                (EV_KEY, BTN_LEFT, 0),
                (EV_KEY, 0x116, 1), // BTN_BACK
                (EV_REL, REL_X, 3),
                (EV_REL, REL_Y, -4),
                (EV_SYN, SYN_REPORT, 0),
                (EV_REL, REL_WHEEL, -1),
                (EV_REL, 0x0b, -120), // REL_WHEEL_HI_RES: the same notch
                (EV_SYN, SYN_REPORT, 0),
                (EV_KEY, 116, 1), // KEY_POWER: not a key the server counts
            ],
        );
        assert_eq!(
            inputs,
            [
                Input::KeyDown("KeyA"),
                Input::KeyUp("KeyA"),
                Input::ButtonDown(Button::Left),
                Input::ButtonDown(Button::Other),
                Input::Motion { dx: 3.0, dy: -4.0 },
                Input::Wheel { dx: 0, dy: -1 },
            ]
        );
    }

    #[test]
    fn a_dropped_frame_moves_nothing() {
        let mut decoder = Decoder::default();
        let inputs = feed_all(&mut decoder, &[(EV_REL, REL_X, 50), (EV_SYN, SYN_DROPPED, 0), (EV_SYN, SYN_REPORT, 0)]);
        assert_eq!(inputs, []);
    }

    #[test]
    fn a_second_device_s_copy_is_not_counted_but_its_own_typing_is() {
        let mut copies = Copies::default();
        let a = Input::KeyDown("KeyA");
        assert_eq!(copies.copy_by(0, &a, 1_000_000), None);
        assert_eq!(copies.copy_by(1, &a, 1_000_800), Some(1), "the virtual copy, 0.8 ms later");
        // The same device pressing again, and the other device later on: both count.
        assert_eq!(copies.copy_by(0, &Input::KeyUp("KeyA"), 1_050_000), None);
        assert_eq!(copies.copy_by(0, &a, 1_100_000), None);
        assert_eq!(copies.copy_by(1, &a, 1_200_000), None);
        // The copy's thread handed its event on first: the one not counted is the original's,
        // and the copy is still the later one.
        let b = Input::KeyDown("KeyB");
        assert_eq!(copies.copy_by(1, &b, 2_000_500), None);
        assert_eq!(copies.copy_by(0, &b, 2_000_000), Some(1));
    }
}
