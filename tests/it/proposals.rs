//! Residents' proposals (issue 13) end to end over the HTTP router against real PostGIS with
//! the fixtures loaded: submit → hidden → approved → public without contact; every bad input
//! refused with its code and nothing stored; supports once per client; near-duplicates;
//! moderation roles and the lifecycle; merging; EXIF stripped; per-zone counts against an
//! independent PostGIS count; the synthetic set.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::body::Body;
use axum::http::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::qala_ok;
use crate::ingest::loaded_db;
use crate::server::http::{App, Resp};

fn client(n: u8) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(198, 51, 100, n)), 50000)
}

async fn post(app: &App, from: SocketAddr, uri: &str, token: Option<&str>, body: Value) -> Resp {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut h = vec![("content-type", "application/json")];
    if let Some(a) = &auth {
        h.push(("authorization", a.as_str()));
    }
    app.send_from(from, Method::POST, uri, &h, Body::from(body.to_string()))
        .await
}

async fn get(app: &App, uri: &str, token: Option<&str>) -> Resp {
    let auth = token.map(|t| format!("Bearer {t}"));
    let h: Vec<(&str, &str)> = auth.iter().map(|a| ("authorization", a.as_str())).collect();
    app.get_with(uri, &h).await
}

fn point(lon: f64, lat: f64) -> Value {
    json!({"type": "Point", "coordinates": [lon, lat]})
}

fn multipart(proposal: &Value, photo: Option<&[u8]>) -> (String, Body) {
    let boundary = "qalaProposalBoundary42";
    let mut b = Vec::new();
    b.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"proposal\"\r\nContent-Type: application/json\r\n\r\n{proposal}\r\n").as_bytes(),
    );
    if let Some(p) = photo {
        b.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").as_bytes(),
        );
        b.extend_from_slice(p);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), Body::from(b))
}

