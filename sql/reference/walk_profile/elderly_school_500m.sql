-- elderly_school_500m: Older people: a school within 335 m step-free (two thirds of 500 m) (walk_profile_graph.sql, network_access.sql).
DROP TABLE IF EXISTS ref_net_feature;
CREATE TEMP TABLE ref_net_feature AS SELECT g FROM ref_service WHERE role = 'schools';
SELECT set_config('qala.walk_radius_m', '500', false);
SELECT set_config('qala.walk_profile', 'elderly', false);
