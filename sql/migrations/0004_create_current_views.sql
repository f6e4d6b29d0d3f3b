-- Why: most readers want only the served version of each layer; these views say it once.
-- Lengths and areas here are in metres / square metres on the WGS84 spheroid (geography).

CREATE VIEW district_current AS
SELECT l.slug AS layer_slug, t.*,
       ST_Area(t.geom::geography) AS area_m2
FROM district t
JOIN layer l ON l.current_version_id = t.layer_version_id;

CREATE VIEW city_boundary_current AS
SELECT l.slug AS layer_slug, t.*,
       ST_Area(t.geom::geography) AS area_m2
FROM city_boundary t
JOIN layer l ON l.current_version_id = t.layer_version_id;

CREATE VIEW historic_centre_current AS
SELECT l.slug AS layer_slug, t.*,
       ST_Area(t.geom::geography) AS area_m2
FROM historic_centre t
JOIN layer l ON l.current_version_id = t.layer_version_id;

CREATE VIEW population_cell_current AS
SELECT l.slug AS layer_slug, t.*,
       ST_Area(t.geom::geography) AS area_m2
FROM population_cell t
JOIN layer l ON l.current_version_id = t.layer_version_id;

CREATE VIEW bike_lane_current AS
SELECT l.slug AS layer_slug, t.*,
       ST_Length(t.geom::geography) AS length_m
FROM bike_lane t
JOIN layer l ON l.current_version_id = t.layer_version_id;

CREATE VIEW green_space_current AS
SELECT l.slug AS layer_slug, t.*,
       ST_Area(t.geom::geography) AS area_m2
FROM green_space t
JOIN layer l ON l.current_version_id = t.layer_version_id;

CREATE VIEW tree_felling_current AS
SELECT l.slug AS layer_slug, t.*
FROM tree_felling t
JOIN layer l ON l.current_version_id = t.layer_version_id;

CREATE VIEW tree_planting_current AS
SELECT l.slug AS layer_slug, t.*
FROM tree_planting t
JOIN layer l ON l.current_version_id = t.layer_version_id;

CREATE VIEW nav_sign_current AS
SELECT l.slug AS layer_slug, t.*
FROM nav_sign t
JOIN layer l ON l.current_version_id = t.layer_version_id;

CREATE VIEW wayfinding_route_current AS
SELECT l.slug AS layer_slug, t.*,
       ST_Length(t.geom::geography) AS length_m
FROM wayfinding_route t
JOIN layer l ON l.current_version_id = t.layer_version_id;

CREATE VIEW service_current AS
SELECT l.slug AS layer_slug, t.*
FROM service t
JOIN layer l ON l.current_version_id = t.layer_version_id;

CREATE VIEW road_current AS
SELECT l.slug AS layer_slug, t.*,
       ST_Length(t.geom::geography) AS length_m
FROM road t
JOIN layer l ON l.current_version_id = t.layer_version_id;

CREATE VIEW building_current AS
SELECT l.slug AS layer_slug, t.*,
       ST_Area(t.geom::geography) AS area_m2
FROM building t
JOIN layer l ON l.current_version_id = t.layer_version_id;

CREATE VIEW generic_feature_current AS
SELECT l.slug AS layer_slug, t.*
FROM generic_feature t
JOIN layer l ON l.current_version_id = t.layer_version_id;
