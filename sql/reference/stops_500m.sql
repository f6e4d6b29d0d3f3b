-- stops_500m v1: residents within 500 m of a bus or BRT stop (SDG 11.2.1).
-- Per population cell: is its UTM centroid within 500 m (straight line) of such a feature?
SELECT c.cell_id, EXISTS (
    SELECT 1 FROM ref_service f WHERE f.role = 'bus_stops' AND ST_DWithin(f.g, c.pt, 500)
) AS covered
FROM ref_cell c
