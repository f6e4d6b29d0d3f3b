-- school_500m on foot: schools within 500 m walking (network_access.sql).
DROP TABLE IF EXISTS ref_net_feature;
CREATE TEMP TABLE ref_net_feature AS SELECT g FROM ref_service WHERE role = 'schools';
SELECT set_config('qala.radius_m', '500', false);
