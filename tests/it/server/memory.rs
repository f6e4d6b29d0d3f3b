//! Items answered from memory (while the database is down) are the database's items:
//! same ids in the same order, same properties, same geometry, for the filters, paging
//! and output CRSs of OGC API Features.

use chrono::NaiveDate;
use qala_core::{Bbox, LayerKind};
use qala_store::features::{DateRange, Item, ItemsQuery};
use serde_json::Value;

use super::http::App;
use crate::common::{fresh_db, qala_ok};

/// Compares two GeoJSON coordinate trees within `tol`.
fn same_coords(a: &Value, b: &Value, tol: f64, at: &str) {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "{at}: {a} vs {b}");
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                same_coords(p, q, tol, &format!("{at}[{i}]"));
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() <= tol, "{at}: {x} vs {y}");
        }
        _ => panic!("{at}: {a} vs {b}"),
    }
}

fn same_items(db: &[Item], mem: &[Item], tol: f64, what: &str) {
    let ids = |v: &[Item]| v.iter().map(|i| i.id).collect::<Vec<_>>();
    assert_eq!(ids(db), ids(mem), "{what}: ids");
    for (d, m) in db.iter().zip(mem) {
        assert_eq!(d.properties, m.properties, "{what}: properties of {}", d.id);
        assert_eq!(
            d.geometry["type"], m.geometry["type"],
            "{what}: geometry type of {}",
            d.id
        );
        same_coords(
            &d.geometry["coordinates"],
            &m.geometry["coordinates"],
            tol,
            &format!("{what}: feature {}", d.id),
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn memory_items_match_the_database() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let app = App::new(&db).await;
    let pool = db.pool().await.unwrap();
    let centre = qala_core::REPUBLIC_SQUARE_WGS84;
    let around = |d: f64| Bbox::new(centre.0 - d, centre.1 - d, centre.0 + d, centre.1 + d).unwrap();
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();

    let mut checked = 0;
    for (slug, kind) in [
        ("districts", LayerKind::District),
        ("green-spaces", LayerKind::GreenSpace),
        ("services", LayerKind::Service),
        ("bike-lanes", LayerKind::BikeLane),
        ("tree-fellings", LayerKind::TreeFelling),
        ("population", LayerKind::PopulationCell),
        ("roads", LayerKind::Road),
    ] {
        let info = app.state.layer_info(slug).unwrap_or_else(|| panic!("{slug} loaded"));
        let v = info.summary.layer_version_id.unwrap();
        let mem = app.state.tiles.layer(slug).unwrap();
        let base = ItemsQuery {
            kind,
            layer_version_id: v,
            bbox: None,
            after: None,
            // Districts are 8: a page of 3 leaves a next page.
            limit: if kind == LayerKind::District { 3 } else { 40 },
            filters: Vec::new(),
            datetime: None,
            filter: None,
            srid: 4326,
            lat_lon: false,
        };
        let mut queries = vec![("first page", base.clone())];
        // CQL2 filters (Part 3): the same typed filter, as SQL and evaluated in memory.
        let cql: &[&'static str] = match kind {
            LayerKind::District => &[
                "name_en LIKE '%a%' OR population > 200000",
                "population BETWEEN 100000 AND 300000 AND NOT (akimat_id IN (1, 2))",
                "CASEI(name_en) = CASEI('BOSTANDYK') OR population_date IS NULL",
            ],
            LayerKind::GreenSpace => &[
                "category IN ('park', 'square') AND S_INTERSECTS(geometry, BBOX(76.85, 43.2, 76.98, 43.28))",
                "S_WITHIN(geometry, POLYGON((76.8 43.15, 77.05 43.15, 77.05 43.3, 76.8 43.3, 76.8 43.15)))",
            ],
            LayerKind::Service => &[
                "category = 'school' OR name LIKE '%№%'",
                "capacity >= 500 OR (category <> 'bus_stop' AND name IS NULL)",
            ],
            LayerKind::BikeLane => &[
                "status <> 'planned' AND NOT facility IS NULL",
                "S_INTERSECTS(geometry, LINESTRING(76.85 43.24, 77.0 43.24))",
            ],
            LayerKind::TreeFelling => &[
                "compensation_due >= DATE('2023-06-01')",
                "T_AFTER(felled_on, DATE('2023-01-01')) AND trees_felled > 2",
                "T_DURING(felled_on, INTERVAL('2023-03-01', '2023-10-31')) OR T_BEFORE(compensation_due, DATE('2022-01-01'))",
                "T_INTERSECTS(felled_on, INTERVAL('2023-03-01', '..')) AND NOT T_DISJOINT(compensation_due, INTERVAL('..', '2025-01-01'))",
            ],
            LayerKind::PopulationCell => &["residents > 500 AND S_DISJOINT(geometry, BBOX(76.9, 43.2, 77.0, 43.3))"],
            LayerKind::Road => &[
                "highway IN ('primary', 'secondary') AND name IS NULL",
                "CASEI(name) LIKE CASEI('%ПРОСПЕКТ%')",
            ],
            _ => &[],
        };
        for text in cql {
            let p = std::collections::HashMap::from([("filter".to_owned(), (*text).to_owned())]);
            let filter = qala_server::cql2_filter::from_params(kind, slug, &p).unwrap();
            queries.push((
                text,
                ItemsQuery {
                    filter,
                    limit: 10_000,
                    ..base.clone()
                },
            ));
        }
        // The next page, from the last id of the first.
        let first = qala_store::features::items(&pool, &base).await.unwrap();
        assert_eq!(first.len() as i64, base.limit, "{slug} has more than one page");
        queries.push((
            "next page",
            ItemsQuery {
                after: first.last().map(|i| i.id),
                ..base.clone()
            },
        ));
        queries.push((
            "bbox",
            ItemsQuery {
                bbox: Some((around(0.03), 4326)),
                limit: 500,
                ..base.clone()
            },
        ));
        let (x0, y0) = qala_tiles::mercator::to_3857(centre.0 - 0.02, centre.1 - 0.02);
        let (x1, y1) = qala_tiles::mercator::to_3857(centre.0 + 0.02, centre.1 + 0.02);
        queries.push((
            "bbox in EPSG:3857, output lat/lon",
            ItemsQuery {
                bbox: Some((Bbox::new(x0, y0, x1, y1).unwrap(), 3857)),
                lat_lon: true,
                ..base.clone()
            },
        ));
        queries.push((
            "EPSG:3857",
            ItemsQuery {
                srid: 3857,
                ..base.clone()
            },
        ));
        queries.push((
            "EPSG:32643",
            ItemsQuery {
                srid: 32643,
                ..base.clone()
            },
        ));
        if kind == LayerKind::Service {
            let f = kind.field("category").unwrap();
            queries.push((
                "category=school",
                ItemsQuery {
                    filters: vec![(f, "school".to_owned())],
                    limit: 1000,
                    ..base.clone()
                },
            ));
        }
        if kind == LayerKind::District {
            let f = kind.field("akimat_id").unwrap();
            queries.push((
                "akimat_id=3",
                ItemsQuery {
                    filters: vec![(f, "3".to_owned())],
                    ..base.clone()
                },
            ));
        }
        if kind == LayerKind::TreeFelling {
            queries.push((
                "datetime",
                ItemsQuery {
                    datetime: Some(DateRange {
                        start: date("2023-03-01"),
                        end: date("2023-10-31"),
                    }),
                    limit: 1000,
                    ..base.clone()
                },
            ));
        }
        for (what, q) in queries {
            let from_db = qala_store::features::items(&pool, &q).await.unwrap();
            let from_mem = qala_server::items_memory::items(&mem, &q).unwrap();
            // Both round to 1e-9° (0.1 mm) and projected outputs to the centimetre: a
            // coordinate half-way between two steps may round apart by one step.
            let tol = if q.srid == 4326 { 1.000001e-9 } else { 0.0100001 };
            same_items(&from_db, &from_mem, tol, &format!("{slug}, {what}"));
            assert_eq!(
                qala_store::features::items_matched(&pool, &q).await.unwrap(),
                qala_server::items_memory::matched(&mem, &q).unwrap(),
                "{slug}, {what}: numberMatched"
            );
            if cql.contains(&what) {
                eprintln!("{slug}: {what}: {} items", from_db.len());
            } else if what != "category=school" && what != "akimat_id=3" {
                assert!(!from_db.is_empty(), "{slug}, {what}: a query that selects something");
            }
            checked += from_db.len();
        }
        // One item by id.
        let id = first[2].id;
        let d = qala_store::features::item_by_id(&pool, kind, v, id, 4326, false)
            .await
            .unwrap();
        let m = qala_server::items_memory::item_by_id(&mem, id, 4326, false).unwrap();
        same_items(
            &d.into_iter().collect::<Vec<_>>(),
            &m.into_iter().collect::<Vec<_>>(),
            1.000001e-9,
            slug,
        );
    }
    assert!(checked > 1000, "{checked} features compared");
}

/// `qala serve --items-from-memory` answers OGC items pages over HTTP with the same features
/// (ids, order, properties, geometry within rounding), the same `numberMatched` and the same
/// next link as the database path, and says where the page came from.
#[tokio::test(flavor = "multi_thread")]
async fn items_from_memory_over_http_match_the_database_path() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let by_db = App::new(&db).await;
    let by_mem = App::with_config(
        &db,
        qala_server::ServerConfig {
            items_from_memory: true,
            ..Default::default()
        },
    )
    .await;
    let queries = [
        "/collections/buildings/items?limit=1000&bbox=76.90,43.22,76.97,43.27&filter=levels%20%3E%3D%202",
        "/collections/services/items?limit=50&filter=category%20%3D%20%27school%27%20OR%20capacity%20%3E%3D%20500",
        "/collections/tree-fellings/items?limit=100&filter=T_DURING(felled_on%2C%20INTERVAL(%272023-03-01%27%2C%20%272023-10-31%27))",
        "/collections/population/items?limit=200&bbox=76.85,43.20,77.00,43.30",
        "/collections/roads/items?limit=300&filter=highway%20IN%20(%27primary%27%2C%27secondary%27)",
        "/collections/districts/items?limit=3",
    ];
    let mut compared = 0;
    for uri in queries {
        let (a, b) = (by_db.get(uri).await, by_mem.get(uri).await);
        assert_eq!(a.status, 200, "{uri}: {}", String::from_utf8_lossy(&a.body));
        assert_eq!(b.status, 200, "{uri}: {}", String::from_utf8_lossy(&b.body));
        assert_eq!(
            a.header(qala_server::ogc::SOURCE_HEADER),
            None,
            "{uri}: the database answered"
        );
        assert!(
            b.header(qala_server::ogc::SOURCE_HEADER).is_some(),
            "{uri}: memory answered"
        );
        let (a, b) = (a.json(), b.json());
        assert_eq!(a["numberMatched"], b["numberMatched"], "{uri}: numberMatched");
        assert_eq!(a["numberReturned"], b["numberReturned"], "{uri}: numberReturned");
        let next = |v: &Value| {
            v["links"]
                .as_array()
                .and_then(|l| l.iter().find(|l| l["rel"] == "next"))
                .map(|l| l["href"].clone())
        };
        assert_eq!(next(&a), next(&b), "{uri}: next link");
        let items = |v: &Value| -> Vec<Item> {
            v["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| Item {
                    id: f["id"].as_i64().unwrap(),
                    properties: f["properties"].clone(),
                    geometry: f["geometry"].clone(),
                })
                .collect()
        };
        let (ia, ib) = (items(&a), items(&b));
        assert!(!ia.is_empty(), "{uri}: a query that selects something");
        same_items(&ia, &ib, 1.000001e-9, uri);
        compared += ia.len();
    }
    assert!(compared > 500, "{compared} features compared");
}

