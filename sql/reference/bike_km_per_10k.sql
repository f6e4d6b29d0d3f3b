-- bike_km_per_10k v1: km of existing bike lanes inside the zone per 10,000 residents.
SELECT z.zone_id,
       COALESCE((SELECT sum(ST_Length(ST_Intersection(z.geom, b.g))) FROM ref_bike b
                 WHERE b.status = 'existing' AND ST_Intersects(z.geom, b.g)), 0)::float8 / 1000 AS numerator,
       COALESCE((SELECT sum(c.residents) FROM ref_cell c WHERE c.zone = z.ord), 0)::float8 / 10000 AS denominator
FROM ref_zone z
ORDER BY z.ord
