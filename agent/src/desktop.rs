//! The displays (monitors) of the desktop, and which display, and which cell of its grid, a
//! pointer position falls in. Click and movement detail is binned per display, so that a person
//! with a laptop screen and an external monitor sees where they click on each, at each one's own
//! resolution, instead of one stretched grid over both.

use keytrack_wire::{DisplayPlace, GridCount};

/// The desktop: its size in pixels (all displays together, as the pointer sees them) and its
/// displays, never none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desktop {
    width: u32,
    height: u32,
    displays: Vec<DisplayPlace>,
}

/// A monitor as the window system lists it: left, top (may be negative where the primary
/// monitor's corner is the origin, as on Windows), width, height.
pub type MonitorRect = (i64, i64, u32, u32);

impl Desktop {
    /// A desktop of one display.
    pub fn single(width: u32, height: u32) -> Desktop {
        let (width, height) = (width.max(1), height.max(1));
        Desktop { width, height, displays: vec![DisplayPlace::whole(width, height)] }
    }

    /// The desktop of `width` x `height` with these monitors. Monitors are moved so that the
    /// top-left-most corner is (0, 0), cut to the desktop, listed once (mirrored monitors show the
    /// same picture: one display); a monitor that holds another whole (the bounding box some
    /// window systems list beside its parts) is left out. Without a usable monitor the desktop is
    /// one display.
    pub fn new(width: u32, height: u32, monitors: &[MonitorRect]) -> Desktop {
        let (width, height) = (width.max(1), height.max(1));
        let left = monitors.iter().map(|m| m.0).min().unwrap_or(0).min(0);
        let top = monitors.iter().map(|m| m.1).min().unwrap_or(0).min(0);
        let mut displays: Vec<DisplayPlace> = Vec::with_capacity(monitors.len());
        for &(x, y, w, h) in monitors {
            let (x, y) = (x - left, y - top);
            let x0 = x.clamp(0, i64::from(width));
            let y0 = y.clamp(0, i64::from(height));
            let x1 = (x + i64::from(w)).clamp(0, i64::from(width));
            let y1 = (y + i64::from(h)).clamp(0, i64::from(height));
            if x1 <= x0 || y1 <= y0 {
                continue;
            }
            let px = |v: i64| u32::try_from(v).unwrap_or(0);
            let place = DisplayPlace {
                desktop_width: width,
                desktop_height: height,
                x: px(x0),
                y: px(y0),
                width: px(x1 - x0),
                height: px(y1 - y0),
            };
            if !displays.contains(&place) {
                displays.push(place);
            }
        }
        let holds = |outer: &DisplayPlace, inner: &DisplayPlace| {
            outer != inner
                && outer.x <= inner.x
                && outer.y <= inner.y
                && u64::from(inner.x) + u64::from(inner.width) <= u64::from(outer.x) + u64::from(outer.width)
                && u64::from(inner.y) + u64::from(inner.height) <= u64::from(outer.y) + u64::from(outer.height)
        };
        let all = displays.clone();
        displays.retain(|d| !all.iter().any(|inner| holds(d, inner)));
        displays.sort_by_key(|d| (d.y, d.x));
        match displays.as_slice() {
            [] => Desktop::single(width, height),
            [only] if only.width == width && only.height == height => Desktop::single(width, height),
            _ => Desktop { width, height, displays },
        }
    }

    pub fn displays(&self) -> &[DisplayPlace] {
        &self.displays
    }

    /// The display a pointer position lies on (the nearest one where it lies between displays)
    /// and the cell of that display's grid.
    pub fn locate(&self, x: f64, y: f64) -> (DisplayPlace, (u16, u16)) {
        let distance = |d: &DisplayPlace| {
            let gap = |pos: f64, start: u32, size: u32| {
                let (start, end) = (f64::from(start), f64::from(start) + f64::from(size));
                if pos < start {
                    start - pos
                } else if pos >= end {
                    pos - end + 1.0
                } else {
                    0.0
                }
            };
            gap(x, d.x, d.width).hypot(gap(y, d.y, d.height))
        };
        let display = match self.displays.as_slice() {
            [only] => *only,
            many => many
                .iter()
                .copied()
                .min_by(|a, b| distance(a).total_cmp(&distance(b)))
                .unwrap_or(DisplayPlace::whole(self.width, self.height)),
        };
        let cell =
            GridCount::cell_of(x - f64::from(display.x), y - f64::from(display.y), display.width, display.height);
        (display, cell)
    }

