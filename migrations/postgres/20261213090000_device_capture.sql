-- The agent on Wayland (issue 39): how each device's agent captures (`x11`, `evdev`, `hooks`; ''
-- until an agent says), from its `KeyTrack-Capture` header. An `evdev` capture knows no pointer
-- positions, and the dashboard says so instead of showing that computer's heatmaps empty. The
-- same column as SQLite's migration of the same name.
ALTER TABLE devices ADD COLUMN capture TEXT NOT NULL DEFAULT '';
