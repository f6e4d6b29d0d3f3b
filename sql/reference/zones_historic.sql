-- Zones: the historic centre (centre) and the rest of the city boundary (periphery).
CREATE TEMP TABLE ref_zone AS
WITH h AS (
    SELECT ST_Union(ST_Transform(geom, 32643)) AS g FROM historic_centre_current
    WHERE layer_slug = COALESCE(
        (SELECT slug FROM layer WHERE slug = 'historic-centre' AND kind = 'historic_centre' AND current_version_id IS NOT NULL),
        (SELECT min(slug) FROM layer WHERE kind = 'historic_centre' AND current_version_id IS NOT NULL)))
SELECT 1 AS ord, 'historic-centre' AS zone_id, 'centre' AS role, ST_Multi(h.g) AS geom FROM h
UNION ALL
SELECT 2, 'rest', 'periphery', ST_Multi(ST_Difference(pg_temp.ref_extent(), h.g)) FROM h;
CREATE INDEX ON ref_zone USING gist (geom);
