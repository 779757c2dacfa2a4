-- The keyboard layout a user types with (domain::layouts::KeyboardLayout::id): the labels drawn on
-- the keyboard heatmap and the base of the "what if" layout comparison. Counts stay per physical
-- key, so changing it changes no figure.
ALTER TABLE users ADD COLUMN keyboard_layout TEXT NOT NULL DEFAULT 'us';
