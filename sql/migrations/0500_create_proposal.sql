-- Why: issue 13 — residents' proposals. A resident submits without an account; nothing is
-- public before a moderator approves it; every moderation step is kept with who and when;
-- "me too" supports are counted once per client. The client is known only by a salted hash
-- of its address and user agent (the salt lives here, never leaves the database, and makes
-- the hash useless outside this installation). Categories are data (kk/ru/en).

ALTER TABLE api_token DROP CONSTRAINT api_token_role_check;
ALTER TABLE api_token ADD CONSTRAINT api_token_role_check
    CHECK (role IN ('public', 'mapper', 'planner', 'admin', 'moderator'));

CREATE TABLE proposal_category (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z_]{1,40}$'),
    name_kk     text NOT NULL CHECK (name_kk <> ''),
    name_ru     text NOT NULL CHECK (name_ru <> ''),
    name_en     text NOT NULL CHECK (name_en <> ''),
    sort_order  int NOT NULL
);
COMMENT ON TABLE proposal_category IS 'Categories of residents'' proposals: the Almaty-2050 strategy''s themes, kk/ru/en.';
INSERT INTO proposal_category (code, name_kk, name_ru, name_en, sort_order) VALUES
    ('mobility_transport', 'Қозғалыс және көлік', 'Мобильность и транспорт', 'Mobility and transport', 1),
    ('greening_air', 'Көгалдандыру және ауа', 'Озеленение и воздух', 'Greening and air', 2),
    ('public_space', 'Қоғамдық кеңістік', 'Общественные пространства', 'Public space', 3),
    ('architecture_housing', 'Сәулет және тұрғын үй', 'Архитектура и жильё', 'Architecture and housing', 4),
    ('utilities', 'Коммуналдық қызметтер', 'Коммунальные услуги', 'Utilities', 5),
    ('safety', 'Қауіпсіздік', 'Безопасность', 'Safety', 6),
    ('other', 'Басқа', 'Другое', 'Other', 7);

CREATE TABLE proposal (
    proposal_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    geom            geometry(Geometry, 4326) NOT NULL
                    CHECK (GeometryType(geom) IN ('POINT', 'LINESTRING', 'POLYGON') AND NOT ST_IsEmpty(geom)),
    category        text NOT NULL REFERENCES proposal_category (code),
    -- as the resident wrote it; rendered escaped everywhere
    body            text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 2000),
    -- re-encoded without metadata (EXIF, XMP, comments) before it is stored
    photo           bytea CHECK (octet_length(photo) <= 5242880),
    photo_mime      text CHECK (photo_mime IN ('image/jpeg', 'image/png')),
    -- never in a public response
    contact         text CHECK (char_length(contact) <= 200),
    client_hash     text NOT NULL CHECK (client_hash ~ '^[0-9a-f]{64}$'),
    -- moderation decides visibility: only 'approved' is public
    moderation      text NOT NULL DEFAULT 'pending'
                    CHECK (moderation IN ('pending', 'approved', 'rejected', 'merged')),
    -- the public lifecycle
    status          text NOT NULL DEFAULT 'received'
                    CHECK (status IN ('received', 'under_review', 'accepted', 'in_plan', 'done', 'declined')),
    public_answer   text CHECK (char_length(public_answer) <= 4000),
    decline_reason  text CHECK (char_length(decline_reason) <= 2000),
    merged_into     bigint REFERENCES proposal (proposal_id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    synthetic       boolean NOT NULL DEFAULT false,
    CHECK ((photo IS NULL) = (photo_mime IS NULL)),
    CHECK ((moderation = 'merged') = (merged_into IS NOT NULL)),
    CHECK (status <> 'declined' OR decline_reason IS NOT NULL)
);
COMMENT ON TABLE proposal IS 'Residents'' proposals (issue 13). Public only when moderation = approved; contact and client_hash are never public.';
CREATE INDEX proposal_geom_idx ON proposal USING gist (geom);
CREATE INDEX proposal_public_idx ON proposal (moderation, category, status);
CREATE INDEX proposal_client_idx ON proposal (client_hash, created_at);

CREATE TABLE proposal_support (
    proposal_id     bigint NOT NULL REFERENCES proposal (proposal_id) ON DELETE CASCADE,
    client_hash     text NOT NULL CHECK (client_hash ~ '^[0-9a-f]{64}$'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (proposal_id, client_hash)
);
COMMENT ON TABLE proposal_support IS '"Me too" on a public proposal: at most one per client hash.';

CREATE TABLE proposal_moderation (
    proposal_moderation_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    proposal_id     bigint NOT NULL REFERENCES proposal (proposal_id) ON DELETE CASCADE,
    -- token:<id> of the moderator or admin; role at the time
    actor           text NOT NULL,
    actor_role      text NOT NULL,
    at              timestamptz NOT NULL DEFAULT now(),
    action          text NOT NULL CHECK (action IN ('approve', 'reject', 'status', 'merge')),
    from_moderation text NOT NULL,
    to_moderation   text NOT NULL,
    from_status     text NOT NULL,
    to_status       text NOT NULL,
    reason          text,
    public_answer   text
);
COMMENT ON TABLE proposal_moderation IS 'Every moderation step of a proposal: who, when, what, from and to, why.';
CREATE INDEX proposal_moderation_proposal_idx ON proposal_moderation (proposal_id);

-- One row: the salt of client hashes, made once per database.
CREATE TABLE proposal_salt (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    salt        text NOT NULL
);
INSERT INTO proposal_salt (salt)
VALUES (md5(random()::text || clock_timestamp()::text) || md5(random()::text || pg_backend_pid()::text));
