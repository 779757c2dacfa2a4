-- Applications (issue 16): the agent counts keys, clicks and active time per application in its
-- hour blocks, and the day rollups sum them (domain::rollup::DayTotals::apps, rollup format 4).
-- Here only the user's never-count list: application names (keytrack_wire::apps::app_name) as a
-- JSON array, sent to their agents with every upload's receipt.
ALTER TABLE users ADD COLUMN never_count TEXT NOT NULL DEFAULT '[]';
