//! The cycling stress network over HTTP on the Almaty fixtures (`GET /networks/lts`,
//! `GET /networks/lts/islands`), checked against pgRouting (`sql/reference/lts_stress.sql` +
//! `lts_islands.sql`: the same ruleset file, lane matching, graph and snap rules; islands by
//! `pgr_connectedComponents`).
//!
//! Agreement: every way's LTS and rule exactly; the islands as a multiset of (length,
//! ways, residents, cells) — lengths to 1e-6 m (the two sides add the same edge lengths in
//! different orders), counts and residents exactly.

use serde_json::Value as Json;
use sqlx::Row;

use crate::common::{fresh_db, qala_ok, repo};
use crate::server::http::App;

fn f(v: &Json) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

async fn ready(app: &App, uri: &str) -> crate::server::http::Resp {
    let mut r = app.get(uri).await;
    for _ in 0..300 {
        if r.status != 503 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        r = app.get(uri).await;
    }
    r
}

/// (length m, ways, residents, cells), sorted.
type Island = (f64, i64, f64, i64);

/// The oracle's answer for one way: (lts, rule, gradient %, slope rule, LTS before the slope rule).
type SqlSegment = (i32, String, Option<f64>, Option<String>, Option<i32>);

/// The oracle's `ref_binding` temp table on `conn`: the inputs (slug, version, roles) an
/// API answer `body` names, so the reference SQL reads the same layer versions.
async fn bind_reference_inputs(conn: &mut sqlx::PgConnection, body: &Json) {
    sqlx::raw_sql(
        "DROP TABLE IF EXISTS ref_binding; CREATE TEMP TABLE ref_binding \
         (role text, slug text, layer_version_id bigint, selection jsonb)",
    )
    .execute(&mut *conn)
    .await
    .unwrap();
    for input in body["inputs"].as_array().unwrap() {
        for role in input["roles"].as_array().unwrap() {
            sqlx::query("INSERT INTO ref_binding VALUES ($1, $2, $3, NULL)")
                .bind(role.as_str().unwrap())
                .bind(input["slug"].as_str().unwrap())
                .bind(input["layer_version_id"].as_i64().unwrap())
                .execute(&mut *conn)
                .await
                .unwrap();
        }
    }
}

