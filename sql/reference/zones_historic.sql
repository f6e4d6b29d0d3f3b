-- Zones: the historic centre (the layer bound to historic_centre; centre) and the rest of the city boundary (periphery).
CREATE TEMP TABLE ref_zone AS
WITH h AS (
    SELECT ST_Union(ST_Transform(h.geom, 32643)) AS g FROM historic_centre h
    JOIN ref_binding b ON b.role = 'historic_centre' AND b.layer_version_id = h.layer_version_id)
SELECT 1 AS ord, 'historic-centre' AS zone_id, 'centre' AS role, ST_Multi(h.g) AS geom FROM h
UNION ALL
SELECT 2, 'rest', 'periphery', ST_Multi(ST_Difference(pg_temp.ref_extent(), h.g)) FROM h;
CREATE INDEX ON ref_zone USING gist (geom);
