-- step_free_stops_500m: Step-free: a bus or BRT stop within 500 m with a stroller or wheelchair (walk_profile_graph.sql, network_access.sql).
DROP TABLE IF EXISTS ref_net_feature;
CREATE TEMP TABLE ref_net_feature AS SELECT g FROM ref_service WHERE role = 'bus_stops';
SELECT set_config('qala.walk_radius_m', '500', false);
SELECT set_config('qala.walk_profile', 'step_free', false);
