-- Zones: the districts (layer `districts`, or else the first district layer), by akimat id.
CREATE TEMP TABLE ref_zone AS
SELECT (row_number() OVER (ORDER BY akimat_id, source_row))::int AS ord, akimat_id::text AS zone_id,
       NULL::text AS role, ST_Multi(ST_Transform(geom, 32643)) AS geom
FROM district_current
WHERE layer_slug = COALESCE(
    (SELECT slug FROM layer WHERE slug = 'districts' AND kind = 'district' AND current_version_id IS NOT NULL),
    (SELECT min(slug) FROM layer WHERE kind = 'district' AND current_version_id IS NOT NULL));
CREATE INDEX ON ref_zone USING gist (geom);
