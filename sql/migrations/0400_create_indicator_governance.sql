-- Why: published indicator figures must not move when somebody uploads a layer (issue 10).
-- Definitions become data with every version kept; which layers fill each input role is an
-- explicit, audited binding; an edition freezes the pinned inputs and all results.

CREATE TABLE indicator_definition (
    indicator_id    text NOT NULL CHECK (indicator_id ~ '^[a-z][a-z0-9_]{1,62}$'),
    version         integer NOT NULL CHECK (version >= 1),
    -- the full definition (qala_engine::IndicatorDef as JSON, its "version" = this version)
    definition      jsonb NOT NULL,
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (indicator_id, version)
);
COMMENT ON TABLE indicator_definition IS 'Indicator definitions, every version kept; the highest version of an id is in force.';

-- Append-only: the newest row of a role is the binding in force, older rows are its history.
CREATE TABLE input_binding (
    input_binding_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    role            text NOT NULL CHECK (role ~ '^[a-z][a-z0-9_]{1,62}$'),
    -- [{"slug": "services", "where": [{"field": "category", "any_of": ["school"]}]}]
    layers          jsonb NOT NULL CHECK (jsonb_typeof(layers) = 'array'),
    changed_by      text NOT NULL,
    changed_at      timestamptz NOT NULL DEFAULT now(),
    note            text NOT NULL DEFAULT ''
);
CREATE INDEX input_binding_role_idx ON input_binding (role, input_binding_id DESC);
COMMENT ON TABLE input_binding IS 'Which layers fill each indicator input role; newest row per role in force, the rest is history.';

CREATE TABLE indicator_edition (
    edition_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title           text NOT NULL DEFAULT '',
    published_by    text NOT NULL,
    published_at    timestamptz NOT NULL DEFAULT now(),
    as_of           date NOT NULL,
    -- {"layers": {slug: layer_version_id}, "definitions": {id: version}, "bindings": {...},
    --  "schemes": [...], "distances": [...]}
    pins            jsonb NOT NULL,
    -- the results exactly as served, and their sha256 (recomputing from pins must match)
    results         jsonb NOT NULL,
    results_sha256  text NOT NULL CHECK (results_sha256 ~ '^[0-9a-f]{64}$')
);
COMMENT ON TABLE indicator_edition IS 'Frozen indicator figures with the layer versions, definition versions and bindings they came from.';
