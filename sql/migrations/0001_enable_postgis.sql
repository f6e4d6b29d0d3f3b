-- Why: every layer is a PostGIS geometry table; the extension must exist before any of them.
CREATE EXTENSION IF NOT EXISTS postgis;
