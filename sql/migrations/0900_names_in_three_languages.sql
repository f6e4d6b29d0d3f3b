-- Why: streets, places and green spaces carry their names in Kazakh, Russian and English
-- where the source has them (OSM `name:kk`, `name:ru`, `name:en`); the map shows the name in
-- the reader's language and falls back to `name`. The *_current views list `t.*`, which
-- PostgreSQL expands when a view is created, so they are created again to show the new columns.
ALTER TABLE road ADD COLUMN name_kk text, ADD COLUMN name_ru text, ADD COLUMN name_en text;
ALTER TABLE service ADD COLUMN name_kk text, ADD COLUMN name_ru text, ADD COLUMN name_en text;
ALTER TABLE green_space ADD COLUMN name_kk text, ADD COLUMN name_ru text, ADD COLUMN name_en text;

DROP VIEW road_current;
CREATE VIEW road_current AS
SELECT l.slug AS layer_slug, t.*,
       ST_Length(t.geom::geography) AS length_m
FROM road t
JOIN layer l ON l.current_version_id = t.layer_version_id;

DROP VIEW service_current;
CREATE VIEW service_current AS
SELECT l.slug AS layer_slug, t.*
FROM service t
JOIN layer l ON l.current_version_id = t.layer_version_id;

DROP VIEW green_space_current;
CREATE VIEW green_space_current AS
SELECT l.slug AS layer_slug, t.*,
       ST_Area(t.geom::geography) AS area_m2
FROM green_space t
JOIN layer l ON l.current_version_id = t.layer_version_id;
