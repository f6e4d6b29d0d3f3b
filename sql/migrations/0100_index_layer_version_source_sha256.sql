-- Why: every ingest first looks for a ready version of the layer with the same source
-- sha256 (the same file twice makes no new version; an older one is served again), and
-- the server's upload endpoint does the same per upload; without this index that lookup
-- scans the layer's whole history.
CREATE INDEX layer_version_layer_sha256_idx ON layer_version (layer_id, source_sha256) WHERE status = 'ready';
