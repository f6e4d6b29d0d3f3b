-- Missing links with pgRouting: the oracle of the `source = missing_link` rows of
-- GET /networks/lts/priorities (crates/qala-engine/src/lts_priority.rs). Run lts_stress.sql
-- for the plan scenario and copy its ref_lts into ref_ml_plan(way, lts), then lts_stress.sql
-- for under_construction (the base): ref_lts_road, ref_lts, ref_lts_node and ref_lts_edge
-- are then the base's. Returns one row per missing link (row, length_m, islands), by row.
--
-- Rules shared with the engine: a candidate is a way at LTS >= 3 in both the base and the
-- plan, at most 300 m long (the sum of its parts' lengths in UTM 43N); it is a missing link
-- when its vertices, on the 0.01 m node grid, touch two or more base islands (connected
-- components of the base low-stress graph, pgr_connectedComponents).
DROP TABLE IF EXISTS ref_ml_comp;

CREATE TEMP TABLE ref_ml_comp AS
SELECT n.kx, n.ky, c.component
FROM pgr_connectedComponents('SELECT id, source, target, cost, cost AS reverse_cost FROM ref_lts_edge') c
JOIN ref_lts_node n ON n.id = c.node;
CREATE UNIQUE INDEX ON ref_ml_comp (kx, ky);

WITH cand AS (
    SELECT w.way, w.row, ST_Length(w.g) AS length_m, w.g
    FROM ref_lts_road w
    JOIN ref_lts b ON b.way = w.way AND b.lts >= 3
    JOIN ref_ml_plan p ON p.way = w.way AND p.lts >= 3
    WHERE ST_Length(w.g) <= 300
), touch AS (
    SELECT c.way, count(DISTINCT m.component) AS islands
    FROM cand c
    CROSS JOIN LATERAL ST_DumpPoints(c.g) d
    JOIN ref_ml_comp m ON m.kx = round(ST_X(d.geom) / 0.01::float8)::bigint
                      AND m.ky = round(ST_Y(d.geom) / 0.01::float8)::bigint
    GROUP BY c.way
)
SELECT c.row, c.length_m, t.islands
FROM cand c JOIN touch t USING (way)
WHERE t.islands >= 2
ORDER BY c.row;
