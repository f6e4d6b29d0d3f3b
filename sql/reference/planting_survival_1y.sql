-- planting_survival_1y v1: trees alive at the 1-year check / trees planted, for plantings
-- with that check, by the planting's zone.
SELECT z.zone_id,
       COALESCE(sum(p.alive_1y), 0)::float8 AS numerator,
       COALESCE(sum(p.trees_planted) FILTER (WHERE p.alive_1y IS NOT NULL), 0)::float8 AS denominator
FROM ref_zone z
LEFT JOIN ref_planting p ON p.zone = z.ord
GROUP BY z.ord, z.zone_id
ORDER BY z.ord
