-- bike_km_per_km2 v1: km of existing bike lanes inside the zone per km² of zone (UTM 43N).
SELECT z.zone_id,
       COALESCE((SELECT sum(ST_Length(ST_Intersection(z.geom, b.g))) FROM ref_bike b
                 WHERE b.status = 'existing' AND ST_Intersects(z.geom, b.g)), 0)::float8 / 1000 AS numerator,
       ST_Area(z.geom) / 1e6 AS denominator
FROM ref_zone z
ORDER BY z.ord