/// The geometry trees of two GeoJSON geometries are the same within `tol` (collections
/// member by member).
fn same_geometry(a: &Value, b: &Value, tol: f64, at: &str) {
    assert_eq!(a["type"], b["type"], "{at}: {a} vs {b}");
    if a["type"] == "GeometryCollection" {
        let (x, y) = (a["geometries"].as_array().unwrap(), b["geometries"].as_array().unwrap());
        assert_eq!(x.len(), y.len(), "{at}: members of {a} vs {b}");
        for (i, (p, q)) in x.iter().zip(y).enumerate() {
            same_geometry(p, q, tol, &format!("{at}, member {i}"));
        }
    } else {
        same_coords(&a["coordinates"], &b["coordinates"], tol, at);
    }
}

/// A `generic` layer may hold geometry collections. Memory keeps them whole: items from
/// memory are the database's items (every member, in order, Multi* kept), the engine's input
/// has every member, and a tile draws the members of the first member's kind (MVT has one
/// geometry type per feature).
#[tokio::test(flavor = "multi_thread")]
async fn geometry_collections_are_kept_whole_in_memory() {
    let db = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mixed.geojson");
    let (lon, lat) = qala_core::REPUBLIC_SQUARE_WGS84;
    let sq = |x: f64, y: f64, d: f64| serde_json::json!([[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]);
    let fc = serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "point then polygon"}, "geometry": {
            "type": "GeometryCollection", "geometries": [
                {"type": "Point", "coordinates": [lon, lat]},
                {"type": "Polygon", "coordinates": sq(lon + 0.001, lat + 0.001, 0.002)}]}},
        {"type": "Feature", "properties": {"name": "polygon, line, nested points"}, "geometry": {
            "type": "GeometryCollection", "geometries": [
                {"type": "MultiPolygon", "coordinates": [sq(lon - 0.004, lat - 0.004, 0.001)]},
                {"type": "LineString", "coordinates": [[lon - 0.003, lat], [lon - 0.001, lat + 0.0005]]},
                {"type": "Polygon", "coordinates": sq(lon - 0.006, lat - 0.006, 0.001)},
                {"type": "GeometryCollection", "geometries": [
                    {"type": "MultiPoint", "coordinates": [[lon + 0.002, lat - 0.002]]}]}]}},
        {"type": "Feature", "properties": {"name": "a plain point"},
         "geometry": {"type": "Point", "coordinates": [lon + 0.0005, lat - 0.0005]}}
    ]});
    std::fs::write(&file, fc.to_string()).unwrap();
    qala_ok(
        &db,
        &[
            "ingest",
            file.to_str().unwrap(),
            "--layer",
            "mixed",
            "--kind",
            "generic",
        ],
    );
    let app = App::new(&db).await;
    let pool = db.pool().await.unwrap();
    let info = app.state.layer_info("mixed").expect("mixed is listed");
    let v = info.summary.layer_version_id.unwrap();
    let mem = app.state.tiles.layer("mixed").expect("mixed is in memory");
    assert_eq!(mem.feature_count(), 3, "every feature is in memory");

    // Items: memory = database, collections included.
    let mut ids = Vec::new();
    for srid in [4326, 3857] {
        let q = ItemsQuery {
            kind: LayerKind::Generic,
            layer_version_id: v,
            bbox: None,
            after: None,
            limit: 10,
            filters: Vec::new(),
            datetime: None,
            filter: None,
            srid,
            lat_lon: false,
        };
        let from_db = qala_store::features::items(&pool, &q).await.unwrap();
        let from_mem = qala_server::items_memory::items(&mem, &q).unwrap();
        assert_eq!(from_db.len(), 3);
        let tol = if srid == 4326 { 1.000001e-9 } else { 0.0100001 };
        for (d, m) in from_db.iter().zip(&from_mem) {
            assert_eq!(d.id, m.id);
            assert_eq!(d.properties, m.properties);
            same_geometry(&d.geometry, &m.geometry, tol, &format!("EPSG:{srid}, feature {}", d.id));
        }
        let members: Vec<usize> = from_mem
            .iter()
            .map(|i| i.geometry["geometries"].as_array().map_or(0, Vec::len))
            .collect();
        assert_eq!(
            members,
            [2, 4, 0],
            "EPSG:{srid}: members per feature (the nested collection flattened)"
        );
        assert_eq!(
            from_mem[1].geometry["geometries"][0]["type"], "MultiPolygon",
            "Multi* kept"
        );
        ids = from_mem.iter().map(|i| i.id).collect();
    }

    // The engine's input: every member, in lon/lat.
    let features: Vec<qala_core::Feature> = qala_server::memory::engine_features(LayerKind::Generic, mem.clone())
        .into_iter()
        .collect();
    let kinds: Vec<String> = features
        .iter()
        .map(|f| match &f.geometry {
            geo_types::Geometry::GeometryCollection(c) => format!("collection of {}", c.0.len()),
            g => qala_core::geometry::geometry_name(g).to_owned(),
        })
        .collect();
    assert_eq!(kinds, ["collection of 2", "collection of 4", "Point"]);
    let geo_types::Geometry::GeometryCollection(c) = &features[0].geometry else {
        unreachable!()
    };
    let geo_types::Geometry::Point(p) = c.0[0] else {
        panic!("first member is the point: {:?}", c.0[0])
    };
    assert!((p.x() - lon).abs() < 1e-9 && (p.y() - lat).abs() < 1e-9, "{p:?}");

    // A tile: the first collection draws its point, the second its two polygons.
    let n = 2f64.powi(14);
    let x = ((lon + 180.0) / 360.0 * n) as u32;
    let y =
        ((1.0 - (lat.to_radians().tan() + 1.0 / lat.to_radians().cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32;
    let mut tile = Vec::new();
    mem.cut_into(qala_tiles::TileCoord::new(14, x, y).unwrap(), 1 << 20, &mut tile);
    let layers = qala_tiles::mvt_decode::decode(&tile).unwrap();
    let by_id = |id: i64| {
        layers[0]
            .features
            .iter()
            .find(|f| f.id == u64::try_from(id).ok())
            .unwrap_or_else(|| panic!("feature {id} is in the tile: {:?}", layers[0].features))
    };
    assert_eq!(by_id(ids[0]).geom_type, 1, "drawn as its first member, a point");
    let second = by_id(ids[1]);
    assert_eq!(second.geom_type, 3, "drawn as polygons");
    assert_eq!(
        second.parts.len(),
        2,
        "both polygon members, one ring each: {:?}",
        second.parts
    );
}