    /// E.g. "a 1920x1080 screen" or "a 3840x1080 desktop of 2 displays (1920x1080 at 0,0;
    /// 1920x1080 at 1920,0)".
    pub fn describe(&self) -> String {
        match self.displays.as_slice() {
            [_] => format!("a {}x{} screen", self.width, self.height),
            many => format!(
                "a {}x{} desktop of {} displays ({})",
                self.width,
                self.height,
                many.len(),
                many.iter()
                    .map(|d| format!("{}x{} at {},{}", d.width, d.height, d.x, d.y))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_monitor_or_none_is_a_single_screen() {
        assert_eq!(Desktop::new(1920, 1080, &[]), Desktop::single(1920, 1080));
        assert_eq!(Desktop::new(1920, 1080, &[(0, 0, 1920, 1080)]), Desktop::single(1920, 1080));
        // Mirrored: the same picture twice is one display.
        assert_eq!(Desktop::new(1920, 1080, &[(0, 0, 1920, 1080), (0, 0, 1920, 1080)]), Desktop::single(1920, 1080));
        assert_eq!(Desktop::single(1920, 1080).describe(), "a 1920x1080 screen");
    }

    #[test]
    fn side_by_side_monitors_are_two_displays_and_positions_bin_on_their_own() {
        // A laptop (1920x1080, lower left) beside a 2560x1440 monitor.
        let desktop = Desktop::new(4480, 1440, &[(1920, 0, 2560, 1440), (0, 360, 1920, 1080)]);
        let [monitor, laptop] = desktop.displays() else { panic!("{desktop:?}") };
        assert_eq!((monitor.x, monitor.y, monitor.width, monitor.height), (1920, 0, 2560, 1440));
        assert_eq!((laptop.x, laptop.y, laptop.width, laptop.height), (0, 360, 1920, 1080));
        assert_eq!((laptop.desktop_width, laptop.desktop_height), (4480, 1440));
        // Top-left corner of the laptop: its cell (0, 0); the last pixel of the monitor: its last cell.
        assert_eq!(desktop.locate(0.0, 360.0), (*laptop, (0, 0)));
        assert_eq!(desktop.locate(4479.0, 1439.0), (*monitor, (63, 35)));
        // 1920 + 1280 = the monitor's middle column; 720 its middle row.
        assert_eq!(desktop.locate(3200.0, 720.0), (*monitor, (32, 18)));
        // Above the laptop, where no display is: the nearest display, the laptop's top edge.
        assert_eq!(desktop.locate(100.0, 10.0), (*laptop, (3, 0)));
        assert_eq!(desktop.describe(), "a 4480x1440 desktop of 2 displays (2560x1440 at 1920,0; 1920x1080 at 0,360)");
    }

    #[test]
    fn negative_origins_move_and_bounding_boxes_and_empty_monitors_are_left_out() {
        // Windows: the primary monitor's corner is (0, 0), a second one lies to its left.
        let desktop = Desktop::new(
            3840,
            1080,
            &[(0, 0, 1920, 1080), (-1920, 0, 1920, 1080), (-1920, 0, 3840, 1080), (5000, 0, 10, 10), (0, 0, 0, 5)],
        );
        let xs: Vec<(u32, u32)> = desktop.displays().iter().map(|d| (d.x, d.width)).collect();
        assert_eq!(xs, vec![(0, 1920), (1920, 1920)]);
        // Off every display to the right: the right display's last column.
        assert_eq!(desktop.locate(9999.0, 5.0).1, (63, 0));
    }
}
