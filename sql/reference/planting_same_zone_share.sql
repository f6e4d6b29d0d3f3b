-- planting_same_zone_share v1: of the trees planted for the zone's permits (denominator),
-- those planted inside the same zone (numerator).
SELECT z.zone_id,
       COALESCE(sum(p.trees_planted) FILTER (WHERE p.zone = f.zone), 0)::float8 AS numerator,
       COALESCE(sum(p.trees_planted), 0)::float8 AS denominator
FROM ref_zone z
LEFT JOIN ref_felling f ON f.zone = z.ord
LEFT JOIN ref_planting p ON p.felling_permit_no = f.permit_no
GROUP BY z.ord, z.zone_id
ORDER BY z.ord
