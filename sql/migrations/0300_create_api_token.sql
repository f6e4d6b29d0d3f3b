-- Why: the server's roles (mapper, planner, admin) are granted by bearer tokens. Only a
-- token's sha256 is kept, so a leaked database does not leak usable tokens; revoking keeps
-- the row for the audit trail.
CREATE TABLE api_token (
    api_token_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_sha256    text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    role            text NOT NULL CHECK (role IN ('public', 'mapper', 'planner', 'admin')),
    -- slugs a mapper may upload to and roll back; unused by the other roles
    layers          text[] NOT NULL DEFAULT '{}',
    label           text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz
);
COMMENT ON TABLE api_token IS 'API bearer tokens: sha256 only, role, granted layers; revoked_at set instead of deleting.';
