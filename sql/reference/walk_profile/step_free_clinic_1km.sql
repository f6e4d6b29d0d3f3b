-- step_free_clinic_1km: Step-free: a clinic within 1 km with a stroller or wheelchair (walk_profile_graph.sql, network_access.sql).
DROP TABLE IF EXISTS ref_net_feature;
CREATE TEMP TABLE ref_net_feature AS SELECT g FROM ref_service WHERE role = 'clinics';
SELECT set_config('qala.walk_radius_m', '1000', false);
SELECT set_config('qala.walk_profile', 'step_free', false);
