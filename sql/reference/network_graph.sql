-- The walkable street graph, as qala-engine builds it (crates/qala-engine/src/street_graph.rs),
-- for network access with pgRouting (network_access.sql). Needs 00_setup.sql (ref_cell) and
-- the pgrouting extension (created here if missing; that needs a superuser once).
--
-- Rules shared with the engine:
-- - ways of the layer bound to the roads role whose highway is not motorway,
--   motorway_link, trunk or trunk_link (the road kind has no sidewalk field: barriers);
-- - vertices (UTM 43N) snapped to a 0.01 m grid, one node per grid point;
-- - an undirected edge per pair of consecutive vertices of a way part, weighted by the length
--   between the snapped points; zero-length edges dropped;
-- - a point joins the graph at the nearest point of the nearest edge within 250 m.
CREATE EXTENSION IF NOT EXISTS pgrouting;
DROP TABLE IF EXISTS ref_net_vertex, ref_net_node, ref_net_edge, ref_net_cell;

CREATE TEMP TABLE ref_net_vertex AS
SELECT r.road_id AS way, d.path[1] AS part, d.path[2] AS k,
       round(ST_X(d.geom) / 0.01::float8)::bigint AS kx,
       round(ST_Y(d.geom) / 0.01::float8)::bigint AS ky
FROM road r JOIN ref_binding b ON b.role = 'roads' AND b.layer_version_id = r.layer_version_id,
     ST_DumpPoints(ST_Transform(r.geom, 32643)) d
WHERE (r.highway IS NULL OR r.highway NOT IN ('motorway', 'motorway_link', 'trunk', 'trunk_link'));

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

-- Where each cell joins the graph (cells farther than 250 m from every edge: none).
CREATE TEMP TABLE ref_net_cell AS
SELECT c.cell_id, s.id AS edge, s.source, s.target, s.cost AS len,
       ST_LineLocatePoint(s.geom, c.pt) * s.cost AS along, ST_Distance(s.geom, c.pt) AS off
FROM ref_cell c
CROSS JOIN LATERAL (SELECT e.* FROM ref_net_edge e ORDER BY e.geom <-> c.pt LIMIT 1) s
WHERE ST_Distance(s.geom, c.pt) <= 250;