fn sorted(mut v: Vec<Island>) -> Vec<Island> {
    v.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(a.1.cmp(&b.1))
            .then(a.2.total_cmp(&b.2))
            .then(a.3.cmp(&b.3))
    });
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn stress_and_islands_agree_with_pgrouting_in_every_scenario() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let app = App::new(&db).await;
    let rules = std::fs::read_to_string(repo().join("sql/indicators/lts_rules.json")).unwrap();
    let sql_file = |name: &str| std::fs::read_to_string(repo().join("sql/reference").join(name)).unwrap();
    let oracle = format!("{}\n{}", sql_file("lts_stress.sql"), sql_file("lts_islands.sql"));
    let pool = db.pool().await.unwrap();
    let mut low_km = Vec::new();
    for scenario in ["existing", "under_construction", "plan"] {
        let r = ready(&app, &format!("/networks/lts/islands?scenario={scenario}")).await;
        let body = r.json();
        assert_eq!(r.status, 200, "{body}");
        assert_eq!(body["scenario"], scenario);
        assert_eq!(body["ruleset"], "lts_mekuria_2012");
        let by_lts: Vec<i64> = body["ways_by_lts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        assert!(by_lts.iter().all(|n| *n > 0), "every stress level occurs: {by_lts:?}");
        let islands = body["islands"].as_array().unwrap();
        assert!(islands.len() > 1, "the low-stress network is in pieces");
        assert!(f(&islands[0]["residents"]) > 0.0);
        low_km.push(f(&body["low_stress_km"]));

        // The oracle on one connection (temp tables), with the bindings the result names.
        let mut conn = pool.acquire().await.unwrap();
        bind_reference_inputs(&mut conn, &body).await;
        sqlx::query("SELECT set_config('qala.lts_rules', $1, false), set_config('qala.lts_scenario', $2, false)")
            .bind(&rules)
            .bind(scenario)
            .execute(&mut *conn)
            .await
            .unwrap();
        let rows = sqlx::raw_sql(&oracle).fetch_all(&mut *conn).await.unwrap();
        let want: Vec<Island> = rows
            .iter()
            .map(|r| {
                (
                    r.get::<f64, _>("length_m"),
                    r.get::<i64, _>("ways"),
                    r.get::<f64, _>("residents"),
                    r.get::<i64, _>("cells"),
                )
            })
            .collect();
        let got: Vec<Island> = islands
            .iter()
            .map(|i| {
                (
                    f(&i["length_km"]) * 1000.0,
                    i["ways"].as_i64().unwrap(),
                    f(&i["residents"]),
                    i["cells"].as_i64().unwrap(),
                )
            })
            .collect();
        let (got, want) = (sorted(got), sorted(want));
        assert_eq!(got.len(), want.len(), "{scenario}: island count");
        for (g, w) in got.iter().zip(&want) {
            assert!(
                (g.0 - w.0).abs() < 1e-6,
                "{scenario}: island length engine {g:?} vs pgRouting {w:?}"
            );
            assert_eq!(
                (g.1, g.3),
                (w.1, w.3),
                "{scenario}: ways, cells engine {g:?} vs pgRouting {w:?}"
            );
            assert!(
                (g.2 - w.2).abs() < 1e-6,
                "{scenario}: residents engine {g:?} vs pgRouting {w:?}"
            );
        }

        // Every way's stress and rule, page by page over HTTP, against the SQL.
        let sql: std::collections::HashMap<i64, SqlSegment> = sqlx::query(
            "SELECT w.row, l.lts, l.rule, l.gradient_pct, l.slope_rule, l.lts_before_slope \
             FROM ref_lts l JOIN ref_lts_road w USING (way)",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.get::<i64, _>(0),
                (
                    r.get::<i32, _>(1),
                    r.get::<String, _>(2),
                    r.get::<Option<f64>, _>(3),
                    r.get::<Option<String>, _>(4),
                    r.get::<Option<i32>, _>(5),
                ),
            )
        })
        .collect();
        // The synthetic DEM is bound: its layer is among the inputs, labelled synthetic.
        let elevation = body["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["slug"] == "elevation")
            .unwrap_or_else(|| panic!("{scenario}: no elevation input in {}", body["inputs"]));
        assert_eq!(elevation["roles"], serde_json::json!(["elevation"]));
        assert_eq!(elevation["synthetic"], true);
        let (mut offset, mut seen) = (0usize, 0usize);
        let (mut raised, mut with_gradient) = (0usize, 0usize);
        loop {
            let r = app
                .get(&format!(
                    "/networks/lts?scenario={scenario}&limit=10000&offset={offset}"
                ))
                .await;
            assert_eq!(r.status, 200);
            assert_eq!(r.header("content-type"), Some("application/geo+json"));
            let page = r.json();
            let features = page["features"].as_array().unwrap();
            assert_eq!(f(&page["total"]) as usize, sql.len(), "{scenario}: every way once");
            for feat in features {
                let p = &feat["properties"];
                let row = p["row"].as_i64().unwrap();
                let (lts, rule, gradient, slope_rule, before) = &sql[&row];
                assert_eq!(
                    (p["lts"].as_i64().unwrap() as i32, p["rule"].as_str().unwrap()),
                    (*lts, rule.as_str()),
                    "{scenario}: row {row}"
                );
                assert!(p["reason"].as_str().unwrap().starts_with(rule.as_str()));
                // Gradient and slope penalty: the same per way on both sides.
                match (p["gradient_pct"].as_f64(), gradient) {
                    (Some(g), Some(w)) => {
                        assert!((g - w).abs() < 1e-6, "{scenario}: row {row} gradient {g} vs SQL {w}")
                    }
                    (None, None) => {}
                    (g, w) => panic!("{scenario}: row {row} gradient {g:?} vs SQL {w:?}"),
                }
                assert_eq!(
                    (
                        p["slope_rule"].as_str(),
                        p["lts_before_slope"].as_i64().map(|v| v as i32)
                    ),
                    (slope_rule.as_deref(), *before),
                    "{scenario}: row {row}"
                );
                if let Some(sr) = slope_rule {
                    assert!(p["reason"].as_str().unwrap().contains(sr.as_str()), "{p}");
                    raised += 1;
                }
                with_gradient += usize::from(gradient.is_some());
            }
            seen += features.len();
            offset += 10_000;
            if features.is_empty() || seen >= sql.len() {
                break;
            }
        }
        assert_eq!(seen, sql.len());
        eprintln!("{scenario}: {with_gradient} of {seen} ways with a gradient, {raised} raised by a slope rule");
        assert!(with_gradient * 10 > seen * 9, "{scenario}: the DEM covers most ways");
        assert!(
            raised > 0,
            "{scenario}: the synthetic foothills raise some ways' stress"
        );
    }
    assert!(
        low_km[0] <= low_km[1] && low_km[1] <= low_km[2],
        "more lanes, more low-stress streets: {low_km:?}"
    );
}

