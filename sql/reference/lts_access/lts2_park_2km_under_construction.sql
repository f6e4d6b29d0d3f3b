-- lts2_park_2km_under_construction: Park within 2 km by bike on low-stress streets (existing and under construction) (lts_islands.sql, lts_graph.sql, network_access.sql).
DROP TABLE IF EXISTS ref_net_feature;
CREATE TEMP TABLE ref_net_feature AS SELECT g FROM ref_green WHERE public_access AND ST_Area(g) >= 5000;
SELECT set_config('qala.radius_m', '2000', false);
SELECT set_config('qala.lts_scenario', 'under_construction', false);
