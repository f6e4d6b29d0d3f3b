-- Why: each typed layer kind gets one table whose CHECK constraints repeat the rules the
-- code applies (qala-core kind.rs), so a row that breaks them is refused even when written
-- by hand. Rows of every version of every layer of a kind live in its table, tagged with
-- layer_version_id; the catalogue's current_version_id says which rows are served.
-- Geometries are WGS84 (SRID 4326). Lengths and areas are computed in metres on the
-- spheroid with geography casts (ST_Length(geom::geography), ST_Area(geom::geography)),
-- see the *_current views; the engine uses UTM 43N (EPSG:32643) for the same figures.

CREATE TABLE district (
    district_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer_version_id bigint NOT NULL REFERENCES layer_version (layer_version_id) ON DELETE CASCADE,
    source_row      bigint NOT NULL CHECK (source_row >= 1),
    akimat_id       bigint NOT NULL CHECK (akimat_id BETWEEN 1 AND 8),
    name_kk         text NOT NULL CHECK (name_kk <> ''),
    name_ru         text NOT NULL CHECK (name_ru <> ''),
    name_en         text NOT NULL CHECK (name_en <> ''),
    population      bigint CHECK (population >= 0),
    population_date date,
    props           jsonb NOT NULL DEFAULT '{}'::jsonb,
    geom            geometry(MultiPolygon, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom) AND ST_IsValid(geom))
                    CHECK (ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180 AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90),
    UNIQUE (layer_version_id, akimat_id)
);
COMMENT ON TABLE district IS 'Districts of the city (akimat ids 1-8) with official population. Geometry in EPSG:4326; metres via geography.';
CREATE INDEX district_layer_version_idx ON district (layer_version_id);
CREATE INDEX district_geom_idx ON district USING gist (geom);

CREATE TABLE city_boundary (
    city_boundary_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer_version_id bigint NOT NULL REFERENCES layer_version (layer_version_id) ON DELETE CASCADE,
    source_row      bigint NOT NULL CHECK (source_row >= 1),
    name            text,
    props           jsonb NOT NULL DEFAULT '{}'::jsonb,
    geom            geometry(MultiPolygon, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom) AND ST_IsValid(geom))
                    CHECK (ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180 AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90)
);
COMMENT ON TABLE city_boundary IS 'The city boundary. Geometry in EPSG:4326; metres via geography.';
CREATE INDEX city_boundary_layer_version_idx ON city_boundary (layer_version_id);
CREATE INDEX city_boundary_geom_idx ON city_boundary USING gist (geom);

CREATE TABLE historic_centre (
    historic_centre_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer_version_id bigint NOT NULL REFERENCES layer_version (layer_version_id) ON DELETE CASCADE,
    source_row      bigint NOT NULL CHECK (source_row >= 1),
    name            text,
    props           jsonb NOT NULL DEFAULT '{}'::jsonb,
    geom            geometry(MultiPolygon, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom) AND ST_IsValid(geom))
                    CHECK (ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180 AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90)
);
COMMENT ON TABLE historic_centre IS 'The historic centre, one zone of the centre-vs-rest scheme. Geometry in EPSG:4326; metres via geography.';
CREATE INDEX historic_centre_layer_version_idx ON historic_centre (layer_version_id);
CREATE INDEX historic_centre_geom_idx ON historic_centre USING gist (geom);

CREATE TABLE population_cell (
    population_cell_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer_version_id bigint NOT NULL REFERENCES layer_version (layer_version_id) ON DELETE CASCADE,
    source_row      bigint NOT NULL CHECK (source_row >= 1),
    residents       double precision NOT NULL CHECK (residents >= 0 AND residents <= 1e7),
    props           jsonb NOT NULL DEFAULT '{}'::jsonb,
    geom            geometry(MultiPolygon, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom) AND ST_IsValid(geom))
                    CHECK (ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180 AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90)
);
COMMENT ON TABLE population_cell IS 'Population surface: cells with the residents living in each. Geometry in EPSG:4326; metres via geography.';
CREATE INDEX population_cell_layer_version_idx ON population_cell (layer_version_id);
CREATE INDEX population_cell_geom_idx ON population_cell USING gist (geom);

