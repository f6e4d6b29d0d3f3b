-- wayfinding_375m v1: residents within 375 m of a map sign.
-- Per population cell: is its UTM centroid within 375 m (straight line) of such a feature?
SELECT c.cell_id, EXISTS (
    SELECT 1 FROM ref_sign f WHERE f.sign_type = 'map' AND ST_DWithin(f.g, c.pt, 375)
) AS covered
FROM ref_cell c
