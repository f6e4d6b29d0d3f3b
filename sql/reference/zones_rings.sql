-- Zones: rings 0–3, 3–7, 7–12 and over 12 km around Republic Square (76.9455 E, 43.2380 N),
-- each a 256-gon annulus clipped to the city boundary. Ring 1 is the centre, the last the periphery.
CREATE TEMP TABLE ref_zone AS
WITH c AS (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(76.9455, 43.2380), 4326), 32643) AS p),
e AS (SELECT pg_temp.ref_extent() AS x),
b(ord, lo, hi, zone_id) AS (VALUES (1, NULL::float8, 3000.0, '0-3km'), (2, 3000.0, 7000.0, '3-7km'),
                                   (3, 7000.0, 12000.0, '7-12km'), (4, 12000.0, NULL::float8, '12km+'))
SELECT b.ord, b.zone_id,
       CASE b.ord WHEN 1 THEN 'centre' WHEN 4 THEN 'periphery' ELSE 'middle' END AS role,
       ST_Multi(CASE
           WHEN b.lo IS NULL THEN ST_Intersection(pg_temp.ref_circle(c.p, b.hi), e.x)
           WHEN b.hi IS NULL THEN ST_Difference(e.x, pg_temp.ref_circle(c.p, b.lo))
           ELSE ST_Intersection(ST_Difference(pg_temp.ref_circle(c.p, b.hi), pg_temp.ref_circle(c.p, b.lo)), e.x)
       END) AS geom
FROM b, c, e;
CREATE INDEX ON ref_zone USING gist (geom);
