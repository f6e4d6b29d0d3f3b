-- Per wayfinding route: the longest distance along it between consecutive signs (any type)
-- within 30 m of it, or a route end. Routes are single lines in the fixtures; a multi-part
-- route is measured on its first part here (the engine chains the parts).
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
)
SELECT r.source_row, z.zone_id, ST_Length(r.line) AS length_m, max(g.gap) AS longest_gap_m
FROM r LEFT JOIN ref_zone z ON z.ord = r.zone JOIN gaps g ON g.source_row = r.source_row
GROUP BY r.source_row, z.zone_id, r.line
ORDER BY r.source_row
