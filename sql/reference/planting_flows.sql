-- Compensation flows: trees planted in zone B for permits felled in zone A (NULL: outside
-- every zone), for plantings that name a known permit.
SELECT fz.zone_id AS from_zone, pz.zone_id AS to_zone, sum(p.trees_planted)::float8 AS trees
FROM ref_planting p
JOIN ref_felling f ON f.permit_no = p.felling_permit_no
LEFT JOIN ref_zone fz ON fz.ord = f.zone
LEFT JOIN ref_zone pz ON pz.ord = p.zone
GROUP BY 1, 2
ORDER BY 1, 2
