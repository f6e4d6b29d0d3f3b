-- Network access with pgRouting: is each cell within R metres walking along the street graph
-- (network_graph.sql) of a feature of ref_net_feature(g geometry, UTM 43N)?
-- R is the session setting qala.radius_m (SELECT set_config('qala.radius_m', '500', false)).
-- Creates ref_cover(cell_id, covered), which access_zones.sql summarises.
--
-- Features join the graph at every vertex (a point: itself), each at the nearest point of the
-- nearest edge within 250 m. The walk: cell -> its edge, along streets, edge -> feature.
-- Shortest walks come from one pgr_drivingDistance over the street edges plus a virtual
-- source (node 0) with a one-way edge to both ends of every feature's edge, costing the walk
-- from the feature to that end; a cell on the same edge as a feature may also walk straight
-- along the edge.
DROP TABLE IF EXISTS ref_net_source, ref_cover;

CREATE TEMP TABLE ref_net_source AS
SELECT s.id AS edge, s.source, s.target, s.cost AS len,
       ST_LineLocatePoint(s.geom, p.pt) * s.cost AS along, ST_Distance(s.geom, p.pt) AS off
FROM (SELECT (ST_DumpPoints(f.g)).geom AS pt FROM ref_net_feature f) p
CROSS JOIN LATERAL (SELECT e.* FROM ref_net_edge e ORDER BY e.geom <-> p.pt LIMIT 1) s
WHERE ST_Distance(s.geom, p.pt) <= 250;
CREATE INDEX ON ref_net_source (edge);

CREATE TEMP TABLE ref_cover AS
WITH dd AS (
    SELECT node, agg_cost FROM pgr_drivingDistance(
        $$SELECT id, source, target, cost, cost AS reverse_cost FROM ref_net_edge
          UNION ALL
          SELECT (SELECT max(id) FROM ref_net_edge) + row_number() OVER (ORDER BY node, c), 0, node, c, -1
          FROM (SELECT source AS node, off + along AS c FROM ref_net_source
                UNION ALL
                SELECT target, off + (len - along) FROM ref_net_source) seed$$,
        0, current_setting('qala.radius_m')::float8, true)
)
SELECT c.cell_id,
       COALESCE(n.off + LEAST(da.agg_cost + n.along, db.agg_cost + (n.len - n.along),
                              (SELECT min(s.off + abs(s.along - n.along)) FROM ref_net_source s WHERE s.edge = n.edge))
                <= current_setting('qala.radius_m')::float8, false) AS covered
FROM ref_cell c
LEFT JOIN ref_net_cell n ON n.cell_id = c.cell_id
LEFT JOIN dd da ON da.node = n.source
LEFT JOIN dd db ON db.node = n.target;
