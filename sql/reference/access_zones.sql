-- An access indicator per zone: residents covered (numerator) and residents (denominator),
-- from the per-cell answers stored in ref_cover(cell_id, covered).
SELECT z.zone_id,
       COALESCE(sum(c.residents) FILTER (WHERE v.covered), 0)::float8 AS numerator,
       COALESCE(sum(c.residents), 0)::float8 AS denominator
FROM ref_zone z
LEFT JOIN ref_cell c ON c.zone = z.ord
LEFT JOIN ref_cover v ON v.cell_id = c.cell_id
GROUP BY z.ord, z.zone_id
ORDER BY z.ord
