-- The devices page: what each computer's agent says of itself, the token it uploads with (so that
-- removing the computer can revoke it), and whether the person named it on the server (then the
-- name the agent sends no longer replaces it).
ALTER TABLE devices ADD COLUMN platform TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN agent_version TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN token_id INTEGER REFERENCES api_tokens (id) ON DELETE SET NULL;
ALTER TABLE devices ADD COLUMN named_by_user INTEGER NOT NULL DEFAULT 0;
