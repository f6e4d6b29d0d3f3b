-- green_300m_who on foot: public green spaces of at least 0.5 ha within 300 m walking (network_access.sql).
DROP TABLE IF EXISTS ref_net_feature;
CREATE TEMP TABLE ref_net_feature AS SELECT g FROM ref_green WHERE public_access AND ST_Area(g) >= 5000;
SELECT set_config('qala.radius_m', '300', false);
