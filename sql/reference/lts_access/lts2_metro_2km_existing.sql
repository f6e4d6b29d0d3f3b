-- lts2_metro_2km_existing: Metro/BRT within 2 km by bike on low-stress streets (existing lanes) (lts_islands.sql, lts_graph.sql, network_access.sql).
DROP TABLE IF EXISTS ref_net_feature;
CREATE TEMP TABLE ref_net_feature AS SELECT g FROM ref_service WHERE role = 'metro_stations';
SELECT set_config('qala.radius_m', '2000', false);
SELECT set_config('qala.lts_scenario', 'existing', false);
