-- wayfinding_route_gap v1: per zone, the longest gap of the routes that start in it
-- (numerator) and the number of such routes (denominator). Needs wayfinding_routes.sql's
-- logic, repeated here so each file stands alone.
WITH r AS (
    SELECT source_row, ST_GeometryN(g, 1) AS line, pg_temp.ref_zone_of(ST_StartPoint(ST_GeometryN(g, 1))) AS zone
    FROM ref_route
),
p AS (
    SELECT r.source_row, ST_LineLocatePoint(r.line, s.g) * ST_Length(r.line) AS pos
    FROM r JOIN ref_sign s ON ST_DWithin(r.line, s.g, 30)
    UNION ALL SELECT source_row, 0 FROM r
    UNION ALL SELECT source_row, ST_Length(line) FROM r
),
gaps AS (
    SELECT source_row, pos - lag(pos) OVER (PARTITION BY source_row ORDER BY pos) AS gap FROM p
),
per_route AS (
    SELECT r.source_row, r.zone, max(g.gap) AS longest FROM r JOIN gaps g ON g.source_row = r.source_row
    GROUP BY r.source_row, r.zone
)
SELECT z.zone_id, COALESCE(max(pr.longest), 0)::float8 AS numerator, count(pr.source_row)::float8 AS denominator
FROM ref_zone z LEFT JOIN per_route pr ON pr.zone = z.ord
GROUP BY z.ord, z.zone_id
ORDER BY z.ord
