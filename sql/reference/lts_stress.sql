-- The level of traffic stress of every way and the low-stress street graph, for one lane
-- scenario: what the pgRouting oracles of the cycling network share. lts_islands.sql finds
-- its islands (GET /networks/lts/islands); lts_graph.sql + network_access.sql ride on it
-- (the low_stress_access indicators). The runner (qala indicators --reference) builds it
-- once per scenario and evaluates every low-stress definition of that scenario on it.
-- Mirrors crates/qala-engine/src/lts_network.rs and lts_ruleset.rs. Needs the pgrouting
-- extension and ref_binding(role, slug, layer_version_id, selection) made by the runner, and
-- two settings:
--   qala.lts_rules     the ruleset JSON (sql/indicators/lts_rules.json)
--   qala.lts_scenario  existing | under_construction | plan
-- Leaves ref_lts(way, class, facility, rule, lts, lts_before_slope, gradient_pct, climb_m,
-- slope_rule) with ref_lts_road(way, row, …) for checks, and the low-stress graph
-- ref_lts_edge(id, way, source, target, cost, geom).
--
-- Rules shared with the engine:
-- - every way of the roads layer is classified by the first rule (in file order) whose
--   facility, class, max speed and lanes per direction match; a validated ruleset has
--   exactly one; max speed, lanes and one-way come from the default row of the way's
--   highway value (or the "*" row): the roads kind carries no such tags;
-- - a lane of the scenario runs along a way when the points at 10 %, 50 % and 90 % of each
--   of the way's parts are within 15 m of a lane; the facility is that of the lane nearest
--   the 50 % point of the first part (a facility the ruleset does not list counts as none);
-- - only where a layer is bound to the role `elevation` (crates/qala-engine/src/elevation.rs):
--   a cell stands for its UTM centroid; the height at a point is the 1/d²-weighted mean of
--   the 4 nearest centroids within 200 m (a centroid within 1 mm gives its own height; none
--   in reach, no height); a way's climb is the sum over its lines of |height(last vertex) -
--   height(first vertex)|, its gradient 100 × climb / length, none if an end has no height;
--   the first slope rule (file order) whose gradient_pct interval holds the gradient and
--   whose min_length_m the way's length reaches adds its levels, capped at 4;
-- - the low-stress graph is network_graph.sql's graph over the ways at LTS <= 2.
CREATE EXTENSION IF NOT EXISTS pgrouting;
DROP TABLE IF EXISTS ref_lts_rules, ref_lts_road, ref_lts_lane, ref_lts_sample, ref_lts, ref_lts_vertex,
    ref_lts_node, ref_lts_edge, ref_lts_comp, ref_lts_elev, ref_lts_end, ref_lts_gradient;

CREATE TEMP TABLE ref_lts_rules AS SELECT current_setting('qala.lts_rules')::jsonb AS r;

CREATE TEMP TABLE ref_lts_road AS
SELECT r.road_id AS way, r.source_row AS row, COALESCE(r.highway, '') AS highway, ST_Transform(r.geom, 32643) AS g
FROM road r JOIN ref_binding b ON b.role = 'roads' AND b.layer_version_id = r.layer_version_id;

CREATE TEMP TABLE ref_lts_lane AS
SELECT s.bike_lane_id AS lane, s.facility, ST_Transform(s.geom, 32643) AS g
FROM bike_lane s JOIN ref_binding b ON b.role = 'bike_lanes' AND b.layer_version_id = s.layer_version_id
WHERE s.status = ANY (CASE current_setting('qala.lts_scenario')
                        WHEN 'existing' THEN ARRAY['existing']
                        WHEN 'under_construction' THEN ARRAY['existing', 'under_construction']
                        ELSE ARRAY['existing', 'under_construction', 'planned'] END);
CREATE INDEX ON ref_lts_lane USING gist (g);

CREATE TEMP TABLE ref_lts_sample AS
SELECT w.way, d.path[1] AS part, f.k, ST_LineInterpolatePoint(d.geom, f.frac) AS p
FROM ref_lts_road w, ST_Dump(w.g) d, (VALUES (0, 0.1::float8), (1, 0.5), (2, 0.9)) f(k, frac)
WHERE GeometryType(d.geom) = 'LINESTRING';
-- Looked up per way below: without the index each lookup scans every sample.
CREATE INDEX ON ref_lts_sample (way);
ANALYZE ref_lts_road, ref_lts_lane, ref_lts_sample;

