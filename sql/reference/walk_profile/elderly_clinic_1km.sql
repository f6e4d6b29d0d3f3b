-- elderly_clinic_1km: Older people: a clinic within 670 m step-free (two thirds of 1 km) (walk_profile_graph.sql, network_access.sql).
DROP TABLE IF EXISTS ref_net_feature;
CREATE TEMP TABLE ref_net_feature AS SELECT g FROM ref_service WHERE role = 'clinics';
SELECT set_config('qala.walk_radius_m', '1000', false);
SELECT set_config('qala.walk_profile', 'elderly', false);
