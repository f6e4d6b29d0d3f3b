-- planting_delivered_ratio v1: trees planted for the zone's felling permits (numerator) vs
-- trees required, Σ trees_felled × compensation_ratio (denominator), by the felling's zone.
WITH d AS (
    SELECT felling_permit_no AS permit_no, sum(trees_planted) AS delivered
    FROM ref_planting WHERE felling_permit_no IS NOT NULL GROUP BY 1
)
SELECT z.zone_id,
       COALESCE(sum(d.delivered), 0)::float8 AS numerator,
       COALESCE(sum(f.trees_felled * f.compensation_ratio), 0)::float8 AS denominator
FROM ref_zone z
LEFT JOIN ref_felling f ON f.zone = z.ord
LEFT JOIN d ON d.permit_no = f.permit_no
GROUP BY z.ord, z.zone_id
ORDER BY z.ord
