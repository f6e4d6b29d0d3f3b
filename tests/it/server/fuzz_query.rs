//! The query parameters qala parses itself (bbox, bbox-crs, crs, datetime, limit, after,
//! property filters, f), fuzzed at the HTTP boundary over the fixtures: proptest builds
//! query strings from valid and hostile pieces (NUL, bad UTF-8, huge and non-finite
//! numbers, 5-number boxes, boxes outside a CRS's domain, reversed intervals, unicode), each
//! is sent while the database answers and again while items come from memory. Every answer
//! is a 200 FeatureCollection or a 400 of the catalogue, never a 5xx, and both paths return
//! the same features. Fixed seed and case count.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use qala_server::error::Code;

use super::http::App;
use crate::common::{fresh_db, qala_ok};

const CASES: usize = 250;

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~,:/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (-180.0f64..180.0).prop_map(|v| v.to_string()),
        (76.8f64..77.2).prop_map(|v| format!("{v:.4}")),
        (-1e7f64..1e7).prop_map(|v| v.to_string()),
        any::<f64>().prop_map(|v| v.to_string()),
        Just("NaN".to_owned()),
        Just("inf".to_owned()),
        Just("-1e309".to_owned()),
        Just("".to_owned()),
        "[0-9a-z.+-]{1,6}",
    ]
}

fn bbox() -> impl Strategy<Value = String> {
    prop::collection::vec(number(), 0..8).prop_map(|v| v.join(","))
}

fn crs() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("http://www.opengis.net/def/crs/OGC/1.3/CRS84".to_owned()),
        Just("http://www.opengis.net/def/crs/EPSG/0/4326".to_owned()),
        Just("http://www.opengis.net/def/crs/EPSG/0/3857".to_owned()),
        Just("http://www.opengis.net/def/crs/EPSG/0/32643".to_owned()),
        Just("EPSG:32643".to_owned()),
        Just("EPSG:2154".to_owned()),
        "EPSG:[0-9]{1,7}",
        any::<String>(),
    ]
}

fn datetime() -> impl Strategy<Value = String> {
    let date = prop_oneof![
        (1900i32..2100, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        Just("..".to_owned()),
        Just("".to_owned()),
        "[0-9T:Z-]{1,24}",
        any::<String>(),
    ];
    prop_oneof![date.clone(), (date.clone(), date).prop_map(|(a, b)| format!("{a}/{b}")),]
}

fn text_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("planned".to_owned()),
        Just("school".to_owned()),
        Just("\0".to_owned()),
        "[a-z_]{0,12}",
        "[0-9.eE+-]{1,8}",
        any::<String>(),
    ]
}

/// (layer, field names) of the fixtures this test reads.
const LAYERS: [(&str, &[&str]); 4] = [
    ("services", &["capacity", "category", "name"]),
    (
        "tree-fellings",
        &[
            "compensation_ratio",
            "dbh_sum_cm",
            "felled_on",
            "trees_felled",
            "reason",
        ],
    ),
    ("bike-lanes", &["status", "planned_year", "facility"]),
    ("population", &["residents"]),
];

/// One request: a layer and its query string (some pieces raw, some percent-encoded).
fn request() -> impl Strategy<Value = String> {
    let piece = |layer: usize| {
        let fields: Vec<String> = LAYERS[layer].1.iter().map(|s| (*s).to_owned()).collect();
        prop_oneof![
            bbox().prop_map(|b| format!("bbox={}", enc(&b))),
            crs().prop_map(|c| format!("bbox-crs={}", enc(&c))),
            crs().prop_map(|c| format!("crs={}", enc(&c))),
            datetime().prop_map(|d| format!("datetime={}", enc(&d))),
            prop_oneof![
                (1i64..200).prop_map(|n| n.to_string()),
                any::<i64>().prop_map(|n| n.to_string()),
                "[a-z0-9.-]{0,5}"
            ]
            .prop_map(|l| format!("limit={}", enc(&l))),
            prop_oneof![any::<i64>().prop_map(|n| n.to_string()), "[a-z0-9]{0,5}"]
                .prop_map(|a| format!("after={}", enc(&a))),
            (prop::sample::select(fields), text_value()).prop_map(|(f, v)| format!("{f}={}", enc(&v))),
            prop_oneof![
                Just("f=json"),
                // Not offered (html, csv and gpkg are: tests/it/server/html.rs).
                Just("f=xml"),
                Just("%ZZ=1"),
                Just("x=%FF"),
                Just("x=%00"),
                Just("filter=a")
            ]
            .prop_map(str::to_owned),
        ]
    };
    (0usize..LAYERS.len()).prop_flat_map(move |layer| {
        prop::collection::vec(piece(layer), 0..5)
            .prop_map(move |pieces| format!("/collections/{}/items?{}", LAYERS[layer].0, pieces.join("&")))
    })
}

/// Status and, for a 200, the feature ids; panics on anything that is neither.
async fn answer(app: &App, uri: &str) -> (u16, Result<Vec<i64>, String>) {
    let r = app.get(uri).await;
    let j = r.json();
    match r.status.as_u16() {
        200 => {
            assert_eq!(j["type"], "FeatureCollection", "{uri}");
            let ids = j["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].as_i64().unwrap())
                .collect();
            (200, Ok(ids))
        }
        400 => {
            let code = j["code"].as_str().unwrap();
            assert!(Code::from_code(code).is_some_and(|c| c.status() == 400), "{uri}: {j}");
            (400, Err(code.to_owned()))
        }
        s => panic!("{uri}: {s} {j}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_items_queries_are_200_or_400_and_memory_agrees_with_the_database() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let app = App::new(&db).await;
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
    let uris: Vec<String> = (0..CASES)
        .map(|_| request().new_tree(&mut runner).unwrap().current())
        .collect();
    let mut from_db = Vec::with_capacity(CASES);
    for uri in &uris {
        from_db.push(answer(&app, uri).await);
    }
    app.state
        .mark_db_down(&std::io::Error::other("test: answer from memory"));
    let mut differ = Vec::new();
    for (uri, db_answer) in uris.iter().zip(&from_db) {
        let mem = answer(&app, uri).await;
        if &mem != db_answer {
            differ.push(format!("{uri}: database {db_answer:?}, memory {mem:?}"));
        }
    }
    let ok = from_db.iter().filter(|(s, _)| *s == 200).count();
    eprintln!(
        "{CASES} queries: {ok} answered 200, {} refused 400, on both paths",
        CASES - ok
    );
    assert!(ok > CASES / 10, "too few valid queries to compare the paths: {ok}");
    assert!(
        differ.is_empty(),
        "{} queries differ:\n{}",
        differ.len(),
        differ.join("\n")
    );
}
