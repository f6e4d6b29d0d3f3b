-- kindergarten_300m v1: residents within 300 m of a kindergarten.
-- Per population cell: is its UTM centroid within 300 m (straight line) of such a feature?
SELECT c.cell_id, EXISTS (
    SELECT 1 FROM ref_service f WHERE f.role = 'kindergartens' AND ST_DWithin(f.g, c.pt, 300)
) AS covered
FROM ref_cell c