CREATE TABLE bike_lane (
    bike_lane_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer_version_id bigint NOT NULL REFERENCES layer_version (layer_version_id) ON DELETE CASCADE,
    source_row      bigint NOT NULL CHECK (source_row >= 1),
    name            text,
    status          text NOT NULL CHECK (status IN ('existing', 'under_construction', 'planned')),
    facility        text NOT NULL CHECK (facility IN ('protected', 'painted', 'shared_street', 'off_street_path')),
    planned_year    bigint CHECK (planned_year BETWEEN 2000 AND 2100),
    props           jsonb NOT NULL DEFAULT '{}'::jsonb,
    geom            geometry(MultiLineString, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom))
                    CHECK (ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180 AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90)
);
COMMENT ON TABLE bike_lane IS 'Bike lanes, existing and planned. Geometry in EPSG:4326; metres via geography.';
CREATE INDEX bike_lane_layer_version_idx ON bike_lane (layer_version_id);
CREATE INDEX bike_lane_geom_idx ON bike_lane USING gist (geom);

CREATE TABLE green_space (
    green_space_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer_version_id bigint NOT NULL REFERENCES layer_version (layer_version_id) ON DELETE CASCADE,
    source_row      bigint NOT NULL CHECK (source_row >= 1),
    name            text,
    category        text NOT NULL CHECK (category IN ('park', 'square', 'boulevard', 'other')),
    public_access   boolean NOT NULL,
    props           jsonb NOT NULL DEFAULT '{}'::jsonb,
    geom            geometry(MultiPolygon, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom) AND ST_IsValid(geom))
                    CHECK (ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180 AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90)
);
COMMENT ON TABLE green_space IS 'Parks, squares, boulevards and other green spaces. Geometry in EPSG:4326; metres via geography.';
CREATE INDEX green_space_layer_version_idx ON green_space (layer_version_id);
CREATE INDEX green_space_geom_idx ON green_space USING gist (geom);

CREATE TABLE tree_felling (
    tree_felling_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer_version_id bigint NOT NULL REFERENCES layer_version (layer_version_id) ON DELETE CASCADE,
    source_row      bigint NOT NULL CHECK (source_row >= 1),
    permit_no       text NOT NULL CHECK (permit_no <> ''),
    felled_on       date NOT NULL,
    trees_felled    bigint NOT NULL CHECK (trees_felled >= 1),
    dbh_sum_cm      double precision CHECK (dbh_sum_cm >= 0),
    reason          text CHECK (reason IN ('construction', 'road_works', 'sanitary', 'emergency', 'utility_works', 'other')),
    compensation_ratio double precision NOT NULL CHECK (compensation_ratio BETWEEN 0 AND 100),
    compensation_due date CHECK (compensation_due >= felled_on),
    props           jsonb NOT NULL DEFAULT '{}'::jsonb,
    geom            geometry(Point, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom))
                    CHECK (ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180 AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90),
    UNIQUE (layer_version_id, permit_no)
);
COMMENT ON TABLE tree_felling IS 'Tree felling permits: trees felled and the compensation they require. Geometry in EPSG:4326; metres via geography.';
CREATE INDEX tree_felling_layer_version_idx ON tree_felling (layer_version_id);
CREATE INDEX tree_felling_geom_idx ON tree_felling USING gist (geom);

CREATE TABLE tree_planting (
    tree_planting_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer_version_id bigint NOT NULL REFERENCES layer_version (layer_version_id) ON DELETE CASCADE,
    source_row      bigint NOT NULL CHECK (source_row >= 1),
    trees_planted   bigint NOT NULL CHECK (trees_planted >= 1),
    species         text,
    planted_on      date NOT NULL,
    felling_permit_no text,
    alive_1y        bigint CHECK (alive_1y BETWEEN 0 AND trees_planted),
    alive_2y        bigint CHECK (alive_2y BETWEEN 0 AND trees_planted),
    alive_3y        bigint CHECK (alive_3y BETWEEN 0 AND trees_planted),
    props           jsonb NOT NULL DEFAULT '{}'::jsonb,
    geom            geometry(Point, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom))
                    CHECK (ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180 AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90)
);
COMMENT ON TABLE tree_planting IS 'Compensatory plantings and their survival checks at 1, 2 and 3 years. Geometry in EPSG:4326; metres via geography.';
CREATE INDEX tree_planting_layer_version_idx ON tree_planting (layer_version_id);
CREATE INDEX tree_planting_geom_idx ON tree_planting USING gist (geom);

CREATE TABLE nav_sign (
    nav_sign_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer_version_id bigint NOT NULL REFERENCES layer_version (layer_version_id) ON DELETE CASCADE,
    source_row      bigint NOT NULL CHECK (source_row >= 1),
    sign_type       text NOT NULL CHECK (sign_type IN ('map', 'fingerpost', 'direction', 'information', 'street_name')),
    languages       text[] NOT NULL CHECK (cardinality(languages) >= 1 AND languages <@ ARRAY['kk', 'ru', 'en']),
    installed_on    date,
    props           jsonb NOT NULL DEFAULT '{}'::jsonb,
    geom            geometry(Point, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom))
                    CHECK (ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180 AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90)
);
COMMENT ON TABLE nav_sign IS 'City navigation (wayfinding) signs. Geometry in EPSG:4326; metres via geography.';
CREATE INDEX nav_sign_layer_version_idx ON nav_sign (layer_version_id);
CREATE INDEX nav_sign_geom_idx ON nav_sign USING gist (geom);

