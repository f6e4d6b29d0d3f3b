-- clinic_1km v1: residents within 1 km of a clinic or hospital.
-- Per population cell: is its UTM centroid within 1000 m (straight line) of such a feature?
SELECT c.cell_id, EXISTS (
    SELECT 1 FROM ref_service f WHERE f.role = 'clinics' AND ST_DWithin(f.g, c.pt, 1000)
) AS covered
FROM ref_cell c