-- Heights: the bound elevation layer's cells as UTM centroids (none without a binding).
CREATE TEMP TABLE ref_lts_elev AS
SELECT e.elevation_id AS id, e.elevation_m AS z, ST_Centroid(ST_Transform(e.geom, 32643)) AS pt
FROM elevation e JOIN ref_binding b ON b.role = 'elevation' AND b.layer_version_id = e.layer_version_id;
CREATE INDEX ON ref_lts_elev USING gist (pt);
ANALYZE ref_lts_elev;

CREATE OR REPLACE FUNCTION pg_temp.ref_height(p geometry) RETURNS float8 LANGUAGE sql STABLE AS $$
    WITH n AS (SELECT e.id, e.z, ST_Distance(e.pt, p) AS d FROM ref_lts_elev e ORDER BY e.pt <-> p LIMIT 4),
         r AS (SELECT * FROM n WHERE d <= 200)
    SELECT CASE WHEN (SELECT min(d) FROM r) < 1e-3 THEN (SELECT z FROM r ORDER BY d, id LIMIT 1)
                ELSE (SELECT sum((1 / (d * d)) * z) / sum(1 / (d * d)) FROM r) END
$$;

CREATE TEMP TABLE ref_lts_end AS
SELECT w.way, d.path[1] AS part, ST_Length(d.geom) AS len,
       pg_temp.ref_height(ST_StartPoint(d.geom)) AS z0, pg_temp.ref_height(ST_EndPoint(d.geom)) AS z1
FROM ref_lts_road w, ST_Dump(w.g) d
WHERE GeometryType(d.geom) = 'LINESTRING' AND EXISTS (SELECT 1 FROM ref_lts_elev);

CREATE TEMP TABLE ref_lts_gradient AS
SELECT way, 100 * sum(abs(z1 - z0)) / sum(len) AS pct, sum(abs(z1 - z0)) AS climb, sum(len) AS len
FROM ref_lts_end
GROUP BY way
HAVING bool_and(z0 IS NOT NULL AND z1 IS NOT NULL) AND sum(len) > 0;