CREATE TABLE wayfinding_route (
    wayfinding_route_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer_version_id bigint NOT NULL REFERENCES layer_version (layer_version_id) ON DELETE CASCADE,
    source_row      bigint NOT NULL CHECK (source_row >= 1),
    name            text NOT NULL CHECK (name <> ''),
    theme           text,
    props           jsonb NOT NULL DEFAULT '{}'::jsonb,
    geom            geometry(MultiLineString, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom))
                    CHECK (ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180 AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90)
);
COMMENT ON TABLE wayfinding_route IS 'Wayfinding routes that signs guide along. Geometry in EPSG:4326; metres via geography.';
CREATE INDEX wayfinding_route_layer_version_idx ON wayfinding_route (layer_version_id);
CREATE INDEX wayfinding_route_geom_idx ON wayfinding_route USING gist (geom);

CREATE TABLE service (
    service_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer_version_id bigint NOT NULL REFERENCES layer_version (layer_version_id) ON DELETE CASCADE,
    source_row      bigint NOT NULL CHECK (source_row >= 1),
    category        text NOT NULL CHECK (category IN ('school', 'kindergarten', 'clinic', 'hospital', 'pharmacy', 'bus_stop', 'brt_stop', 'metro_station')),
    name            text,
    capacity        bigint CHECK (capacity >= 0),
    props           jsonb NOT NULL DEFAULT '{}'::jsonb,
    geom            geometry(Point, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom))
                    CHECK (ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180 AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90)
);
COMMENT ON TABLE service IS 'Social services and transport stops. Geometry in EPSG:4326; metres via geography.';
CREATE INDEX service_layer_version_idx ON service (layer_version_id);
CREATE INDEX service_geom_idx ON service USING gist (geom);

CREATE TABLE road (
    road_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer_version_id bigint NOT NULL REFERENCES layer_version (layer_version_id) ON DELETE CASCADE,
    source_row      bigint NOT NULL CHECK (source_row >= 1),
    highway         text NOT NULL,
    name            text,
    props           jsonb NOT NULL DEFAULT '{}'::jsonb,
    geom            geometry(MultiLineString, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom))
                    CHECK (ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180 AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90)
);
COMMENT ON TABLE road IS 'Street network (OSM highways). Geometry in EPSG:4326; metres via geography.';
CREATE INDEX road_layer_version_idx ON road (layer_version_id);
CREATE INDEX road_geom_idx ON road USING gist (geom);

CREATE TABLE building (
    building_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer_version_id bigint NOT NULL REFERENCES layer_version (layer_version_id) ON DELETE CASCADE,
    source_row      bigint NOT NULL CHECK (source_row >= 1),
    building        text,
    levels          bigint CHECK (levels BETWEEN 0 AND 200),
    props           jsonb NOT NULL DEFAULT '{}'::jsonb,
    geom            geometry(MultiPolygon, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom) AND ST_IsValid(geom))
                    CHECK (ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180 AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90)
);
COMMENT ON TABLE building IS 'Building footprints. Geometry in EPSG:4326; metres via geography.';
CREATE INDEX building_layer_version_idx ON building (layer_version_id);
CREATE INDEX building_geom_idx ON building USING gist (geom);

CREATE TABLE generic_feature (
    generic_feature_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    layer_version_id bigint NOT NULL REFERENCES layer_version (layer_version_id) ON DELETE CASCADE,
    source_row      bigint NOT NULL CHECK (source_row >= 1),
    props           jsonb NOT NULL DEFAULT '{}'::jsonb,
    geom            geometry(Geometry, 4326) NOT NULL CHECK (NOT ST_IsEmpty(geom))
                    CHECK (ST_XMin(geom) >= -180 AND ST_XMax(geom) <= 180 AND ST_YMin(geom) >= -90 AND ST_YMax(geom) <= 90)
);
COMMENT ON TABLE generic_feature IS 'Features of generic layers: any geometry, attributes in props. Geometry in EPSG:4326; metres via geography.';
CREATE INDEX generic_feature_layer_version_idx ON generic_feature (layer_version_id);
CREATE INDEX generic_feature_geom_idx ON generic_feature USING gist (geom);
