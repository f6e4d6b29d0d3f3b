-- green_300m_who v1: residents within 300 m of a public green space of at least 0.5 ha (WHO).
-- Per population cell: is its UTM centroid within 300 m (straight line) of such a feature?
SELECT c.cell_id, EXISTS (
    SELECT 1 FROM ref_green f WHERE f.public_access AND ST_Area(f.g) >= 5000 AND ST_DWithin(f.g, c.pt, 300)
) AS covered
FROM ref_cell c
