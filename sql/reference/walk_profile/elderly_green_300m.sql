-- elderly_green_300m: Older people: a public green space of at least 0.5 ha within 201 m step-free (two thirds of 300 m) (walk_profile_graph.sql, network_access.sql).
DROP TABLE IF EXISTS ref_net_feature;
CREATE TEMP TABLE ref_net_feature AS SELECT g FROM ref_green WHERE public_access AND ST_Area(g) >= 5000;
SELECT set_config('qala.walk_radius_m', '300', false);
SELECT set_config('qala.walk_profile', 'elderly', false);
