-- green_m2_per_resident v1: area (m², UTM 43N) of public green spaces inside the zone, per resident.
SELECT z.zone_id,
       COALESCE((SELECT sum(ST_Area(ST_Intersection(z.geom, g.g))) FROM ref_green g
                 WHERE g.public_access AND ST_Intersects(z.geom, g.g)), 0)::float8 AS numerator,
       COALESCE((SELECT sum(c.residents) FROM ref_cell c WHERE c.zone = z.ord), 0)::float8 AS denominator
FROM ref_zone z
ORDER BY z.ord
