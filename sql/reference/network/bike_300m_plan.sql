-- bike_300m_plan on foot: existing, under-construction and planned bike lanes within 300 m walking (network_access.sql).
DROP TABLE IF EXISTS ref_net_feature;
CREATE TEMP TABLE ref_net_feature AS SELECT g FROM ref_bike WHERE status IN ('existing', 'under_construction', 'planned');
SELECT set_config('qala.radius_m', '300', false);