/// row -> (lts, lts before a slope rule, whether the answer has any slope field).
async fn segment_stress(app: &App) -> std::collections::HashMap<i64, (i64, Option<i64>, bool)> {
    let r = ready(app, "/networks/lts?scenario=existing&limit=10000").await;
    let page = r.json();
    assert_eq!(r.status, 200, "{page}");
    assert!(f(&page["total"]) <= 10_000.0, "one page holds every way");
    page["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|feat| {
            let p = &feat["properties"];
            let slope_fields = ["gradient_pct", "climb_m", "slope_rule", "lts_before_slope"]
                .iter()
                .any(|k| p.get(*k).is_some());
            (
                p["row"].as_i64().unwrap(),
                (p["lts"].as_i64().unwrap(), p["lts_before_slope"].as_i64(), slope_fields),
            )
        })
        .collect()
}

/// Without an elevation binding the stress is what it was before slope rules existed: the
/// same levels as the bound network's levels before slope, and no slope field at all.
#[tokio::test(flavor = "multi_thread")]
async fn without_an_elevation_binding_stress_is_unchanged() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let bound = {
        let app = App::new(&db).await;
        segment_stress(&app).await
    };
    assert!(
        bound.values().any(|(_, before, _)| before.is_some()),
        "some slope penalty when bound"
    );
    // A city that never bound the role (the fixtures bind it by default).
    let pool = db.pool().await.unwrap();
    sqlx::query("DELETE FROM input_binding WHERE role = 'elevation'")
        .execute(&pool)
        .await
        .unwrap();
    let app = App::new(&db).await;
    let unbound = segment_stress(&app).await;
    assert_eq!(unbound.len(), bound.len());
    let mut changed = 0;
    for (row, (lts, before, slope_fields)) in &unbound {
        assert!(
            before.is_none() && !slope_fields,
            "row {row}: a slope field without a binding"
        );
        let (b_lts, b_before, _) = bound[row];
        assert_eq!(*lts, b_before.unwrap_or(b_lts), "row {row}");
        changed += usize::from(*lts != b_lts);
    }
    assert!(changed > 0);
    let islands = ready(&app, "/networks/lts/islands").await.json();
    assert!(
        islands["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["slug"] != "elevation"),
        "{}",
        islands["inputs"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_lts_requests_are_clear_400s() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let app = App::new(&db).await;
    let r = ready(&app, "/networks/lts/islands?scenario=built").await;
    r.assert_error(400, "invalid_lts_scenario");
    assert!(r.json()["message"].as_str().unwrap().contains("under_construction"));
    app.get("/networks/lts?bbox=76.9,43.2,76.8,43.3")
        .await
        .assert_error(400, "invalid_bbox");
    app.get("/networks/lts?bbox=0,0,500,1")
        .await
        .assert_error(400, "invalid_bbox");
    app.get("/networks/lts?limit=0")
        .await
        .assert_error(400, "invalid_limit");
    app.get("/networks/lts/islands?limit=5")
        .await
        .assert_error(400, "unknown_parameter");
    // A bbox in the centre: only segments there, with lon/lat geometry and a reason.
    let r = ready(&app, "/networks/lts?bbox=76.93,43.24,76.95,43.26&limit=20").await;
    let page = r.json();
    assert_eq!(r.status, 200, "{page}");
    let features = page["features"].as_array().unwrap();
    assert!(!features.is_empty() && features.len() <= 20);
    assert!(f(&page["total"]) >= features.len() as f64);
    for feat in features {
        let coords = feat["geometry"]["coordinates"].to_string();
        assert!(coords.contains("76.9") && coords.contains("43.2"), "{coords}");
        assert!(feat["properties"]["reason"].as_str().is_some_and(|s| !s.is_empty()));
    }

    // Priorities: planned segments, best first, each low-stress only with its planned lane
    // (checked against the segments of both scenarios), as JSON and CSV.
    let r = app.get("/networks/lts/priorities").await;
    let body = r.json();
    assert_eq!(r.status, 200, "{body}");
    let ps = body["priorities"].as_array().unwrap();
    assert!(!ps.is_empty(), "the synthetic plan has candidates");
    assert!(f(&body["centre_island_residents"]) > 0.0);
    let lts_of = |scenario: &'static str| {
        let app = &app;
        async move {
            let page = app
                .get(&format!("/networks/lts?scenario={scenario}&limit=10000"))
                .await
                .json();
            page["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        f["properties"]["row"].as_i64().unwrap(),
                        f["properties"]["lts"].as_i64().unwrap(),
                    )
                })
                .collect::<std::collections::HashMap<i64, i64>>()
        }
    };
    let (base, plan) = (lts_of("under_construction").await, lts_of("plan").await);
    let mut last = f64::INFINITY;
    for (i, p) in ps.iter().enumerate() {
        let row = p["row"].as_i64().unwrap();
        assert_eq!(p["rank"].as_u64().unwrap() as usize, i + 1);
        match p["source"].as_str().unwrap() {
            "planned" => assert!(
                base[&row] > 2 && plan[&row] <= 2,
                "row {row}: base {} plan {}",
                base[&row],
                plan[&row]
            ),
            "missing_link" => assert!(
                base[&row] > 2 && plan[&row] > 2 && f(&p["length_km"]) <= 0.3 && f(&p["islands_touched"]) >= 2.0,
                "row {row}: {p}"
            ),
            other => panic!("source {other}"),
        }
        assert_eq!(
            (p["lts_base"].as_i64(), p["lts_plan"].as_i64()),
            (Some(base[&row]), Some(plan[&row]))
        );
        let per_km = f(&p["residents_per_km"]);
        assert!(per_km <= last + 1e-9, "sorted best first");
        last = per_km;
        let want = f(&p["residents_newly_connected"]) / f(&p["length_km"]);
        assert!((per_km - want).abs() < 1e-6 * want.max(1.0));
        if !p["touches_centre_island"].as_bool().unwrap() {
            assert_eq!(f(&p["residents_newly_connected"]), 0.0);
        }
    }
    assert!(
        f(&ps[0]["residents_newly_connected"]) > 0.0,
        "some planned segment connects somebody"
    );
    assert!(ps.iter().any(|p| p["source"] == "planned"));

    // Missing links: the same set as pgRouting finds on the same graph, with the islands.
    let mut conn = db.pool().await.unwrap().acquire().await.unwrap();
    bind_reference_inputs(&mut conn, &body).await;
    let rules = std::fs::read_to_string(repo().join("sql/indicators/lts_rules.json")).unwrap();
    let sql_file = |name: &str| std::fs::read_to_string(repo().join("sql/reference").join(name)).unwrap();
    for scenario in ["plan", "under_construction"] {
        sqlx::query("SELECT set_config('qala.lts_rules', $1, false), set_config('qala.lts_scenario', $2, false)")
            .bind(&rules)
            .bind(scenario)
            .execute(&mut *conn)
            .await
            .unwrap();
        sqlx::raw_sql(&sql_file("lts_stress.sql"))
            .execute(&mut *conn)
            .await
            .unwrap();
        if scenario == "plan" {
            sqlx::raw_sql(
                "DROP TABLE IF EXISTS ref_ml_plan; CREATE TEMP TABLE ref_ml_plan AS SELECT way, lts FROM ref_lts",
            )
            .execute(&mut *conn)
            .await
            .unwrap();
        }
    }
    let want: Vec<(i64, i64)> = sqlx::raw_sql(&sql_file("lts_missing_links.sql"))
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<i64, _>("row"), r.get::<i64, _>("islands")))
        .collect();
    let mut got: Vec<(i64, i64)> = ps
        .iter()
        .filter(|p| p["source"] == "missing_link")
        .map(|p| (p["row"].as_i64().unwrap(), p["islands_touched"].as_i64().unwrap()))
        .collect();
    got.sort();
    assert!(!want.is_empty(), "the fixtures have missing links");
    assert_eq!(got, want, "missing links (row, islands): engine vs pgRouting");
    println!(
        "missing links: {} (planned segments: {})",
        got.len(),
        ps.len() - got.len()
    );

    let csv = app.get("/networks/lts/priorities?format=csv&limit=5").await;
    assert_eq!(csv.status, 200);
    let csv = String::from_utf8(csv.body).unwrap();
    assert!(csv.starts_with("rank,row,name,highway,lts_base,lts_plan,"), "{csv}");
    assert_eq!(csv.lines().count(), 1 + ps.len().min(5));
    app.get("/networks/lts/priorities?format=xml")
        .await
        .assert_error(400, "invalid_parameter");
}

