-- Low-stress islands with pgRouting: the oracle of GET /networks/lts/islands
-- (crates/qala-engine/src/lts_network.rs). Run after lts_stress.sql (the stress of every way
-- and the low-stress graph ref_lts_edge of the scenario in qala.lts_scenario).
-- Returns one row per island (component, length_m, ways, residents, cells), longest first.
--
-- Rules shared with the engine: an island is a connected component of the low-stress graph
-- (pgr_connectedComponents); a cell belongs to the island of the nearest low-stress edge
-- within 250 m of its UTM centroid.
DROP TABLE IF EXISTS ref_lts_comp;

CREATE TEMP TABLE ref_lts_comp AS
SELECT node, component FROM pgr_connectedComponents('SELECT id, source, target, cost, cost AS reverse_cost FROM ref_lts_edge');
CREATE UNIQUE INDEX ON ref_lts_comp (node);

WITH edge AS (
    SELECT e.*, c.component FROM ref_lts_edge e JOIN ref_lts_comp c ON c.node = e.source
), first_edge AS MATERIALIZED ( -- once, not re-sorted per island
    SELECT DISTINCT ON (way) way, component FROM edge ORDER BY way, id
), cell AS (
    SELECT p.residents, s.component
    FROM population_cell p JOIN ref_binding b ON b.role = 'population' AND b.layer_version_id = p.layer_version_id
    CROSS JOIN LATERAL (SELECT ST_Centroid(ST_Transform(p.geom, 32643)) AS pt) c
    CROSS JOIN LATERAL (SELECT e.source, e.geom FROM ref_lts_edge e ORDER BY e.geom <-> c.pt LIMIT 1) n
    JOIN ref_lts_comp s ON s.node = n.source
    WHERE ST_Distance(n.geom, c.pt) <= 250
)
SELECT l.component, l.length_m,
       (SELECT count(*) FROM first_edge f WHERE f.component = l.component) AS ways,
       COALESCE((SELECT sum(residents) FROM cell WHERE cell.component = l.component), 0)::float8 AS residents,
       (SELECT count(*) FROM cell WHERE cell.component = l.component) AS cells
FROM (SELECT component, sum(cost) AS length_m FROM edge GROUP BY component) l
ORDER BY l.length_m DESC, l.component;
