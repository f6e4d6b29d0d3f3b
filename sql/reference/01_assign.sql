-- Every point in one zone: the first zone (in order) covering it, else the nearest zone
-- within 250 m (ties: zone order), else none.
CREATE OR REPLACE FUNCTION pg_temp.ref_zone_of(p geometry) RETURNS int LANGUAGE sql STABLE AS $$
    SELECT COALESCE(
        (SELECT ord FROM ref_zone WHERE ST_Intersects(geom, p) ORDER BY ord LIMIT 1),
        (SELECT ord FROM ref_zone WHERE ST_DWithin(geom, p, 250) ORDER BY ST_Distance(geom, p), ord LIMIT 1))
$$;
UPDATE ref_cell SET zone = pg_temp.ref_zone_of(pt);
UPDATE ref_felling SET zone = pg_temp.ref_zone_of(g);
UPDATE ref_planting SET zone = pg_temp.ref_zone_of(g);

-- District and layer zones: centre if the residents' mean distance from Republic Square is
-- at most 5 km, periphery if at least 9 km; zones without residents are middle. Rings and
-- the historic scheme set their roles themselves.
UPDATE ref_zone z SET role = CASE WHEN m.d <= 5000 THEN 'centre' WHEN m.d >= 9000 THEN 'periphery' ELSE 'middle' END
FROM (
    SELECT c.zone, sum(c.residents * ST_Distance(c.pt,
               ST_Transform(ST_SetSRID(ST_MakePoint(76.9455, 43.2380), 4326), 32643))) / sum(c.residents) AS d
    FROM ref_cell c WHERE c.zone IS NOT NULL GROUP BY c.zone HAVING sum(c.residents) > 0
) m
WHERE m.zone = z.ord AND z.role IS NULL;
UPDATE ref_zone SET role = 'middle' WHERE role IS NULL;