CREATE TEMP TABLE ref_lts AS
-- Materialised: inlined, the facility subqueries ran once per reference to the column.
WITH facility AS MATERIALIZED (
    SELECT w.way,
           CASE WHEN EXISTS (SELECT 1 FROM ref_lts_sample s WHERE s.way = w.way)
                 AND NOT EXISTS (SELECT 1 FROM ref_lts_sample s WHERE s.way = w.way
                                 AND NOT EXISTS (SELECT 1 FROM ref_lts_lane l WHERE ST_DWithin(l.g, s.p, 15)))
                THEN (SELECT l.facility FROM ref_lts_sample s, ref_lts_lane l
                      WHERE s.way = w.way AND s.k = 1
                      ORDER BY s.part, ST_Distance(l.g, s.p) LIMIT 1)
           END AS facility
    FROM ref_lts_road w
), tagged AS MATERIALIZED (
    SELECT w.way, w.highway,
           COALESCE((SELECT c.key FROM ref_lts_rules, jsonb_each(r -> 'classes') c WHERE c.value ? w.highway),
                    'other') AS class,
           CASE WHEN f.facility IS NOT NULL AND (SELECT r -> 'facilities' ? f.facility FROM ref_lts_rules)
                THEN f.facility ELSE 'none' END AS facility,
           COALESCE((SELECT d FROM ref_lts_rules, jsonb_array_elements(r -> 'defaults') d WHERE d -> 'highway' ? w.highway),
                    (SELECT d FROM ref_lts_rules, jsonb_array_elements(r -> 'defaults') d WHERE d -> 'highway' ? '*'))
               AS dflt
    FROM ref_lts_road w JOIN facility f ON f.way = w.way
), measured AS (
    SELECT way, class, facility, (dflt ->> 'max_speed_kmh')::float8 AS speed,
           (dflt ->> 'lanes')::float8 / CASE WHEN (dflt ->> 'oneway')::boolean THEN 1 ELSE 2 END AS per_dir
    FROM tagged
), classified AS (
SELECT m.way, m.class, m.facility,
       COALESCE(rule ->> 'id', 'no_rule') AS rule, COALESCE((rule ->> 'lts')::int, 4) AS base
FROM measured m
LEFT JOIN LATERAL (
    SELECT x.rule FROM ref_lts_rules, jsonb_array_elements(r -> 'rules') WITH ORDINALITY x(rule, ord)
    WHERE (x.rule -> 'facility' IS NULL OR x.rule -> 'facility' ? m.facility)
      AND (x.rule -> 'classes' IS NULL OR x.rule -> 'classes' ? m.class)
      AND (x.rule #> '{max_speed_kmh,over}' IS NULL OR m.speed > (x.rule #>> '{max_speed_kmh,over}')::float8)
      AND (x.rule #> '{max_speed_kmh,upto}' IS NULL OR m.speed <= (x.rule #>> '{max_speed_kmh,upto}')::float8)
      AND (x.rule #> '{lanes_per_direction,over}' IS NULL OR m.per_dir > (x.rule #>> '{lanes_per_direction,over}')::float8)
      AND (x.rule #> '{lanes_per_direction,upto}' IS NULL OR m.per_dir <= (x.rule #>> '{lanes_per_direction,upto}')::float8)
    ORDER BY x.ord LIMIT 1
) pick ON true
)
SELECT c.way, c.class, c.facility, c.rule,
       LEAST(4, c.base + COALESCE((sl.slope ->> 'add')::int, 0)) AS lts,
       CASE WHEN sl.slope IS NOT NULL THEN c.base END AS lts_before_slope,
       g.pct AS gradient_pct, g.climb AS climb_m, sl.slope ->> 'id' AS slope_rule
FROM classified c
LEFT JOIN ref_lts_gradient g ON g.way = c.way
LEFT JOIN LATERAL (
    SELECT x.slope FROM ref_lts_rules, jsonb_array_elements(COALESCE(r -> 'slope', '[]'::jsonb)) WITH ORDINALITY x(slope, ord)
    WHERE g.pct IS NOT NULL
      AND g.pct > (x.slope #>> '{gradient_pct,over}')::float8
      AND (x.slope #> '{gradient_pct,upto}' IS NULL OR g.pct <= (x.slope #>> '{gradient_pct,upto}')::float8)
      AND g.len >= COALESCE((x.slope ->> 'min_length_m')::float8, 0)
    ORDER BY x.ord LIMIT 1
) sl ON true;

-- The graph: network_graph.sql's rules over the low-stress ways.
CREATE TEMP TABLE ref_lts_vertex AS
SELECT w.way, d.path[1] AS part, d.path[2] AS k,
       round(ST_X(d.geom) / 0.01::float8)::bigint AS kx,
       round(ST_Y(d.geom) / 0.01::float8)::bigint AS ky
FROM ref_lts_road w JOIN ref_lts l ON l.way = w.way AND l.lts <= 2,
     ST_DumpPoints(w.g) d;

CREATE TEMP TABLE ref_lts_node AS
SELECT row_number() OVER (ORDER BY kx, ky) AS id, kx, ky
FROM (SELECT DISTINCT kx, ky FROM ref_lts_vertex) n;
CREATE UNIQUE INDEX ON ref_lts_node (kx, ky);

CREATE TEMP TABLE ref_lts_edge AS
SELECT row_number() OVER (ORDER BY v.way, v.part, v.k) AS id, v.way, a.id AS source, b.id AS target,
       sqrt(((a.kx - b.kx) * 0.01::float8) ^ 2 + ((a.ky - b.ky) * 0.01::float8) ^ 2) AS cost,
       ST_SetSRID(ST_MakeLine(ST_MakePoint(a.kx * 0.01::float8, a.ky * 0.01::float8),
                              ST_MakePoint(b.kx * 0.01::float8, b.ky * 0.01::float8)), 32643) AS geom
FROM (SELECT way, part, k, kx, ky,
             lead(kx) OVER w AS nx, lead(ky) OVER w AS ny
      FROM ref_lts_vertex WINDOW w AS (PARTITION BY way, part ORDER BY k)) v
JOIN ref_lts_node a ON a.kx = v.kx AND a.ky = v.ky
JOIN ref_lts_node b ON b.kx = v.nx AND b.ky = v.ny
WHERE a.id <> b.id;
CREATE INDEX ON ref_lts_edge USING gist (geom);
