-- planting_overdue_permits v1: permits due before the as-of date ($1) (denominator) whose
-- planted trees are fewer than required (numerator), by the felling's zone.
WITH d AS (
    SELECT felling_permit_no AS permit_no, sum(trees_planted) AS delivered
    FROM ref_planting WHERE felling_permit_no IS NOT NULL GROUP BY 1
)
SELECT z.zone_id,
       count(f.permit_no) FILTER (WHERE f.compensation_due < $1::date
                                  AND COALESCE(d.delivered, 0) < f.trees_felled * f.compensation_ratio)::float8 AS numerator,
       count(f.permit_no) FILTER (WHERE f.compensation_due < $1::date)::float8 AS denominator
FROM ref_zone z
LEFT JOIN ref_felling f ON f.zone = z.ord
LEFT JOIN d ON d.permit_no = f.permit_no
GROUP BY z.ord, z.zone_id
ORDER BY z.ord
