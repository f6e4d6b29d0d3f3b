-- Reference setup: the served layers in UTM 43N (EPSG:32643), as temp tables with GiST
-- indexes (what a careful PostGIS user would do before running many distance queries).
DROP TABLE IF EXISTS ref_cell, ref_service, ref_green, ref_bike, ref_sign, ref_felling, ref_planting,
    ref_route, ref_zone, ref_cover;

-- Residents: the layer `population`, or else the first population_cell layer by slug.
CREATE TEMP TABLE ref_cell AS
SELECT population_cell_id AS cell_id, residents, ST_Centroid(ST_Transform(geom, 32643)) AS pt,
       NULL::int AS zone
FROM population_cell_current
WHERE layer_slug = COALESCE(
    (SELECT slug FROM layer WHERE slug = 'population' AND kind = 'population_cell' AND current_version_id IS NOT NULL),
    (SELECT min(slug) FROM layer WHERE kind = 'population_cell' AND current_version_id IS NOT NULL));
CREATE INDEX ON ref_cell USING gist (pt);

CREATE TEMP TABLE ref_service AS
SELECT category, ST_Transform(geom, 32643) AS g FROM service_current;
CREATE INDEX ON ref_service USING gist (g);

CREATE TEMP TABLE ref_green AS
SELECT public_access, ST_Transform(geom, 32643) AS g FROM green_space_current;
CREATE INDEX ON ref_green USING gist (g);

CREATE TEMP TABLE ref_bike AS
SELECT status, ST_Transform(geom, 32643) AS g FROM bike_lane_current;
CREATE INDEX ON ref_bike USING gist (g);

CREATE TEMP TABLE ref_sign AS
SELECT sign_type, ST_Transform(geom, 32643) AS g FROM nav_sign_current;
CREATE INDEX ON ref_sign USING gist (g);

CREATE TEMP TABLE ref_felling AS
SELECT permit_no, trees_felled, compensation_ratio, compensation_due, ST_Transform(geom, 32643) AS g,
       NULL::int AS zone
FROM tree_felling_current;

CREATE TEMP TABLE ref_planting AS
SELECT trees_planted, felling_permit_no, alive_1y, alive_2y, alive_3y, ST_Transform(geom, 32643) AS g,
       NULL::int AS zone
FROM tree_planting_current;

CREATE TEMP TABLE ref_route AS
SELECT source_row, name, ST_Transform(geom, 32643) AS g FROM wayfinding_route_current;

-- The ring polygon: a regular 256-gon, vertex k at angle 2πk/256 (closed on vertex 0).
CREATE OR REPLACE FUNCTION pg_temp.ref_circle(c geometry, r float8) RETURNS geometry
LANGUAGE sql IMMUTABLE AS $$
    SELECT ST_MakePolygon(ST_MakeLine(ARRAY(
        SELECT ST_SetSRID(ST_MakePoint(ST_X(c) + r * cos(2 * pi() * (k % 256) / 256),
                                       ST_Y(c) + r * sin(2 * pi() * (k % 256) / 256)), 32643)
        FROM generate_series(0, 256) AS k ORDER BY k)))
$$;

-- The city extent: the city boundary (first city_boundary layer, `city-boundary` preferred).
CREATE OR REPLACE FUNCTION pg_temp.ref_extent() RETURNS geometry LANGUAGE sql STABLE AS $$
    SELECT ST_Multi(ST_Union(ST_Transform(geom, 32643))) FROM city_boundary_current
    WHERE layer_slug = COALESCE(
        (SELECT slug FROM layer WHERE slug = 'city-boundary' AND kind = 'city_boundary' AND current_version_id IS NOT NULL),
        (SELECT min(slug) FROM layer WHERE kind = 'city_boundary' AND current_version_id IS NOT NULL))
$$;