/// Connectivity on the low-stress network (`low_stress_access` definitions), served over
/// HTTP, against pgRouting on the same graph (`lts_access/<id>.sql`, `lts_stress.sql`,
/// `lts_graph.sql`, `network_access.sql`; one reference run for all twelve, which builds
/// each scenario's network once): residents who reach, zone by zone (rings and districts),
/// exactly; the inequality to 1e-9. And what a planner reads from it: more lanes never reach fewer
/// residents, and in every scenario some residents reach only by riding in traffic.
#[tokio::test(flavor = "multi_thread")]
async fn low_stress_connectivity_agrees_with_pgrouting_zone_by_zone() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let app = App::new(&db).await;
    let dir = repo().join("sql").join("reference");
    let defs = ready(&app, "/indicators").await.json();
    let ids: Vec<String> = defs
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["measure"]["type"] == "low_stress_access")
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        ids.len(),
        12,
        "schools, clinics, parks, metro x three scenarios: {ids:?}"
    );
    let mut city: std::collections::BTreeMap<String, f64> = Default::default();
    for zones in ["rings", "districts"] {
        let reference: Json = serde_json::from_str(&qala_ok(
            &db,
            &[
                "indicators",
                "--indicator",
                &ids.join(","),
                "--zones",
                zones,
                "--reference",
                dir.to_str().unwrap(),
            ],
        ))
        .unwrap();
        let refs = reference["indicators"].as_array().unwrap();
        assert_eq!(
            refs.len(),
            ids.len(),
            "the reference computes exactly the ones asked for"
        );
        for id in &ids {
            let r = ready(&app, &format!("/indicators/{id}?zones={zones}")).await;
            assert_eq!(r.status, 200, "{id}: {}", String::from_utf8_lossy(&r.body));
            let served = r.json();
            let rr = refs.iter().find(|x| x["indicator"] == id.as_str()).unwrap();
            let (ez, rz) = (served["zones"].as_array().unwrap(), rr["zones"].as_array().unwrap());
            assert_eq!(ez.len(), rz.len(), "{id}/{zones}: zones");
            for (a, b) in ez.iter().zip(rz) {
                assert_eq!(a["zone"], b["zone"], "{id}/{zones}: zone order");
                for field in ["numerator", "denominator"] {
                    assert_eq!(f(&a[field]), f(&b[field]), "{id}/{zones}/{}: {field}", a["zone"]);
                }
            }
            for field in ["gini", "theil_t", "theil_between"] {
                match (&served["inequality"][field], &rr["inequality"][field]) {
                    (Json::Null, Json::Null) => {}
                    (a, b) => assert!((f(a) - f(b)).abs() < 1e-9, "{id}/{zones}: {field} {a} vs {b}"),
                }
            }
            let low = &served["low_stress"];
            assert_eq!(low["max_lts"], 2);
            assert_eq!(low["zones"].as_array().unwrap().len(), ez.len());
            assert!(
                f(&low["city"]["gap"]) > 0.0,
                "{id}: some residents reach only in traffic: {}",
                low["city"]
            );
            assert!(
                (f(&low["city"]["low_stress"]) - f(&served["city"]["value"])).abs() < 1e-12,
                "{id}: the value is the low-stress share"
            );
            city.insert(id.clone(), f(&served["city"]["numerator"]));
        }
    }
    for dest in ["school_2km", "clinic_3km", "park_2km", "metro_2km"] {
        let n = |s: &str| city[&format!("lts2_{dest}_{s}")];
        assert!(
            n("existing") <= n("under_construction") && n("under_construction") <= n("plan"),
            "{dest}: {} <= {} <= {}",
            n("existing"),
            n("under_construction"),
            n("plan")
        );
        assert!(n("plan") > n("existing"), "{dest}: the plan connects more residents");
    }
}

