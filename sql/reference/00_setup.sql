-- Reference setup: the served layers in UTM 43N (EPSG:32643), as temp tables with GiST
-- indexes (what a careful PostGIS user would do before running many distance queries).
DROP TABLE IF EXISTS ref_cell, ref_service, ref_green, ref_bike, ref_sign, ref_felling, ref_planting,
    ref_route, ref_zone, ref_cover;

-- The inputs: ref_binding(role, slug, layer_version_id, selection) is created by the runner
-- (qala indicators --reference) from the city's input bindings and the layer versions to use
-- (the served ones, or an edition's pins). Every table below reads exactly those versions.

-- Whether a feature (as jsonb) passes a binding's selection: [{"field":…,"any_of":[…]}],
-- each condition comparing the attribute as text.
CREATE OR REPLACE FUNCTION pg_temp.ref_selected(f jsonb, sel jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT NOT EXISTS (
        SELECT 1 FROM jsonb_array_elements(COALESCE(sel, '[]'::jsonb)) c
        WHERE NOT COALESCE((f ->> (c ->> 'field')) IN (SELECT jsonb_array_elements_text(c -> 'any_of')), false))
$$;

-- Residents: the layer bound to the population role.
CREATE TEMP TABLE ref_cell AS
SELECT p.population_cell_id AS cell_id, p.residents, ST_Centroid(ST_Transform(p.geom, 32643)) AS pt,
       NULL::int AS zone
FROM population_cell p JOIN ref_binding b ON b.role = 'population' AND b.layer_version_id = p.layer_version_id;
CREATE INDEX ON ref_cell USING gist (pt);

-- Services by the role their binding gives them (one row per role a feature fills).
CREATE TEMP TABLE ref_service AS
SELECT b.role, s.category, ST_Transform(s.geom, 32643) AS g
FROM service s JOIN ref_binding b ON b.layer_version_id = s.layer_version_id
WHERE b.role IN ('bus_stops', 'metro_stations', 'schools', 'kindergartens', 'clinics')
  AND pg_temp.ref_selected(to_jsonb(s), b.selection);
CREATE INDEX ON ref_service USING gist (g);

CREATE TEMP TABLE ref_green AS
SELECT s.public_access, ST_Transform(s.geom, 32643) AS g
FROM green_space s JOIN ref_binding b ON b.role = 'green_spaces' AND b.layer_version_id = s.layer_version_id
WHERE pg_temp.ref_selected(to_jsonb(s), b.selection);
CREATE INDEX ON ref_green USING gist (g);

CREATE TEMP TABLE ref_bike AS
SELECT s.status, ST_Transform(s.geom, 32643) AS g
FROM bike_lane s JOIN ref_binding b ON b.role = 'bike_lanes' AND b.layer_version_id = s.layer_version_id
WHERE pg_temp.ref_selected(to_jsonb(s), b.selection);
CREATE INDEX ON ref_bike USING gist (g);

CREATE TEMP TABLE ref_sign AS
SELECT s.sign_type, ST_Transform(s.geom, 32643) AS g
FROM nav_sign s JOIN ref_binding b ON b.role = 'nav_signs' AND b.layer_version_id = s.layer_version_id
WHERE pg_temp.ref_selected(to_jsonb(s), b.selection);
CREATE INDEX ON ref_sign USING gist (g);

CREATE TEMP TABLE ref_felling AS
SELECT s.permit_no, s.trees_felled, s.compensation_ratio, s.compensation_due, ST_Transform(s.geom, 32643) AS g,
       NULL::int AS zone
FROM tree_felling s JOIN ref_binding b ON b.role = 'tree_fellings' AND b.layer_version_id = s.layer_version_id
WHERE pg_temp.ref_selected(to_jsonb(s), b.selection);

CREATE TEMP TABLE ref_planting AS
SELECT s.trees_planted, s.felling_permit_no, s.alive_1y, s.alive_2y, s.alive_3y, ST_Transform(s.geom, 32643) AS g,
       NULL::int AS zone
FROM tree_planting s JOIN ref_binding b ON b.role = 'tree_plantings' AND b.layer_version_id = s.layer_version_id
WHERE pg_temp.ref_selected(to_jsonb(s), b.selection);

CREATE TEMP TABLE ref_route AS
SELECT s.source_row, s.name, ST_Transform(s.geom, 32643) AS g
FROM wayfinding_route s JOIN ref_binding b ON b.role = 'wayfinding_routes' AND b.layer_version_id = s.layer_version_id;

-- The ring polygon: a regular 256-gon, vertex k at angle 2πk/256 (closed on vertex 0).
CREATE OR REPLACE FUNCTION pg_temp.ref_circle(c geometry, r float8) RETURNS geometry
LANGUAGE sql IMMUTABLE AS $$
    SELECT ST_MakePolygon(ST_MakeLine(ARRAY(
        SELECT ST_SetSRID(ST_MakePoint(ST_X(c) + r * cos(2 * pi() * (k % 256) / 256),
                                       ST_Y(c) + r * sin(2 * pi() * (k % 256) / 256)), 32643)
        FROM generate_series(0, 256) AS k ORDER BY k)))
$$;

-- The city extent: the layer bound to city_boundary, or else the districts' union.
CREATE OR REPLACE FUNCTION pg_temp.ref_extent() RETURNS geometry LANGUAGE sql STABLE AS $$
    SELECT COALESCE(
        (SELECT ST_Multi(ST_Union(ST_Transform(c.geom, 32643))) FROM city_boundary c
         JOIN ref_binding b ON b.role = 'city_boundary' AND b.layer_version_id = c.layer_version_id),
        (SELECT ST_Multi(ST_Union(ST_Transform(d.geom, 32643))) FROM district d
         JOIN ref_binding b ON b.role = 'districts' AND b.layer_version_id = d.layer_version_id))
$$;