/// A JPEG whose APP1 segment is EXIF with a GPS position.
fn jpeg_with_gps() -> Vec<u8> {
    let seg = |marker: u8, payload: &[u8]| {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
        s.extend_from_slice(payload);
        s
    };
    let mut j = vec![0xFF, 0xD8];
    j.extend(seg(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
    j.extend(seg(0xE1, b"Exif\0\0MM\0*GPSLatitude 43.238949 GPSLongitude 76.945465"));
    j.extend(seg(0xDB, &[0u8; 65]));
    j.extend(seg(0xC0, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]));
    j.extend(seg(0xDA, &[1, 1, 0, 0, 0x3F, 0]));
    j.extend_from_slice(&[0x12, 0x34, 0xFF, 0xD9]);
    j
}

async fn stored(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM proposal WHERE NOT synthetic")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// Points inside districts (a point on each district's surface, moved a little).
async fn inside_points(pool: &PgPool) -> Vec<(f64, f64)> {
    sqlx::query_as("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p, akimat_id FROM district_current) s ORDER BY akimat_id")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn proposals_submit_moderate_support_and_refuse() {
    let (db, pool) = loaded_db().await;
    let moderator = qala_ok(&db, &["token", "create", "--role", "moderator"])
        .trim()
        .to_owned();
    let planner = qala_ok(&db, &["token", "create", "--role", "planner"])
        .trim()
        .to_owned();
    let app = App::new(&db).await;
    let pts = inside_points(&pool).await;
    let (lon, lat) = pts[0];

    // the synthetic set: 1,077, flagged, with the shares
    let shares: Vec<(String, i64)> = sqlx::query_as(
        "SELECT category, count(*) FROM proposal WHERE synthetic GROUP BY category ORDER BY count(*) DESC",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(shares.iter().map(|s| s.1).sum::<i64>(), 1077);
    assert_eq!(shares[0], ("mobility_transport".to_owned(), 431));
    assert_eq!(shares[1].0, "greening_air");
    let public = get(&app, "/proposals?limit=5000", None).await;
    assert_eq!(public.status, 200);
    let pj = public.json();
    let n_public = pj["numberMatched"].as_i64().unwrap();
    assert!(n_public > 700 && n_public < 1077, "{n_public}");
    assert!(
        pj["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["properties"]["synthetic"] == true)
    );
    assert_eq!(pj["synthetic_count"], n_public);

    // submit (with a contact): stored, not public
    let contact = "resident-secret@example.kz";
    let text = "Нужен светофор на перекрёстке у школы";
    let r = post(
        &app,
        client(1),
        "/proposals",
        None,
        json!({"geometry": point(lon, lat), "category": "mobility_transport", "text": text, "contact": contact}),
    )
    .await;
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["id"].as_i64().unwrap();
    get(&app, &format!("/proposals/{id}"), None)
        .await
        .assert_error(404, "proposal_not_found");
    let listed = get(&app, "/proposals?limit=5000&category=mobility_transport", None).await;
    assert!(
        !listed.json()["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == id)
    );
    // the queue shows it to a moderator, with the contact
    let q = get(&app, "/moderation/proposals?limit=5000", Some(&moderator)).await;
    assert_eq!(q.status, 200);
    let qf = q.json();
    let mine = qf["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(mine["properties"]["contact"], contact);

    // moderation by a non-moderator: refused, nothing changes
    let uri = format!("/proposals/{id}/moderation");
    post(&app, client(1), &uri, None, json!({"action": "approve"}))
        .await
        .assert_error(401, "unauthorized");
    post(&app, client(1), &uri, Some(&planner), json!({"action": "approve"}))
        .await
        .assert_error(403, "forbidden");
    get(&app, &format!("/proposals/{id}"), None)
        .await
        .assert_error(404, "proposal_not_found");
    // reject needs a reason
    post(&app, client(1), &uri, Some(&moderator), json!({"action": "reject"}))
        .await
        .assert_error(422, "reason_required");

    // approve: public, without contact and client hash
    let r = post(&app, client(1), &uri, Some(&moderator), json!({"action": "approve"})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    post(&app, client(1), &uri, Some(&moderator), json!({"action": "approve"}))
        .await
        .assert_error(409, "wrong_moderation");
    let one = get(&app, &format!("/proposals/{id}"), None).await;
    assert_eq!(one.status, 200);
    let body = String::from_utf8_lossy(&one.body).into_owned();
    assert!(
        !body.contains(contact) && !body.contains("client_hash") && !body.contains("contact"),
        "{body}"
    );
    assert_eq!(one.json()["properties"]["text"], text);
    for uri in ["/proposals?limit=5000", "/proposals?limit=5000&format=csv"] {
        let all = get(&app, uri, None).await;
        assert_eq!(all.status, 200);
        let t = String::from_utf8_lossy(&all.body);
        assert!(t.contains(text), "{uri}");
        assert!(!t.contains(contact), "{uri} leaks the contact");
    }

    // the lifecycle: a forbidden jump, then one step with a public answer, then declining without a reason
    let st = format!("/proposals/{id}/status");
    post(&app, client(1), &st, Some(&moderator), json!({"status": "done"}))
        .await
        .assert_error(409, "forbidden_status_change");
    post(&app, client(1), &st, Some(&moderator), json!({"status": "paused"}))
        .await
        .assert_error(422, "unknown_status");
    post(&app, client(1), &st, Some(&planner), json!({"status": "under_review"}))
        .await
        .assert_error(403, "forbidden");
    let r = post(
        &app,
        client(1),
        &st,
        Some(&moderator),
        json!({"status": "under_review", "public_answer": "The akimat is looking"}),
    )
    .await;
    assert_eq!(r.status, 200);
    post(&app, client(1), &st, Some(&moderator), json!({"status": "declined"}))
        .await
        .assert_error(422, "reason_required");
    let p = get(&app, &format!("/proposals/{id}"), None).await.json();
    assert_eq!(p["properties"]["status"], "under_review");
    assert_eq!(p["properties"]["public_answer"], "The akimat is looking");
    // who and when of every step
    let log: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT actor, actor_role, action, to_status FROM proposal_moderation WHERE proposal_id = $1 ORDER BY proposal_moderation_id",
    )
    .bind(id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log[0].0.starts_with("token:") && log[0].1 == "moderator" && log[0].2 == "approve");
    assert_eq!((log[1].2.as_str(), log[1].3.as_str()), ("status", "under_review"));

    // support: once per client; a pending proposal cannot be supported
    let su = format!("/proposals/{id}/support");
    let r = app.send_from(client(2), Method::POST, &su, &[], Body::empty()).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["supports"], 1);
    app.send_from(client(2), Method::POST, &su, &[], Body::empty())
        .await
        .assert_error(409, "already_supported");
    let r = app.send_from(client(3), Method::POST, &su, &[], Body::empty()).await;
    assert_eq!(r.json()["supports"], 2);
    // the same address with another browser is another client
    let r = app
        .send_from(
            client(3),
            Method::POST,
            &su,
            &[("user-agent", "other browser")],
            Body::empty(),
        )
        .await;
    assert_eq!(r.json()["supports"], 3);

    // a near-duplicate: same category, 10 m away, much the same words
    let before = stored(&pool).await;
    let r = post(
        &app,
        client(4),
        "/proposals",
        None,
        json!({"geometry": point(lon + 0.0001, lat), "category": "mobility_transport", "text": "нужен светофор на перекрёстке у школы!"}),
    )
    .await;
    r.assert_error(409, "duplicate_proposal");
    assert_eq!(r.json()["existing_id"], id);
    // another category at the same place is not a duplicate
    let r = post(
        &app,
        client(4),
        "/proposals",
        None,
        json!({"geometry": point(lon + 0.0001, lat), "category": "safety", "text": "нужен светофор на перекрёстке у школы"}),
    )
    .await;
    assert_eq!(r.status, 202);
    let other_id = r.json()["id"].as_i64().unwrap();
    assert_eq!(stored(&pool).await, before + 1);

    // every bad input: its code, and nothing stored
    let before = stored(&pool).await;
    let ok_geom = point(pts[1].0, pts[1].1);
    let bad: Vec<(Value, u16, &str)> = vec![
        (
            json!({"geometry": point(10.0, 10.0), "category": "safety", "text": "far away"}),
            422,
            "outside_city",
        ),
        (
            json!({"geometry": point(76.0, 43.0), "category": "safety", "text": "west of the city"}),
            422,
            "outside_city",
        ),
        (
            json!({"geometry": ok_geom, "category": "safety", "text": ""}),
            422,
            "text_empty",
        ),
        (
            json!({"geometry": ok_geom, "category": "safety", "text": "   \n"}),
            422,
            "text_empty",
        ),
        (
            json!({"geometry": ok_geom, "category": "safety", "text": "я".repeat(40_000)}),
            422,
            "text_too_long",
        ),
        (
            json!({"geometry": ok_geom, "category": "teleportation", "text": "a portal"}),
            422,
            "unknown_category",
        ),
        (
            json!({"geometry": {"type": "Point", "coordinates": [500, 43]}, "category": "safety", "text": "x"}),
            422,
            "invalid_geometry",
        ),
        (
            json!({"geometry": {"type": "Polygon", "coordinates": [[[76.9, 43.2], [76.91, 43.2], [76.9, 43.2]]]}, "category": "safety", "text": "bad ring"}),
            422,
            "invalid_geometry",
        ),
        (
            json!({"geometry": ok_geom, "category": "safety", "text": "x", "contact": "c".repeat(500)}),
            422,
            "invalid_contact",
        ),
        (json!({"geometry": ok_geom, "category": "safety"}), 400, "invalid_body"),
    ];
    for (i, (b, status, code)) in bad.iter().enumerate() {
        let r = post(
            &app,
            client(100 + u8::try_from(i).unwrap()),
            "/proposals",
            None,
            b.clone(),
        )
        .await;
        r.assert_error(*status, code);
    }
    // photos: 50 MB, not an image
    let sub = json!({"geometry": ok_geom, "category": "public_space", "text": "a bench here"});
    let (ct, body) = multipart(&sub, Some(&vec![0xFFu8; 50 << 20]));
    let r = app
        .send_from(
            client(120),
            Method::POST,
            "/proposals",
            &[("content-type", ct.as_str())],
            body,
        )
        .await;
    r.assert_error(413, "photo_too_large");
    let (ct, body) = multipart(&sub, Some(b"%PDF-1.7 this is not a photo"));
    let r = app
        .send_from(
            client(121),
            Method::POST,
            "/proposals",
            &[("content-type", ct.as_str())],
            body,
        )
        .await;
    r.assert_error(422, "invalid_photo");
    // the honeypot: answered, not stored
    let r = post(
        &app,
        client(122),
        "/proposals",
        None,
        json!({"geometry": ok_geom, "category": "other", "text": "buy cheap pills", "website": "http://spam.example"}),
    )
    .await;
    assert_eq!(r.status, 202);
    assert!(r.json()["id"].is_null());
    assert_eq!(stored(&pool).await, before, "a refused submission stored something");

    // the 11th submission in a minute from one client
    let before = stored(&pool).await;
    let words = [
        "bench", "tree", "lamp", "bin", "crossing", "ramp", "fountain", "shade", "kiosk", "toilet", "stop",
    ];
    for (i, w) in words.iter().enumerate() {
        let (x, y) = pts[i % pts.len()];
        let r = post(
            &app,
            client(9),
            "/proposals",
            None,
            json!({"geometry": point(x + 0.001 * i as f64 / 10.0, y), "category": "public_space", "text": format!("please add a {w} here")}),
        )
        .await;
        if i < 10 {
            assert_eq!(r.status, 202, "{i}: {}", String::from_utf8_lossy(&r.body));
        } else {
            r.assert_error(429, "too_many_submissions");
            let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=60).contains(&wait));
        }
    }
    assert_eq!(stored(&pool).await, before + 10);

    // a photo with EXIF GPS: stored and served without it
    let jpeg = jpeg_with_gps();
    assert!(String::from_utf8_lossy(&jpeg).contains("GPSLatitude"));
    let sub = json!({"geometry": point(pts[2].0, pts[2].1), "category": "greening_air", "text": "plant lindens on this street"});
    let (ct, body) = multipart(&sub, Some(&jpeg));
    let r = app
        .send_from(
            client(30),
            Method::POST,
            "/proposals",
            &[("content-type", ct.as_str())],
            body,
        )
        .await;
    assert_eq!(r.status, 202, "{}", String::from_utf8_lossy(&r.body));
    let photo_id = r.json()["id"].as_i64().unwrap();
    let kept: Vec<u8> = sqlx::query_scalar("SELECT photo FROM proposal WHERE proposal_id = $1")
        .bind(photo_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    let kept_text = String::from_utf8_lossy(&kept);
    assert!(!kept_text.contains("GPS") && !kept_text.contains("Exif"), "{kept_text}");
    assert!(kept.starts_with(&[0xFF, 0xD8]) && kept.ends_with(&[0x12, 0x34, 0xFF, 0xD9]));
    get(&app, &format!("/proposals/{photo_id}/photo"), None)
        .await
        .assert_error(404, "proposal_not_found");
    post(
        &app,
        client(1),
        &format!("/proposals/{photo_id}/moderation"),
        Some(&moderator),
        json!({"action": "approve"}),
    )
    .await;
    let served = get(&app, &format!("/proposals/{photo_id}/photo"), None).await;
    assert_eq!(served.status, 200);
    assert_eq!(served.header("content-type"), Some("image/jpeg"));
    assert_eq!(served.body, kept);

    // merge: the duplicate's supports and author move to the proposal kept
    post(
        &app,
        client(1),
        &format!("/proposals/{other_id}/moderation"),
        Some(&moderator),
        json!({"action": "approve"}),
    )
    .await;
    let r = app
        .send_from(
            client(50),
            Method::POST,
            &format!("/proposals/{other_id}/support"),
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(r.status, 201);
    let mu = format!("/proposals/{other_id}/merge");
    post(&app, client(1), &mu, Some(&moderator), json!({"into": other_id}))
        .await
        .assert_error(409, "invalid_merge");
    post(&app, client(1), &mu, None, json!({"into": id}))
        .await
        .assert_error(401, "unauthorized");
    let r = post(&app, client(1), &mu, Some(&moderator), json!({"into": id})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["properties"]["moderation"], "merged");
    get(&app, &format!("/proposals/{other_id}"), None)
        .await
        .assert_error(404, "proposal_not_found");
    // 3 before + client 50 + the author of the duplicate (client 4)
    assert_eq!(
        get(&app, &format!("/proposals/{id}"), None).await.json()["properties"]["supports"],
        5
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn proposal_counts_per_zone_match_postgis() {
    let (_db, pool) = loaded_db().await;
    let app = App::new(&_db).await;
    let stats = loop {
        let r = app.get("/proposals/stats?zones=districts").await;
        if r.status == 503 {
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            continue;
        }
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        break r.json();
    };
    // the independent count: approved proposals in each district polygon
    let oracle: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT d.akimat_id::text, p.category, count(*)
         FROM district_current d JOIN proposal p ON ST_Contains(d.geom, ST_PointOnSurface(p.geom))
         WHERE p.moderation = 'approved' GROUP BY 1, 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(oracle.iter().map(|o| o.2).sum::<i64>() > 700);
    let outside: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM proposal p WHERE p.synthetic
           AND NOT EXISTS (SELECT 1 FROM city_boundary_current c WHERE ST_Contains(c.geom, p.geom))",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(outside, 0, "every synthetic proposal is inside the city");
    let zones = stats["zones"].as_array().unwrap();
    assert_eq!(zones.len(), 8);
    for z in zones {
        let zid = z["zone"].as_str().unwrap();
        let residents = z["residents"].as_f64().unwrap();
        for (cat, n) in z["by_category"].as_object().unwrap() {
            let want = oracle.iter().find(|o| o.0 == zid && &o.1 == cat).map_or(0, |o| o.2);
            assert_eq!(n.as_i64().unwrap(), want, "district {zid}, {cat}");
            let per = z["by_category_per_10k"][cat].as_f64().unwrap();
            assert!((per - want as f64 / residents * 10_000.0).abs() < 1e-9);
        }
    }
    // The public map's tiles: at the city's zoom, clusters whose counts add up to every public
    // proposal in the tile (checked against PostGIS); from zoom 14, each proposal with public
    // fields only.
    let approved_in = |z: u32, lon: f64, lat: f64| {
        let pool = pool.clone();
        async move {
            let t = crate::server::http::tile_at(z as u8, lon, lat);
            let (x, y) = t.split_once('/').map(|(_, r)| r.split_once('/').unwrap()).unwrap();
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM proposal WHERE moderation = 'approved'
                   AND ST_Intersects(ST_Transform(ST_PointOnSurface(geom), 3857), ST_TileEnvelope($1, $2, $3))",
            )
            .bind(z as i32)
            .bind(x.parse::<i32>().unwrap())
            .bind(y.parse::<i32>().unwrap())
            .fetch_one(&pool)
            .await
            .unwrap();
            (t, n)
        }
    };
    let (t10, n10) = approved_in(10, 76.92, 43.25).await;
    let r = app.get(&format!("/proposals/tiles/{t10}.mvt")).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let layers = qala_tiles::mvt_decode::decode(&r.body).unwrap();
    assert_eq!(layers.len(), 1);
    assert_eq!(layers[0].name, "proposals");
    let count = |f: &qala_tiles::mvt_decode::DecodedFeature| match f.props.get("point_count") {
        Some(qala_tiles::mvt::PropValue::Int(n)) => *n,
        other => panic!("point_count {other:?}"),
    };
    let clustered: i64 = layers[0].features.iter().map(count).sum();
    assert!(n10 > 100, "the city tile holds the synthetic proposals: {n10}");
    // A cluster is kept when its centre is in the tile (a buffer of 64 px around it): the
    // counts match those whose point is inside, give or take the buffer's.
    assert!(
        (clustered - n10).abs() * 20 <= n10,
        "clusters hold {clustered}, PostGIS counts {n10}"
    );
    assert!(layers[0].features.len() < n10 as usize, "grouped, not one feature each");
    let etag = r.headers.get("etag").unwrap().to_str().unwrap().to_owned();
    let again = app
        .get_with(
            &format!("/proposals/tiles/{t10}.mvt"),
            &[("if-none-match", etag.as_str())],
        )
        .await;
    assert_eq!(again.status, 304);
    let (t15, n15) = approved_in(15, 76.945, 43.238).await;
    let r = app.get(&format!("/proposals/tiles/{t15}.mvt")).await;
    assert_eq!(r.status, 200);
    let layers = qala_tiles::mvt_decode::decode(&r.body).unwrap_or_default();
    let feats = layers.first().map(|l| l.features.clone()).unwrap_or_default();
    assert!(
        feats.len() as i64 >= n15,
        "each proposal at zoom 15: {} < {n15}",
        feats.len()
    );
    for f in &feats {
        let keys: Vec<&str> = f.props.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["category", "status", "supports", "synthetic"],
            "public fields only"
        );
        assert!(f.id.is_some());
    }
    app.get("/proposals/tiles/23/0/0.mvt")
        .await
        .assert_error(400, "invalid_tile");
    app.get("/proposals/tiles/3/9/0.mvt")
        .await
        .assert_error(400, "invalid_tile");

    // The OGC collection of approved proposals: counts, paging, public fields, bad input.
    let approved: i64 = sqlx::query_scalar("SELECT count(*) FROM proposal WHERE moderation = 'approved'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let cols = app.get("/collections").await.json();
    assert!(
        cols["collections"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == "proposals")
    );
    let page = app
        .get("/collections/proposals/items?limit=100&category=mobility_transport")
        .await;
    assert_eq!(page.status, 200, "{}", String::from_utf8_lossy(&page.body));
    let pj = page.json();
    let mobility: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM proposal WHERE moderation = 'approved' AND category = 'mobility_transport'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(pj["numberMatched"], mobility);
    assert_eq!(pj["numberReturned"], 100);
    let next = pj["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "next")
        .expect("a next link");
    assert!(next["href"].as_str().unwrap().contains("offset=100"), "{next}");
    for f in pj["features"].as_array().unwrap() {
        assert_eq!(f["properties"]["category"], "mobility_transport");
        assert!(f["properties"].get("contact").is_none() && f["properties"].get("client_hash").is_none());
    }
    let all = app.get("/collections/proposals/items?limit=1").await.json();
    assert_eq!(all["numberMatched"], approved);
    let first = all["features"][0]["id"].as_i64().unwrap();
    let one = app.get(&format!("/collections/proposals/items/{first}")).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.json()["id"], first);
    let pending: Option<i64> =
        sqlx::query_scalar("SELECT proposal_id FROM proposal WHERE moderation <> 'approved' LIMIT 1")
            .fetch_optional(&pool)
            .await
            .unwrap();
    if let Some(p) = pending {
        app.get(&format!("/collections/proposals/items/{p}"))
            .await
            .assert_error(404, "not_found");
    }
    app.get("/collections/proposals/items/abc")
        .await
        .assert_error(404, "not_found");
    app.get("/collections/proposals/items?colour=red")
        .await
        .assert_error(400, "unknown_parameter");
    app.get("/collections/proposals/items?limit=0")
        .await
        .assert_error(400, "invalid_limit");
    let qy = app.get("/collections/proposals/queryables").await.json();
    assert!(qy["properties"]["status"]["enum"].as_array().unwrap().len() >= 6);

    // demand beside gap: both pairs with values for every zone and a correlation in [-1, 1]
    let d = app.get("/proposals/demand?zones=districts").await;
    assert_eq!(d.status, 200, "{}", String::from_utf8_lossy(&d.body));
    let dj = d.json();
    let pairs = dj["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 2);
    for p in pairs {
        let zs = p["zones"].as_array().unwrap_or_else(|| panic!("{p}"));
        assert_eq!(zs.len(), 8);
        let xy: Vec<(f64, f64)> = zs
            .iter()
            .filter_map(|z| Some((z["proposals_per_10k"].as_f64()?, z["indicator_value"].as_f64()?)))
            .collect();
        // Pearson's r recomputed here from the zones the answer lists
        let n = xy.len() as f64;
        let (mx, my) = (
            xy.iter().map(|v| v.0).sum::<f64>() / n,
            xy.iter().map(|v| v.1).sum::<f64>() / n,
        );
        let sxy: f64 = xy.iter().map(|v| (v.0 - mx) * (v.1 - my)).sum();
        let sxx: f64 = xy.iter().map(|v| (v.0 - mx).powi(2)).sum();
        let syy: f64 = xy.iter().map(|v| (v.1 - my).powi(2)).sum();
        let r = sxy / (sxx * syy).sqrt();
        assert!((p["pearson_r"].as_f64().unwrap() - r).abs() < 1e-9, "{p}");
        let pc = p["category"].as_str().unwrap();
        let total: i64 = zs.iter().map(|z| z["proposals"].as_i64().unwrap()).sum();
        let want: i64 = oracle.iter().filter(|o| o.1 == pc).map(|o| o.2).sum();
        assert_eq!(total, want, "{pc}");
    }
    // a new public proposal changes the figures (they are cached only while nothing changes)
    let first_total = |j: &Value| j["zones"][0]["proposals"].as_i64().unwrap();
    let again = app.get("/proposals/stats?zones=districts").await.json();
    assert_eq!(first_total(&again), first_total(&stats));
    sqlx::query(
        "INSERT INTO proposal (geom, category, body, client_hash, moderation)
         SELECT ST_PointOnSurface(geom), 'safety', 'one more', repeat('a', 64), 'approved'
         FROM district_current WHERE akimat_id::text = $1",
    )
    .bind(stats["zones"][0]["zone"].as_str().unwrap())
    .execute(&pool)
    .await
    .unwrap();
    let after = app.get("/proposals/stats?zones=districts").await.json();
    assert_eq!(first_total(&after), first_total(&stats) + 1);
    // rings and the CSV export
    let rings = app.get("/proposals/stats?zones=rings").await;
    assert_eq!(rings.status, 200);
    let total: i64 = rings.json()["zones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["proposals"].as_i64().unwrap())
        .sum();
    assert_eq!(
        total + rings.json()["outside_zones"].as_i64().unwrap(),
        after["proposals"].as_i64().unwrap()
    );
    let csv = app.get("/proposals/stats?zones=districts&format=csv").await;
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(String::from_utf8_lossy(&csv.body).lines().count(), 1 + 8 * 7);
    app.get("/proposals/stats?zones=nowhere")
        .await
        .assert_error(404, "layer_not_found");
    app.get("/proposals/stats?bogus=1")
        .await
        .assert_error(400, "unknown_parameter");
}
