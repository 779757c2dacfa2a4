-- Attempts that rate limits count (failed log-ins, sign-ups, pairing codes asked for and typed
-- wrong), shared by every server instance on this database: an attacker spread over several
-- instances gets no more tries than against one. Kept for the longest window (an hour); small,
-- so a local (or, on Citus, reference) table.
CREATE TABLE rate_limit_events (
    -- what is counted and whose: e.g. "ada@example.com|10.0.0.1", "|10.0.0.1", "pair|10.0.0.1"
    key TEXT   NOT NULL,
    -- when, Unix milliseconds
    at  BIGINT NOT NULL
);
CREATE INDEX rate_limit_events_by_key ON rate_limit_events (key, at);
