-- metro_1km on foot: metro stations within 1000 m walking (network_access.sql).
DROP TABLE IF EXISTS ref_net_feature;
CREATE TEMP TABLE ref_net_feature AS SELECT g FROM ref_service WHERE role = 'metro_stations';
SELECT set_config('qala.radius_m', '1000', false);
