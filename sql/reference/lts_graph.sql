-- The low-stress street graph as the network-access graph: after lts_stress.sql (which
-- builds ref_lts_edge over the ways at LTS <= 2 of the scenario), ref_net_edge and
-- ref_net_cell are made from it, so that network_access.sql rides instead of walks. The
-- oracle of the low_stress_access indicators (crates/qala-engine/src/lts_access.rs): once
-- per scenario, then network_access.sql once per definition (its features and radius).
--
-- Rules shared with the engine: the same edges, node grid and costs as the islands; a cell
-- joins the nearest low-stress edge within 250 m of its UTM centroid (none farther).
-- network_graph.sql must be run again afterwards for walking indicators.
DROP TABLE IF EXISTS ref_net_edge, ref_net_cell;

CREATE TEMP TABLE ref_net_edge AS SELECT id, source, target, cost, geom FROM ref_lts_edge;
CREATE INDEX ON ref_net_edge USING gist (geom);

CREATE TEMP TABLE ref_net_cell AS
SELECT c.cell_id, s.id AS edge, s.source, s.target, s.cost AS len,
       ST_LineLocatePoint(s.geom, c.pt) * s.cost AS along, ST_Distance(s.geom, c.pt) AS off
FROM ref_cell c
CROSS JOIN LATERAL (SELECT e.* FROM ref_net_edge e ORDER BY e.geom <-> c.pt LIMIT 1) s
WHERE ST_Distance(s.geom, c.pt) <= 250;
