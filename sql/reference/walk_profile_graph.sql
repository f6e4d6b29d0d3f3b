-- The street graph of a walking profile as the network-access graph: the walking graph of
-- network_graph.sql without the profile's barriers, as qala-engine builds it
-- (crates/qala-engine/src/walk_profile.rs), so that network_access.sql walks it. The oracle of
-- the profile_access indicators: after walk_profile/<id>.sql (features, able-bodied distance
-- qala.walk_radius_m, profile qala.walk_profile), with the rules file
-- (sql/indicators/walk_profiles.json) in qala.walk_profile_rules; sets qala.radius_m to the
-- profile's distance. Needs 00_setup.sql (ref_cell) and pgrouting.
--
-- Rules shared with the engine:
-- - the walking graph's ways (highway not motorway, motorway_link, trunk, trunk_link);
-- - minus the ways a barrier of the profile names: tag highway (the road's highway),
--   wheelchair or kerb (the road's attributes, text values) equal to one of its values;
-- - minus the ways steeper than max_gradient_pct where a gradient is known: where a layer is
--   bound to the role `elevation`, each way's gradient as lts_stress.sql computes it (sum over
--   its lines of |height(last vertex) - height(first vertex)| over their length, heights the
--   inverse-distance mean of the 4 nearest cell centres within 200 m);
-- - the same node grid, edges and costs; a cell joins the nearest edge of this graph within 250 m;
-- - the distance walked is qala.walk_radius_m × the profile's distance_factor.
CREATE EXTENSION IF NOT EXISTS pgrouting;
DROP TABLE IF EXISTS ref_net_vertex, ref_net_node, ref_net_edge, ref_net_cell, ref_walk_barrier,
    ref_walk_elev, ref_walk_end, ref_walk_gradient;

-- Heights: the bound elevation layer's cells as UTM centroids (none without a binding).
CREATE TEMP TABLE ref_walk_elev AS
SELECT e.elevation_id AS id, e.elevation_m AS z, ST_Centroid(ST_Transform(e.geom, 32643)) AS pt
FROM elevation e JOIN ref_binding b ON b.role = 'elevation' AND b.layer_version_id = e.layer_version_id;
CREATE INDEX ON ref_walk_elev USING gist (pt);
ANALYZE ref_walk_elev;

CREATE OR REPLACE FUNCTION pg_temp.ref_walk_height(p geometry) RETURNS float8 LANGUAGE sql STABLE AS $$
    WITH n AS (SELECT e.id, e.z, ST_Distance(e.pt, p) AS d FROM ref_walk_elev e ORDER BY e.pt <-> p LIMIT 4),
         r AS (SELECT * FROM n WHERE d <= 200)
    SELECT CASE WHEN (SELECT min(d) FROM r) < 1e-3 THEN (SELECT z FROM r ORDER BY d, id LIMIT 1)
                ELSE (SELECT sum((1 / (d * d)) * z) / sum(1 / (d * d)) FROM r) END
$$;

CREATE TEMP TABLE ref_walk_end AS
SELECT r.road_id AS way, ST_Length(d.geom) AS len,
       pg_temp.ref_walk_height(ST_StartPoint(d.geom)) AS z0, pg_temp.ref_walk_height(ST_EndPoint(d.geom)) AS z1
FROM road r JOIN ref_binding b ON b.role = 'roads' AND b.layer_version_id = r.layer_version_id,
     ST_Dump(ST_Transform(r.geom, 32643)) d
WHERE GeometryType(d.geom) = 'LINESTRING' AND EXISTS (SELECT 1 FROM ref_walk_elev);

CREATE TEMP TABLE ref_walk_gradient AS
SELECT way, 100 * sum(abs(z1 - z0)) / sum(len) AS pct
FROM ref_walk_end
GROUP BY way
HAVING bool_and(z0 IS NOT NULL AND z1 IS NOT NULL) AND sum(len) > 0;

CREATE TEMP TABLE ref_walk_barrier AS
SELECT b->>'tag' AS tag, v AS value
FROM jsonb_array_elements(current_setting('qala.walk_profile_rules')::jsonb -> 'profiles') p,
     jsonb_array_elements(p -> 'barriers') b,
     jsonb_array_elements_text(b -> 'values') v
WHERE p->>'id' = current_setting('qala.walk_profile');

SELECT set_config('qala.radius_m',
    (current_setting('qala.walk_radius_m')::float8 *
     COALESCE((SELECT (p->>'distance_factor')::float8
               FROM jsonb_array_elements(current_setting('qala.walk_profile_rules')::jsonb -> 'profiles') p
               WHERE p->>'id' = current_setting('qala.walk_profile')), 1.0::float8))::text,
    false);

CREATE TEMP TABLE ref_net_vertex AS
SELECT r.road_id AS way, d.path[1] AS part, d.path[2] AS k,
       round(ST_X(d.geom) / 0.01::float8)::bigint AS kx,
       round(ST_Y(d.geom) / 0.01::float8)::bigint AS ky
FROM road r JOIN ref_binding b ON b.role = 'roads' AND b.layer_version_id = r.layer_version_id,
     ST_DumpPoints(ST_Transform(r.geom, 32643)) d
WHERE (r.highway IS NULL OR r.highway NOT IN ('motorway', 'motorway_link', 'trunk', 'trunk_link'))
  AND NOT EXISTS (
      SELECT 1 FROM ref_walk_barrier w
      WHERE w.value = CASE w.tag
          WHEN 'highway' THEN r.highway
          WHEN 'wheelchair' THEN CASE WHEN jsonb_typeof(r.props -> 'wheelchair') = 'string' THEN r.props ->> 'wheelchair' END
          WHEN 'kerb' THEN CASE WHEN jsonb_typeof(r.props -> 'kerb') = 'string' THEN r.props ->> 'kerb' END
      END)
  AND NOT EXISTS (
      SELECT 1 FROM ref_walk_gradient g
      WHERE g.way = r.road_id
        AND abs(g.pct) > (SELECT (p->>'max_gradient_pct')::float8
                          FROM jsonb_array_elements(current_setting('qala.walk_profile_rules')::jsonb -> 'profiles') p
                          WHERE p->>'id' = current_setting('qala.walk_profile')));

CREATE TEMP TABLE ref_net_node AS
SELECT row_number() OVER (ORDER BY kx, ky) AS id, kx, ky
FROM (SELECT DISTINCT kx, ky FROM ref_net_vertex) n;
CREATE UNIQUE INDEX ON ref_net_node (kx, ky);

CREATE TEMP TABLE ref_net_edge AS
SELECT row_number() OVER (ORDER BY v.way, v.part, v.k) AS id, a.id AS source, b.id AS target,
       sqrt(((a.kx - b.kx) * 0.01::float8) ^ 2 + ((a.ky - b.ky) * 0.01::float8) ^ 2) AS cost,
       ST_SetSRID(ST_MakeLine(ST_MakePoint(a.kx * 0.01::float8, a.ky * 0.01::float8),
                              ST_MakePoint(b.kx * 0.01::float8, b.ky * 0.01::float8)), 32643) AS geom
FROM (SELECT way, part, k, kx, ky,
             lead(kx) OVER w AS nx, lead(ky) OVER w AS ny
      FROM ref_net_vertex WINDOW w AS (PARTITION BY way, part ORDER BY k)) v
JOIN ref_net_node a ON a.kx = v.kx AND a.ky = v.ky
JOIN ref_net_node b ON b.kx = v.nx AND b.ky = v.ny
WHERE a.id <> b.id;
CREATE INDEX ON ref_net_edge USING gist (geom);

CREATE TEMP TABLE ref_net_cell AS
SELECT c.cell_id, s.id AS edge, s.source, s.target, s.cost AS len,
       ST_LineLocatePoint(s.geom, c.pt) * s.cost AS along, ST_Distance(s.geom, c.pt) AS off
FROM ref_cell c
CROSS JOIN LATERAL (SELECT e.* FROM ref_net_edge e ORDER BY e.geom <-> c.pt LIMIT 1) s
WHERE ST_Distance(s.geom, c.pt) <= 250;
