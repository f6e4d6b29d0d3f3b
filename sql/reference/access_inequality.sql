-- Inequality of an access indicator across zoned cells (x = 1 covered / 0 not, weight =
-- residents): Gini from Lorenz-curve trapezoids, Theil T and its between-zone part.
WITH v AS (
    SELECT c.cell_id, c.zone, c.residents AS w, CASE WHEN r.covered THEN 1.0 ELSE 0.0 END::float8 AS x
    FROM ref_cell c JOIN ref_cover r ON r.cell_id = c.cell_id
    WHERE c.zone IS NOT NULL AND c.residents > 0
),
tot AS (SELECT sum(w) AS w_all, sum(w * x) AS x_all FROM v),
lor AS (
    SELECT w, x, sum(w * x) OVER (ORDER BY x, cell_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum
    FROM v
),
gini AS (
    SELECT 1 - sum((l.w / t.w_all) * ((l.cum - l.w * l.x) / t.x_all + l.cum / t.x_all)) AS g
    FROM lor l, tot t WHERE t.x_all > 0
),
theil AS (
    SELECT sum((v.w / t.w_all) * (v.x / (t.x_all / t.w_all)) * ln(v.x / (t.x_all / t.w_all))) AS total
    FROM v, tot t WHERE v.x > 0 AND t.x_all > 0
),
zones AS (SELECT zone, sum(w) AS wz, sum(w * x) AS xz FROM v GROUP BY zone),
between_z AS (
    SELECT sum((z.wz / t.w_all) * ((z.xz / z.wz) / (t.x_all / t.w_all)) * ln((z.xz / z.wz) / (t.x_all / t.w_all))) AS b
    FROM zones z, tot t WHERE z.xz > 0 AND t.x_all > 0
)
SELECT (SELECT g FROM gini) AS gini,
       (SELECT COALESCE(total, 0) FROM theil) * CASE WHEN (SELECT x_all FROM tot) > 0 THEN 1 END AS theil_t,
       (SELECT COALESCE(b, 0) FROM between_z) * CASE WHEN (SELECT x_all FROM tot) > 0 THEN 1 END AS theil_between
