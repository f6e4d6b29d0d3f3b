-- kindergarten_300m on foot: kindergartens within 300 m walking (network_access.sql).
DROP TABLE IF EXISTS ref_net_feature;
CREATE TEMP TABLE ref_net_feature AS SELECT g FROM ref_service WHERE role = 'kindergartens';
SELECT set_config('qala.radius_m', '300', false);
