//! `qala indicators --reference DIR`: the same indicators computed by the plain PostGIS SQL
//! of `sql/reference` (the engine's independent oracle), with timings. With
//! `--distance network` the access indicators walk along the street graph with pgRouting
//! (`network_graph.sql`, `network/<id>.sql`, `network_access.sql`). The low-stress access
//! definitions ride on the stress network of their lane scenario (`lts_stress.sql`,
//! `lts_graph.sql`), built once per scenario, not once per definition.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use std::collections::BTreeMap;

use qala_engine::{Bindings, DistanceMode, IndicatorDef, Measure, ZoneScheme};
use serde::Serialize;
use sqlx::{PgPool, Row};

#[derive(Debug, Serialize)]
pub struct RefZone {
    pub zone: String,
    pub role: String,
    pub numerator: f64,
    pub denominator: f64,
}

#[derive(Debug, Serialize)]
pub struct RefInequality {
    pub gini: Option<f64>,
    pub theil_t: Option<f64>,
    pub theil_between: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct RefFlow {
    pub from_zone: Option<String>,
    pub to_zone: Option<String>,
    pub trees: f64,
}

#[derive(Debug, Serialize)]
pub struct RefRoute {
    pub source_row: i64,
    pub zone: Option<String>,
    pub length_m: f64,
    pub longest_gap_m: f64,
}

#[derive(Debug, Serialize)]
pub struct RefResult {
    pub indicator: String,
    pub zones: Vec<RefZone>,
    pub inequality: Option<RefInequality>,
    /// The first low-stress definition of a scenario includes building its network.
    pub elapsed_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct RefRun {
    pub scheme: String,
    pub distance: DistanceMode,
    pub setup_ms: f64,
    pub total_ms: f64,
    pub indicators: Vec<RefResult>,
    pub flows: Vec<RefFlow>,
    pub routes: Vec<RefRoute>,
}

fn read(dir: &Path, name: &str) -> anyhow::Result<String> {
    let p = dir.join(name);
    std::fs::read_to_string(&p).with_context(|| format!("no reference SQL {}", p.display()))
}

/// The layer version and selection behind each role: what the reference SQL reads.
pub struct RefInputs<'a> {
    pub bindings: &'a Bindings,
    /// slug → layer_version_id (the served versions, or an edition's pins).
    pub versions: &'a BTreeMap<String, i64>,
}

/// Runs the reference SQL of `dir` for `defs` on one connection (the SQL uses temp tables).
pub async fn run(
    pool: &PgPool,
    dir: &Path,
    scheme: &ZoneScheme,
    defs: &[IndicatorDef],
    as_of: chrono::NaiveDate,
    distance: DistanceMode,
    inputs: RefInputs<'_>,
) -> anyhow::Result<RefRun> {
    let zones_file = match scheme {
        ZoneScheme::Districts => "zones_districts.sql",
        ZoneScheme::Historic => "zones_historic.sql",
        s if *s == ZoneScheme::default_rings() => "zones_rings.sql",
        other => bail!("the reference SQL covers districts, rings (default bands) and historic, not {other}"),
    };
    let started = Instant::now();
    let mut conn = pool.acquire().await?;
    sqlx::raw_sql(
        "DROP TABLE IF EXISTS ref_binding; CREATE TEMP TABLE ref_binding \
         (role text, slug text, layer_version_id bigint, selection jsonb)",
    )
    .execute(&mut *conn)
    .await?;
    for (role, layers) in &inputs.bindings.0 {
        for b in layers {
            let Some(v) = inputs.versions.get(&b.slug) else {
                bail!("role {role} is bound to layer {}, which serves no version", b.slug);
            };
            sqlx::query("INSERT INTO ref_binding VALUES ($1, $2, $3, $4)")
                .bind(role)
                .bind(&b.slug)
                .bind(v)
                .bind(serde_json::to_value(&b.selection)?)
                .execute(&mut *conn)
                .await?;
        }
    }
    let mut setup = vec!["00_setup.sql", zones_file, "01_assign.sql"];
    if distance == DistanceMode::Network {
        setup.push("network_graph.sql");
    }
    for f in setup {
        sqlx::raw_sql(&read(dir, f)?)
            .execute(&mut *conn)
            .await
            .with_context(|| format!("running {f}"))?;
    }
    let setup_ms = started.elapsed().as_secs_f64() * 1000.0;
    let roles: Vec<(String, String)> = sqlx::query("SELECT zone_id, role FROM ref_zone ORDER BY ord")
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()?;
    let role_of = |z: &str| roles.iter().find(|r| r.0 == z).map(|r| r.1.clone()).unwrap_or_default();
    // Low-stress definitions last, grouped by lane scenario, so that the stress network of a
    // scenario is built once (a stable sort: each group keeps the definitions' order). Which
    // network a definition rides on is what its lts_access/<id>.sql sets, not this key.
    let mut order: Vec<usize> = (0..defs.len()).collect();
    // Walking-profile definitions likewise go last (after the low-stress ones); each sets
    // its own graph (walk_profile_graph.sql), so nothing is shared between them.
    order.sort_by_key(|&i| match &defs[i].measure {
        Measure::LowStressAccess { scenario, .. } => Some(format!("lts:{}", scenario.name())),
        Measure::ProfileAccess { .. } => Some("profile".to_owned()),
        _ => None,
    });
    // The scenario whose stress network and graph the connection holds (lts_stress.sql and
    // lts_graph.sql replace the walking graph: nothing after the low-stress group walks).
    let mut lts_built: Option<String> = None;
    let mut indicators: Vec<Option<RefResult>> = defs.iter().map(|_| None).collect();
    for i in order {
        let def = &defs[i];
        let t = Instant::now();
        let low_stress = matches!(def.measure, Measure::LowStressAccess { .. });
        let profile = matches!(def.measure, Measure::ProfileAccess { .. });
        let sql = if low_stress || profile {
            String::new()
        } else {
            read(dir, &format!("{}.sql", def.id))?
        };
        let access = low_stress || profile || matches!(def.measure, Measure::Access { .. });
        let (rows, inequality) = if access {
            if profile {
                // Features, able-bodied distance and profile; the profile's graph (it sets
                // the profile's distance); then the walk (writes ref_cover). The low-stress
                // graph, if built before, is replaced: nothing after this group rides.
                sqlx::query("SELECT set_config('qala.walk_profile_rules', $1, false)")
                    .bind(qala_engine::DEFAULT_WALK_PROFILES_JSON)
                    .execute(&mut *conn)
                    .await?;
                for name in [
                    format!("walk_profile/{}.sql", def.id),
                    "walk_profile_graph.sql".to_owned(),
                    "network_access.sql".to_owned(),
                ] {
                    sqlx::raw_sql(&read(dir, &name)?)
                        .execute(&mut *conn)
                        .await
                        .with_context(|| format!("running {name}"))?;
                }
                lts_built = None;
            } else if low_stress {
                // Features, radius and scenario; the stress network of that scenario and its
                // graph as the one network_access.sql rides on, unless the connection holds
                // them already; then the ride (writes ref_cover).
                let name = format!("lts_access/{}.sql", def.id);
                sqlx::raw_sql(&read(dir, &name)?)
                    .execute(&mut *conn)
                    .await
                    .with_context(|| format!("running {name}"))?;
                let scenario: String = sqlx::query_scalar("SELECT current_setting('qala.lts_scenario')")
                    .fetch_one(&mut *conn)
                    .await
                    .with_context(|| format!("{name} sets no qala.lts_scenario"))?;
                if lts_built.as_deref() != Some(scenario.as_str()) {
                    sqlx::query("SELECT set_config('qala.lts_rules', $1, false)")
                        .bind(qala_engine::DEFAULT_LTS_RULES_JSON)
                        .execute(&mut *conn)
                        .await?;
                    for f in ["lts_stress.sql", "lts_graph.sql"] {
                        sqlx::raw_sql(&read(dir, f)?)
                            .execute(&mut *conn)
                            .await
                            .with_context(|| format!("running {f} ({scenario})"))?;
                    }
                    lts_built = Some(scenario);
                }
                sqlx::raw_sql(&read(dir, "network_access.sql")?)
                    .execute(&mut *conn)
                    .await
                    .context("running network_access.sql")?;
            } else if distance == DistanceMode::Network {
                // The features and radius, then the walk: writes ref_cover.
                let features = read(dir, &format!("network/{}.sql", def.id))?;
                for (name, text) in [
                    (format!("network/{}.sql", def.id), features),
                    ("network_access.sql".into(), read(dir, "network_access.sql")?),
                ] {
                    sqlx::raw_sql(&text)
                        .execute(&mut *conn)
                        .await
                        .with_context(|| format!("running {name}"))?;
                }
            } else {
                sqlx::raw_sql(&format!(
                    "DROP TABLE IF EXISTS ref_cover; CREATE TEMP TABLE ref_cover AS {sql}"
                ))
                .execute(&mut *conn)
                .await
                .with_context(|| format!("running {}.sql", def.id))?;
            }
            let rows = sqlx::query(&read(dir, "access_zones.sql")?)
                .fetch_all(&mut *conn)
                .await?;
            let i = sqlx::query(&read(dir, "access_inequality.sql")?)
                .fetch_one(&mut *conn)
                .await?;
            let ineq = RefInequality {
                gini: i.try_get(0)?,
                theil_t: i.try_get(1)?,
                theil_between: i.try_get(2)?,
            };
            (rows, Some(ineq))
        } else {
            let mut q = sqlx::query(&sql);
            if sql.contains("$1") {
                q = q.bind(as_of);
            }
            let rows = q
                .fetch_all(&mut *conn)
                .await
                .with_context(|| format!("running {}.sql", def.id))?;
            (rows, None)
        };
        let zones = rows
            .iter()
            .map(|r| {
                let zone: String = r.try_get(0)?;
                Ok(RefZone {
                    role: role_of(&zone),
                    zone,
                    numerator: r.try_get(1)?,
                    denominator: r.try_get(2)?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        indicators[i] = Some(RefResult {
            indicator: def.id.clone(),
            zones,
            inequality,
            elapsed_ms: t.elapsed().as_secs_f64() * 1000.0,
        });
    }
    let indicators = indicators.into_iter().flatten().collect();
    let flows = sqlx::query(&read(dir, "planting_flows.sql")?)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(RefFlow {
                from_zone: r.try_get(0)?,
                to_zone: r.try_get(1)?,
                trees: r.try_get(2)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let routes = sqlx::query(&read(dir, "wayfinding_routes.sql")?)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(RefRoute {
                source_row: r.try_get(0)?,
                zone: r.try_get(1)?,
                length_m: r.try_get(2)?,
                longest_gap_m: r.try_get(3)?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(RefRun {
        scheme: scheme.to_string(),
        distance,
        setup_ms,
        total_ms: started.elapsed().as_secs_f64() * 1000.0,
        indicators,
        flows,
        routes,
    })
}