async fn what_if(app: &App, change: Json) -> crate::server::http::Resp {
    app.send(
        axum::http::Method::POST,
        "/whatif",
        &[("content-type", "application/json")],
        axum::body::Body::from(serde_json::json!({"change": change, "zones": "districts"}).to_string()),
    )
    .await
}

/// The what-if of a drawn lane against the real thing: a lane along the best-ranked planned
/// segment's street, drawn as built (`existing`), then loaded as a new bike-lanes version
/// (`qala ingest --mode append`): every `low_stress_access` indicator served after the load
/// equals the what-if's `after`, zone by zone. Also a street's speed, and the bad inputs.
#[tokio::test(flavor = "multi_thread")]
async fn what_if_a_lane_equals_loading_it() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let app = App::new(&db).await;
    let prio = ready(&app, "/networks/lts/priorities").await.json();
    let top = prio["priorities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["source"] == "planned")
        .unwrap();
    assert!(f(&top["residents_newly_connected"]) > 0.0, "{top}");
    let row = top["row"].as_i64().unwrap();
    let plan = app.get("/networks/lts?scenario=plan&limit=10000").await.json();
    let way = plan["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"].as_i64() == Some(row))
        .unwrap();
    // The planned lane's facility: where the two lanes tie in the plan, the LTS is the same.
    let facility = way["properties"]["facility"].as_str().unwrap().to_owned();
    let geometry = way["geometry"].clone();
    let lane = serde_json::json!({
        "layer": "bike-lanes", "action": "add", "geometry": geometry,
        "attributes": {"status": "existing", "facility": facility}
    });
    let r = what_if(&app, lane).await;
    let body = r.json();
    assert_eq!(r.status, 200, "{body}");
    println!(
        "what-if of one lane (three scenarios rebuilt, 12 low-stress indicators): {:.0} ms in the engine",
        f(&body["elapsed_ms"])
    );
    let lts = body["lts"].as_array().unwrap();
    assert_eq!(lts.len(), 3, "an existing lane counts in every scenario");
    let existing_ways = lts[0]["ways"].as_array().unwrap();
    assert!(
        existing_ways
            .iter()
            .any(|w| w["row"].as_i64() == Some(row) && w["lts_after"].as_i64().unwrap() <= 2),
        "the street becomes low-stress: {existing_ways:?}"
    );
    let deltas: Vec<&Json> = body["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["indicator"].as_str().unwrap().starts_with("lts2_"))
        .collect();
    assert_eq!(deltas.len(), 12);
    assert!(
        deltas.iter().any(|d| f(&d["city"]["delta"]) > 0.0),
        "the lane connects somebody to something"
    );
    assert!(
        body["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["indicator"] == "bike_km_per_10k"),
        "the lane's km are counted too"
    );

    // The real thing: the lane loaded, a new engine over the new version.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lane.geojson");
    std::fs::write(
        &file,
        serde_json::json!({"type": "FeatureCollection", "features": [{"type": "Feature",
            "properties": {"name": "What-if lane", "status": "existing", "facility": facility},
            "geometry": geometry}]})
        .to_string(),
    )
    .unwrap();
    qala_ok(
        &db,
        &[
            "ingest",
            file.to_str().unwrap(),
            "--layer",
            "bike-lanes",
            "--mode",
            "append",
        ],
    );
    let loaded = App::new(&db).await;
    for d in &deltas {
        let id = d["indicator"].as_str().unwrap();
        let r = ready(&loaded, &format!("/indicators/{id}?zones=districts")).await;
        let served = r.json();
        assert_eq!(r.status, 200, "{served}");
        let zones = served["zones"].as_array().unwrap();
        let want = d["zones"].as_array().unwrap();
        assert_eq!(zones.len(), want.len());
        for (z, w) in zones.iter().zip(want) {
            assert_eq!(z["zone"], w["zone"]);
            assert_eq!(z["value"], w["after"], "{id}/{}: loaded vs what-if", z["zone"]);
        }
        assert_eq!(served["city"]["value"], d["city"]["after"], "{id}: city");
    }

    // A street's speed: a tertiary street (assumed 50 km/h, LTS 3) at 30 km/h is LTS 2.
    let segs = app.get("/networks/lts?scenario=existing&limit=10000").await.json();
    let tertiary = segs["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["highway"] == "tertiary" && f["properties"]["lts"] == 3)
        .expect("a tertiary street at LTS 3");
    let trow = tertiary["properties"]["row"].as_i64().unwrap();
    let speed = |v: Json| serde_json::json!({"layer": "roads", "action": "set_max_speed", "source_row": trow, "max_speed_kmh": v});
    let r = what_if(&app, speed(serde_json::json!(30))).await;
    let body = r.json();
    assert_eq!(r.status, 200, "{body}");
    println!(
        "what-if of a speed (three scenarios rebuilt): {:.0} ms",
        f(&body["elapsed_ms"])
    );
    assert_eq!(
        body["lts"][0]["ways"],
        serde_json::json!([{"row": trow, "name": tertiary["properties"]["name"], "lts_before": 3, "lts_after": 2}])
    );
    assert!(
        body["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["indicator"].as_str().unwrap().starts_with("lts2_"))
    );

    // Bad inputs: a clear 4xx with a stable code, nothing computed.
    for (v, why) in [
        (serde_json::json!(0), "0"),
        (serde_json::json!(-20), "-20"),
        (serde_json::json!("fast"), "\"fast\""),
    ] {
        let r = what_if(&app, speed(v)).await;
        r.assert_error(400, "invalid_max_speed");
        assert!(r.json()["message"].as_str().unwrap().contains(why));
    }
    what_if(
        &app,
        serde_json::json!({"layer": "roads", "action": "set_max_speed", "source_row": 99_999_999, "max_speed_kmh": 30}),
    )
    .await
    .assert_error(404, "feature_not_found");
    // In the mountains south of the city: no street within 15 m.
    let r = what_if(
        &app,
        serde_json::json!({"layer": "bike-lanes", "action": "add",
            "geometry": {"type": "LineString", "coordinates": [[77.05, 43.02], [77.06, 43.02]]},
            "attributes": {"status": "planned", "facility": "painted"}}),
    )
    .await;
    r.assert_error(422, "lane_off_street");
    let msg = r.json()["message"].as_str().unwrap().to_owned();
    assert!(msg.contains("15 m") && msg.contains("the nearest way is"), "{msg}");
    what_if(
        &app,
        serde_json::json!({"layer": "bike-lanes", "action": "add",
            "geometry": {"type": "Point", "coordinates": [76.95, 43.24]},
            "attributes": {"status": "planned", "facility": "painted"}}),
    )
    .await
    .assert_error(400, "wrong_geometry_type");
    what_if(
        &app,
        serde_json::json!({"layer": "bike-lanes", "action": "add", "geometry": geometry,
            "attributes": {"status": "someday", "facility": "painted"}}),
    )
    .await
    .assert_error(400, "invalid_change");
}
