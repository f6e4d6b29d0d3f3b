-- Zones: the districts (the layer bound to the districts role), by akimat id.
CREATE TEMP TABLE ref_zone AS
SELECT (row_number() OVER (ORDER BY akimat_id, source_row))::int AS ord, akimat_id::text AS zone_id,
       NULL::text AS role, ST_Multi(ST_Transform(geom, 32643)) AS geom
FROM district d JOIN ref_binding b ON b.role = 'districts' AND b.layer_version_id = d.layer_version_id;
CREATE INDEX ON ref_zone USING gist (geom);
