-- wayfinding_375m on foot: map signs within 375 m walking (network_access.sql).
DROP TABLE IF EXISTS ref_net_feature;
CREATE TEMP TABLE ref_net_feature AS SELECT g FROM ref_sign WHERE sign_type = 'map';
SELECT set_config('qala.radius_m', '375', false);
