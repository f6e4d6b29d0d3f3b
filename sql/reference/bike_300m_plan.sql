-- bike_300m_plan v1: residents within 300 m of a bike lane if the plan is built.
-- Per population cell: is its UTM centroid within 300 m (straight line) of such a feature?
SELECT c.cell_id, EXISTS (
    SELECT 1 FROM ref_bike f WHERE f.status IN ('existing', 'under_construction', 'planned') AND ST_DWithin(f.g, c.pt, 300)
) AS covered
FROM ref_cell c
