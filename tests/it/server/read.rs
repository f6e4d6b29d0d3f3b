//! Reads over the loaded fixtures: layers, tiles, TileJSON, OGC API Features, indicators,
//! operations; and every bad parameter a clear 4xx.

use std::collections::BTreeSet;
use std::io::Read;

use qala_tiles::PropValue;
use qala_tiles::mvt_decode::decode;

use super::http::{App, tile_at};
use crate::common::{fresh_db, qala_ok};

const CENTRE: (f64, f64) = qala_core::REPUBLIC_SQUARE_WGS84;

#[tokio::test(flavor = "multi_thread")]
async fn fixtures_served_as_tiles_features_and_indicators() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let app = App::new(&db).await;

    // /health and /layers
    let h = app.get("/health").await.json();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["database"], "ok");
    let layers = app.get("/layers").await.json();
    let slugs: BTreeSet<&str> = layers
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs.len(), 15, "{slugs:?}");
    let lanes = layers
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["slug"] == "bike-lanes")
        .unwrap();
    assert_eq!(lanes["synthetic"], true);
    assert_eq!(lanes["kind"], "bike_lane");
    assert!(lanes["title"]["kk"].as_str().is_some_and(|t| !t.is_empty()));
    let bbox: Vec<f64> = serde_json::from_value(lanes["bbox"].clone()).unwrap();
    assert!(
        bbox[0] > 76.5 && bbox[2] < 77.3 && bbox[1] > 42.9 && bbox[3] < 43.7,
        "{bbox:?}"
    );
    assert!(lanes["feature_count"].as_i64().unwrap() > 0);

    // TileJSON
    let tj = app.get("/tiles/bike-lanes,green-spaces.json").await.json();
    assert_eq!(tj["tilejson"], "3.0.0");
    let v = |slug: &str| app.state.tiles.layer(slug).unwrap().version_id;
    assert_eq!(
        tj["tiles"][0],
        format!(
            "/tiles/bike-lanes@{},green-spaces@{}/{{z}}/{{x}}/{{y}}.mvt",
            v("bike-lanes"),
            v("green-spaces")
        )
    );
    assert_eq!(tj["vector_layers"][0]["id"], "bike-lanes");
    assert_eq!(tj["vector_layers"][0]["fields"]["status"], "String");
    assert_eq!(tj["vector_layers"][1]["fields"]["public_access"], "Boolean");

    // A tile of several layers: MVT layer names are slugs, properties are the typed fields + id
    let t = app
        .get(&format!(
            "/tiles/districts,services,roads/{}.mvt",
            tile_at(13, CENTRE.0, CENTRE.1)
        ))
        .await;
    assert_eq!(t.status, 200);
    assert_eq!(t.header("content-type"), Some("application/vnd.mapbox-vector-tile"));
    let decoded = decode(&t.body).unwrap();
    let names: Vec<&str> = decoded.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["districts", "services", "roads"]);
    let district = &decoded[0].features[0];
    assert_eq!(district.geom_type, 3);
    assert!(matches!(district.props.get("akimat_id"), Some(PropValue::Int(1..=8))));
    assert!(matches!(district.props.get("name_en"), Some(PropValue::Str(_))));
    assert_eq!(
        district.props.get("id").map(|v| matches!(v, PropValue::Int(_))),
        Some(true)
    );
    assert_eq!(
        district.props.get("id"),
        district.id.map(|i| PropValue::Int(i as i64)).as_ref()
    );
    assert!(
        decoded[1]
            .features
            .iter()
            .all(|f| f.geom_type == 1 && f.props.contains_key("category"))
    );
    assert!(
        decoded[2]
            .features
            .iter()
            .all(|f| f.geom_type == 2 && f.props.contains_key("highway"))
    );

    // The same feature id in the tile and in OGC items
    let fid = district.id.unwrap();
    let item = app.get(&format!("/collections/districts/items/{fid}")).await;
    assert_eq!(item.status, 200);
    assert_eq!(
        item.json()["properties"]["akimat_id"],
        match district.props.get("akimat_id") {
            Some(PropValue::Int(n)) => serde_json::json!(n),
            _ => unreachable!(),
        }
    );

    // No tile above 500 KB at any zoom over the centre, all layers at once
    let all = slugs.iter().copied().collect::<Vec<_>>().join(",");
    for z in 0..=18u8 {
        let t = app
            .get(&format!("/tiles/{all}/{}.mvt", tile_at(z, CENTRE.0, CENTRE.1)))
            .await;
        assert_eq!(t.status, 200, "z{z}");
        assert!(
            t.body.len() <= qala_tiles::MAX_TILE_BYTES,
            "z{z}: {} bytes",
            t.body.len()
        );
        if (4..=16).contains(&z) {
            assert!(!decode(&t.body).unwrap().is_empty(), "z{z} is empty over the centre");
        }
    }

    // Compression, ETag and If-None-Match
    let uri = format!("/tiles/buildings,roads/{}.mvt", tile_at(14, CENTRE.0, CENTRE.1));
    let plain = app.get(&uri).await;
    let gz = app.get_with(&uri, &[("accept-encoding", "gzip")]).await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    let mut unz = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut unz)
        .unwrap();
    assert_eq!(unz, plain.body);
    assert!(gz.body.len() < plain.body.len());
    let etag = gz.header("etag").unwrap().to_owned();
    assert_ne!(Some(etag.as_str()), plain.header("etag"));
    let again = app
        .get_with(&uri, &[("accept-encoding", "gzip"), ("if-none-match", &etag)])
        .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    let br = app.get_with(&uri, &[("accept-encoding", "gzip, br")]).await;
    assert_eq!(br.header("content-encoding"), Some("br"));

    // OGC API Features
    let landing = app.get_with("/", &[("accept", "application/json")]).await.json();
    let rels: BTreeSet<&str> = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    assert!(rels.is_superset(&["service-desc", "conformance", "data"].into_iter().collect()));
    let conf = app.get("/conformance").await.json();
    assert!(
        conf["conformsTo"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().ends_with("conf/geojson"))
    );
    let api = app.get("/api").await;
    assert_eq!(api.json()["openapi"], "3.0.3");
    let cols = app.get("/collections").await.json();
    assert_eq!(
        cols["collections"].as_array().unwrap().len(),
        16,
        "15 layers (with the synthetic elevation model) and the residents' proposals"
    );
    let fell = app.get("/collections/tree-fellings").await.json();
    assert!(fell["extent"]["temporal"]["interval"][0][0].is_string(), "{fell}");

    // keyset paging: every district exactly once, ids ascending
    let mut seen = Vec::new();
    let mut uri = "/collections/districts/items?limit=3".to_owned();
    loop {
        let page = app.get(&uri).await;
        assert_eq!(page.header("content-type"), Some("application/geo+json"));
        let page = page.json();
        assert!(page["numberReturned"].as_u64().unwrap() <= 3);
        for f in page["features"].as_array().unwrap() {
            assert_eq!(f["type"], "Feature");
            assert_eq!(f["geometry"]["type"], "MultiPolygon");
            seen.push(f["id"].as_i64().unwrap());
        }
        match page["links"].as_array().unwrap().iter().find(|l| l["rel"] == "next") {
            Some(n) => {
                uri = n["href"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("http://qala.test")
                    .to_owned()
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 8);
    assert!(seen.windows(2).all(|w| w[0] < w[1]));

    // property filter, bbox, datetime, crs
    let schools = app
        .get("/collections/services/items?category=school&limit=1000")
        .await
        .json();
    let n_schools = schools["features"].as_array().unwrap().len();
    assert!(n_schools > 10);
    assert!(
        schools["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["properties"]["category"] == "school")
    );
    // Part 3: every queryable is a usable filter, with its allowed codes
    let q = app.get("/collections/services/queryables").await;
    assert_eq!(q.header("content-type"), Some("application/schema+json"));
    let q = q.json();
    assert_eq!(q["type"], "object");
    assert_eq!(
        q["properties"]["geometry"]["$ref"],
        "https://geojson.org/schema/Point.json"
    );
    let codes = q["properties"]["category"]["enum"].as_array().unwrap();
    assert!(codes.iter().any(|c| c == "school") && codes.iter().any(|c| c == "bus_stop"));
    for name in q["properties"].as_object().unwrap().keys().filter(|k| *k != "geometry") {
        let probe = app.get(&format!("/collections/services/items?{name}=x&limit=1")).await;
        assert_ne!(
            probe.json()["code"],
            "unknown_parameter",
            "queryable {name} is no filter"
        );
    }
    let fell_q = app.get("/collections/tree-fellings/queryables").await.json();
    assert_eq!(fell_q["properties"]["felled_on"]["format"], "date");
    assert!(
        conf["conformsTo"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().ends_with("ogcapi-features-3/1.0/conf/queryables"))
    );
    assert_eq!(app.get("/collections/nowhere/queryables").await.status, 404);
    let (x, y) = CENTRE;
    let near = app
        .get(&format!(
            "/collections/services/items?category=school&limit=1000&bbox={},{},{},{}",
            x - 0.02,
            y - 0.02,
            x + 0.02,
            y + 0.02
        ))
        .await
        .json();
    let near = near["features"].as_array().unwrap();
    assert!(!near.is_empty() && near.len() < n_schools);
    for f in near {
        let c = f["geometry"]["coordinates"].as_array().unwrap();
        let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        assert!((lon - x).abs() <= 0.02 + 1e-9 && (lat - y).abs() <= 0.02 + 1e-9);
    }
    // datetime on the one date of plantings; fellings have two dates: there, a CQL2 filter.
    let recent = app
        .get("/collections/tree-plantings/items?datetime=2024-01-01/..&limit=10000")
        .await
        .json();
    let all_planted = app.get("/collections/tree-plantings/items?limit=10000").await.json();
    let recent = recent["features"].as_array().unwrap();
    assert!(!recent.is_empty() && recent.len() < all_planted["features"].as_array().unwrap().len());
    assert!(
        recent
            .iter()
            .all(|f| f["properties"]["planted_on"].as_str().unwrap() >= "2024-01-01")
    );
    app.get("/collections/tree-fellings/items?datetime=2024-01-01/..")
        .await
        .assert_error(400, "invalid_datetime");
    let recent = app
        .get("/collections/tree-fellings/items?filter=felled_on%20%3E%3D%20DATE('2024-01-01')&limit=10000")
        .await
        .json();
    let all_fell = app.get("/collections/tree-fellings/items?limit=10000").await.json();
    let recent = recent["features"].as_array().unwrap();
    assert!(!recent.is_empty() && recent.len() < all_fell["features"].as_array().unwrap().len());
    assert!(
        recent
            .iter()
            .all(|f| f["properties"]["felled_on"].as_str().unwrap() >= "2024-01-01")
    );
    let m = app
        .get("/collections/districts/items?limit=1&crs=http://www.opengis.net/def/crs/EPSG/0/3857")
        .await;
    assert_eq!(
        m.header("content-crs"),
        Some("<http://www.opengis.net/def/crs/EPSG/0/3857>")
    );
    let x3857 = m.json()["features"][0]["geometry"]["coordinates"][0][0][0][0]
        .as_f64()
        .unwrap();
    assert!(x3857 > 8.5e6 && x3857 < 8.7e6, "{x3857}");

    // indicators (the engine is built in the background)
    let defs = app.get("/indicators").await.json();
    assert!(defs.as_array().unwrap().iter().any(|d| d["id"] == "green_300m_who"));
    let mut r = app.get("/indicators/school_500m?zones=districts").await;
    for _ in 0..100 {
        if r.status != 503 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        r = app.get("/indicators/school_500m?zones=districts").await;
    }
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["zones"].as_array().unwrap().len(), 8);
    let csv = app.get("/indicators/school_500m?zones=districts&format=csv").await;
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let text = String::from_utf8(csv.body).unwrap();
    assert!(text.starts_with("indicator,version,scheme,zone"));
    assert_eq!(text.lines().count(), 1 + 8 + 3);
    let zones = app.get("/zones/districts").await.json();
    assert_eq!(zones["features"].as_array().unwrap().len(), 8);
    let acc = app
        .get("/access?layer=services&radius_m=500&where=category=pharmacy")
        .await;
    assert_eq!(acc.status, 200, "{}", String::from_utf8_lossy(&acc.body));
    let v = acc.json()["city"]["value"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&v));

    // /metrics counts what we did
    let metrics = String::from_utf8(app.get("/metrics").await.body).unwrap();
    assert!(
        metrics.contains("qala_http_requests_total{route=\"/tiles/{layers}/{z}/{x}/{y_mvt}\",status=\"200\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("qala_tile_cache_hits_total"));

    // Bad parameters: each a clear 4xx with a stable code
    app.get("/tiles/roads/40/0/0.mvt")
        .await
        .assert_error(400, "invalid_tile");
    app.get("/tiles/roads/3/8/0.mvt")
        .await
        .assert_error(400, "invalid_tile");
    app.get("/tiles/roads/a/0/0.mvt")
        .await
        .assert_error(400, "invalid_tile");
    app.get("/tiles/no-such-layer/1/0/0.mvt")
        .await
        .assert_error(404, "layer_not_found");
    app.get("/tiles/Roads/1/0/0.mvt")
        .await
        .assert_error(400, "invalid_slug");
    app.get("/collections/districts/items?bbox=77,43,76,44")
        .await
        .assert_error(400, "invalid_bbox");
    app.get("/collections/districts/items?bbox=1,2,3")
        .await
        .assert_error(400, "invalid_bbox");
    app.get("/collections/districts/items?limit=1000000000")
        .await
        .assert_error(400, "invalid_limit");
    app.get("/collections/districts/items?limit=0")
        .await
        .assert_error(400, "invalid_limit");
    app.get("/collections/nope/items")
        .await
        .assert_error(404, "layer_not_found");
    app.get("/collections/nope").await.assert_error(404, "layer_not_found");
    app.get("/collections/districts/items?colour=red")
        .await
        .assert_error(400, "unknown_parameter");
    app.get("/collections/districts/items?akimat_id=two")
        .await
        .assert_error(400, "invalid_parameter");
    app.get("/collections/districts/items?datetime=2024-13-01")
        .await
        .assert_error(400, "invalid_datetime");
    app.get("/collections/roads/items?datetime=2024-01-01")
        .await
        .assert_error(400, "invalid_datetime");
    app.get("/collections/districts/items?crs=EPSG:2154")
        .await
        .assert_error(400, "invalid_crs");
    app.get("/collections/districts/items?after=abc")
        .await
        .assert_error(400, "invalid_cursor");
    app.get("/collections/districts/items/999999999")
        .await
        .assert_error(404, "feature_not_found");
    app.get("/indicators/nope").await.assert_error(404, "unknown_indicator");
    // a zone scheme that is neither built in nor a layer
    app.get("/indicators/school_500m?zones=nowhere")
        .await
        .assert_error(404, "layer_not_found");
    app.get("/indicators/school_500m?zones=rings:5,2")
        .await
        .assert_error(400, "invalid_bands");
    app.get("/access?layer=services&radius_m=-5")
        .await
        .assert_error(400, "invalid_radius");
    app.get("/no/such/path").await.assert_error(404, "not_found");
    // no web app in this configuration: / for a browser says how to build it
    app.get_with("/", &[("accept", "text/html")])
        .await
        .assert_error(503, "web_app_missing");
}
