-- stops_500m on foot: bus and BRT stops within 500 m walking (network_access.sql).
DROP TABLE IF EXISTS ref_net_feature;
CREATE TEMP TABLE ref_net_feature AS SELECT g FROM ref_service WHERE role = 'bus_stops';
SELECT set_config('qala.radius_m', '500', false);
