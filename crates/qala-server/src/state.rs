//! Shared state: the database pool, the in-memory layers (tile source and catalogue), the
//! metrics; re-syncing memory with the database (when: `qala_store::in_step`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures::StreamExt;
use qala_store::LayerSummary;
use qala_tiles::{LayerData, LayerDataBuilder, TileOptions, TileSource};
use sqlx::PgPool;

use crate::ops::Metrics;

/// Reads version `v` of a layer into the served memory form (tiles and items index it; the
/// engine's input is made from it by [`crate::memory::engine_features`]). Indexed on a
/// blocking thread while the rows still arrive (a few chunks in flight).
pub async fn read_layer_data(
    pool: &PgPool,
    slug: String,
    kind: qala_core::LayerKind,
    v: i64,
) -> Result<LayerData, qala_store::StoreError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<qala_store::features::RawRows>(4);
    let builder = tokio::task::spawn_blocking(move || {
        let mut b = LayerDataBuilder::new(&slug, v);
        while let Some(chunk) = rx.blocking_recv() {
            for r in chunk.decode()? {
                b.push(crate::memory::source_feature(kind, r));
            }
        }
        Ok::<_, qala_store::StoreError>(b.finish())
    });
    let sent = qala_store::features::send_served_rows(pool, kind, v, tx).await;
    let built = builder.await.map_err(|e| qala_store::StoreError::Embedded {
        message: format!("indexing a layer failed: {e}"),
    })?;
    sent?;
    built
}

/// The engine's input for `layers` (slug → (kind, layer_version_id)), through the served
/// memory form: the one path `qala serve`, `qala indicators` and editions all take, so the
/// three give the same figures to the last bit.
pub async fn read_engine_layers(
    pool: &PgPool,
    layers: &std::collections::BTreeMap<String, (qala_core::LayerKind, i64)>,
) -> Result<Vec<qala_engine::SourceLayer>, qala_store::StoreError> {
    let mut out = Vec::with_capacity(layers.len());
    for (slug, &(kind, v)) in layers {
        let d = Arc::new(read_layer_data(pool, slug.clone(), kind, v).await?);
        out.push(qala_engine::SourceLayer {
            slug: slug.clone(),
            kind,
            layer_version_id: v,
            features: crate::memory::engine_features(kind, d),
        });
    }
    Ok(out)
}

/// Layers read at the same time by [`AppState::sync`].
const LOAD_CONCURRENCY: usize = 2;

/// Longest a sync waits for the replica to replay the primary's writes before it reads
/// from the primary instead.
const REPLICA_WAIT: Duration = Duration::from_secs(2);

/// Kinds the indicator engine is built from.
pub const ENGINE_KINDS: [qala_core::LayerKind; 14] = [
    qala_core::LayerKind::District,
    qala_core::LayerKind::CityBoundary,
    qala_core::LayerKind::HistoricCentre,
    qala_core::LayerKind::PopulationCell,
    qala_core::LayerKind::BikeLane,
    qala_core::LayerKind::GreenSpace,
    qala_core::LayerKind::TreeFelling,
    qala_core::LayerKind::TreePlanting,
    qala_core::LayerKind::NavSign,
    qala_core::LayerKind::WayfindingRoute,
    qala_core::LayerKind::Service,
    qala_core::LayerKind::Generic,
    // The street graph of the network distance mode.
    qala_core::LayerKind::Road,
    // Gradients of the cycling stress analysis.
    qala_core::LayerKind::Elevation,
];

/// Settings of one server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The built web app; `None` or a missing directory makes `/` say how to build it.
    pub web_dir: Option<PathBuf>,
    pub tiles: TileOptions,
    /// Longest a request (other than an upload) may take.
    pub request_timeout: Duration,
    pub upload_timeout: Duration,
    /// Scheme, host and optional path prefix every absolute link starts with
    /// (`https://maps.example.kz`), see [`crate::links::public_url`]. `None`: links are relative to the
    /// server's root. The request's `Host` and `X-Forwarded-*` are never used.
    pub public_url: Option<String>,
    /// Uploads loading at once, each on a connection of the uploads' own pool.
    pub upload_concurrency: usize,
    /// Uploads waiting for a slot; more are refused with `429 upload_queue_full`.
    pub upload_queue: usize,
    /// Wrong tokens per client address and minute before its token requests get 429
    /// (0: no limit).
    pub auth_failures_per_minute: u32,
    /// What one uploaded file may make the server do (features, vertices, raster size,
    /// wall time, …); `qala serve --max-…`.
    pub upload_limits: qala_ingest::Limits,
    /// Proposals one client may submit per minute; more get 429 (0: no limit).
    pub proposals_per_minute: u32,
    /// Take the client address of proposals from `X-Forwarded-For` (only behind a proxy
    /// that sets it; otherwise any client could claim any address).
    pub trust_forwarded_for: bool,
    /// Answer OGC items pages from the served memory copy whenever it holds the layer's
    /// current version (the database answers otherwise, and is always the source of truth
    /// for writes). Off by default: the database path is the reference, and faster per
    /// page (bench/ogc); memory takes the items' load off a database shared by a fleet.
    pub items_from_memory: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            web_dir: None,
            tiles: TileOptions::default(),
            request_timeout: Duration::from_secs(30),
            upload_timeout: Duration::from_secs(600),
            public_url: None,
            upload_concurrency: 2,
            upload_queue: 16,
            auth_failures_per_minute: 20,
            upload_limits: qala_ingest::Limits::default(),
            proposals_per_minute: 10,
            trust_forwarded_for: false,
            items_from_memory: false,
        }
    }
}

/// A layer as the server knows it: the catalogue row and its extent.
#[derive(Debug, Clone)]
pub struct LayerInfo {
    pub summary: LayerSummary,
    pub kind: qala_core::LayerKind,
    /// lon/lat extent of the served version, `None` when empty or never loaded.
    pub bbox_wgs84: Option<[f64; 4]>,
    /// First and last date of the kind's date field in the served version (`YYYY-MM-DD`),
    /// `None` when the kind has no date or no feature has one.
    pub date_extent: Option<(String, String)>,
}

impl LayerInfo {
    pub fn is_public(&self) -> bool {
        self.summary.visibility == "public"
    }
}

pub struct Inner {
    /// The primary: writes, token checks, items, rollbacks, `LISTEN`.
    pub pool: PgPool,
    /// A streaming replica (`qala serve --read-database-url`) for the whole-layer reads of
    /// [`AppState::sync`], once it has replayed what the primary had written; `None`: the
    /// primary does those too.
    pub replica: Option<PgPool>,
    /// Uploads only, so that they never take the connections reads need.
    pub upload_pool: PgPool,
    pub uploads: crate::upload_queue::UploadQueue,
    /// Features validated so far by the uploads that asked to be followed.
    pub upload_progress: crate::upload_queue::UploadProgress,
    pub auth_throttle: crate::auth_throttle::AuthThrottle,
    pub config: ServerConfig,
    pub tiles: TileSource,
    catalogue: RwLock<Arc<Vec<LayerInfo>>>,
    sync_lock: tokio::sync::Mutex<()>,
    engine: RwLock<Option<Arc<qala_engine::Engine>>>,
    /// The indicator definitions and input bindings in force (from the database).
    governance: RwLock<Arc<crate::governed::Governance>>,
    engine_lock: tokio::sync::Mutex<()>,
    pub metrics: Metrics,
    /// Whether the database answered the last check; see [`AppState::watch_database`].
    db_health: qala_store::in_step::DatabaseHealth,
    /// Tokens last seen valid, by hash: they keep working for reads during an outage.
    known_tokens: RwLock<HashMap<String, qala_store::features::TokenRecord>>,
    /// Parent of every upload's cancel signal: [`crate::serve`] cancels it on shutdown so
    /// that running ingests stop instead of holding the shutdown up.
    pub ingests: qala_ingest::Cancel,
    /// Residents' proposals: the client-hash salt and submissions per client.
    pub proposal_clients: crate::proposal_client::ProposalClients,
    /// Vector tiles of the public proposals, for one generation of the public set.
    pub proposal_tiles: crate::proposal_tiles::ProposalTileCache,
    /// `numberMatched` of recent items queries.
    pub item_counts: crate::items_count::CountCache,
}

/// At most this many tokens are remembered; beyond, the memory starts again empty.
const KNOWN_TOKENS_MAX: usize = 10_000;

/// Cheap to clone; handed to every handler.
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// A state with nothing loaded yet; call [`AppState::sync`] before serving.
    pub fn new(pool: PgPool, config: ServerConfig) -> AppState {
        AppState::with_replica(pool, None, config)
    }

    /// As [`AppState::new`], with layers read from a streaming `replica` of `pool`.
    pub fn with_replica(pool: PgPool, replica: Option<PgPool>, config: ServerConfig) -> AppState {
        let upload_pool = crate::upload_queue::upload_pool(&pool, config.upload_concurrency, config.upload_timeout);
        let proposal_clients = crate::proposal_client::ProposalClients::new(config.proposals_per_minute);
        AppState(Arc::new(Inner {
            pool,
            replica,
            upload_pool,
            uploads: crate::upload_queue::UploadQueue::new(config.upload_concurrency, config.upload_queue),
            upload_progress: Default::default(),
            auth_throttle: crate::auth_throttle::AuthThrottle::new(config.auth_failures_per_minute),
            tiles: TileSource::new(config.tiles),
            config,
            catalogue: RwLock::new(Arc::new(Vec::new())),
            sync_lock: tokio::sync::Mutex::new(()),
            engine: RwLock::new(None),
            governance: RwLock::new(Arc::new(crate::governed::Governance::default())),
            engine_lock: tokio::sync::Mutex::new(()),
            metrics: Metrics::default(),
            db_health: Default::default(),
            known_tokens: RwLock::new(HashMap::new()),
            ingests: qala_ingest::Cancel::new(),
            proposal_clients,
            proposal_tiles: Default::default(),
            item_counts: Default::default(),
        }))
    }

    /// Builds a state and loads every served layer into memory.
    pub async fn load(pool: PgPool, config: ServerConfig) -> Result<AppState, qala_store::StoreError> {
        AppState::load_with_replica(pool, None, config).await
    }

    /// As [`AppState::load`], reading the layers from a streaming `replica` of `pool`.
    pub async fn load_with_replica(
        pool: PgPool,
        replica: Option<PgPool>,
        config: ServerConfig,
    ) -> Result<AppState, qala_store::StoreError> {
        let s = AppState::with_replica(pool, replica, config);
        s.sync().await?;
        Ok(s)
    }

    /// The pool a sync reads from: the replica once it has replayed everything the primary
    /// had written when the sync began — so the uploader's own sync sees its new version, and
    /// a `NOTIFY` heard on the primary finds its version on the replica — else the primary.
    async fn sync_pool(&self) -> &PgPool {
        let Some(replica) = &self.replica else {
            return &self.pool;
        };
        match qala_store::replica::wait_for_replay(&self.pool, replica, REPLICA_WAIT).await {
            Ok(true) => replica,
            Ok(false) => {
                tracing::warn!(
                    wait_ms = REPLICA_WAIT.as_millis() as u64,
                    "the replica is behind the primary: reading this sync from the primary"
                );
                &self.pool
            }
            Err(e) => {
                tracing::warn!(error = %crate::error::chain(&e), "cannot compare the replica with the primary: reading this sync from the primary");
                &self.pool
            }
        }
    }

    /// Every layer in the catalogue (all visibilities), from memory.
    pub fn catalogue(&self) -> Arc<Vec<LayerInfo>> {
        self.catalogue
            .read()
            .map(|c| c.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    pub fn layer_info(&self, slug: &str) -> Option<LayerInfo> {
        self.catalogue().iter().find(|l| l.summary.slug == slug).cloned()
    }

    /// Brings memory in step with the database: layers whose served version changed are
    /// read again and swapped in (only their tiles are dropped from the cache); layers gone
    /// or emptied stop being served. Safe to call at any time, from anywhere.
    pub async fn sync(&self) -> Result<usize, qala_store::StoreError> {
        let _guard = self.sync_lock.lock().await;
        let pool = self.sync_pool().await;
        let rows = qala_store::catalogue::list_layers(pool).await?;
        let mut changed = 0;
        match crate::governed::load(pool).await {
            Ok(g) => {
                if *self.governance() != g {
                    if let Ok(mut cur) = self.governance.write() {
                        *cur = Arc::new(g);
                    }
                    changed += 1;
                }
            }
            Err(crate::governed::GovernedError::Store(e)) => return Err(e),
            Err(e) => {
                tracing::warn!(error = %crate::error::chain(&e), "cannot read the indicator definitions or bindings; keeping the ones in memory")
            }
        }
        let served: HashMap<String, i64> = self.tiles.versions().into_iter().collect();
        let before = self.catalogue();
        // Layers whose served version changed are read again, two at a time: the database
        // prepares one while the other is decoded and indexed.
        let to_load: Vec<(String, qala_core::LayerKind, i64)> = rows
            .iter()
            .filter_map(|s| match (s.kind.parse::<qala_core::LayerKind>(), s.layer_version_id) {
                (Ok(kind), Some(v)) if served.get(&s.slug) != Some(&v) => Some((s.slug.clone(), kind, v)),
                _ => None,
            })
            .collect();
        // Layers new to this instance (its first sync, or a layer just created) are listed
        // at once: until they are in memory, PostGIS cuts their tiles and the database
        // answers their items.
        self.list_new_layers(&rows);
        let mut loads = futures::stream::iter(to_load)
            .map(|(slug, kind, v)| self.load_layer(pool, slug, kind, v))
            // Never more loads at once than the pool has connections: a load waiting for one
            // would time out behind a large layer.
            .buffer_unordered(LOAD_CONCURRENCY.min(pool.options().get_max_connections().max(1) as usize));
        while let Some(loaded) = loads.next().await {
            let (data, started) = loaded?;
            let (slug, v, n) = (data.slug.clone(), data.version_id, data.feature_count());
            let dropped = self.tiles.replace_layer(data);
            self.metrics.layer_reloads.fetch_add(1, Ordering::Relaxed);
            tracing::info!(
                %slug, layer_version_id = v, features = n, tiles_dropped = dropped,
                ms = started.elapsed().as_millis() as u64, "layer loaded"
            );
            changed += 1;
        }
        drop(loads);
        let mut infos = Vec::with_capacity(rows.len());
        for summary in rows {
            let Ok(kind) = summary.kind.parse::<qala_core::LayerKind>() else {
                continue;
            };
            if summary.layer_version_id.is_none() && served.contains_key(&summary.slug) {
                self.tiles.remove_layer(&summary.slug);
                changed += 1;
            }
            let data = self.tiles.layer(&summary.slug);
            let bbox_wgs84 = match data.as_ref().and_then(|d| d.bbox_3857()) {
                Some(b) => {
                    let (x0, y0) = qala_tiles::mercator::to_4326(b[0], b[1]);
                    let (x1, y1) = qala_tiles::mercator::to_4326(b[2], b[3]);
                    Some([x0, y0, x1, y1])
                }
                // Not in memory: the extent PostGIS gave for the same version, if any.
                None => before
                    .iter()
                    .find(|b| b.summary.slug == summary.slug && b.summary.layer_version_id == summary.layer_version_id)
                    .and_then(|b| b.bbox_wgs84),
            };
            let date_extent = match (before.iter().find(|b| b.summary.slug == summary.slug), &data) {
                (Some(b), Some(d)) if b.summary.layer_version_id == Some(d.version_id) => b.date_extent.clone(),
                (_, Some(d)) => crate::memory::date_extent(kind, d),
                (_, None) => None,
            };
            infos.push(LayerInfo {
                summary,
                kind,
                bbox_wgs84,
                date_extent,
            });
        }
        for slug in served.keys() {
            if !infos.iter().any(|i| &i.summary.slug == slug) {
                self.tiles.remove_layer(slug);
                changed += 1;
            }
        }
        if let Ok(mut c) = self.catalogue.write() {
            *c = Arc::new(infos);
        }
        if changed > 0 || self.engine().is_none() {
            // The engine takes longer to build than tiles; it catches up in the background
            // and the old one answers meanwhile.
            let s = self.clone();
            tokio::spawn(async move { s.rebuild_engine().await });
        }
        Ok(changed)
    }

    /// Adds to the catalogue the layers of `rows` it does not list yet, without their data:
    /// they are served from the database until a sync has them in memory.
    fn list_new_layers(&self, rows: &[LayerSummary]) {
        let before = self.catalogue();
        if rows.iter().all(|r| before.iter().any(|b| b.summary.slug == r.slug)) {
            return;
        }
        let listed: Vec<LayerInfo> = rows
            .iter()
            .filter_map(|summary| {
                let kind = summary.kind.parse::<qala_core::LayerKind>().ok()?;
                Some(
                    before
                        .iter()
                        .find(|b| b.summary.slug == summary.slug)
                        .cloned()
                        .unwrap_or_else(|| LayerInfo {
                            summary: summary.clone(),
                            kind,
                            bbox_wgs84: None,
                            date_extent: None,
                        }),
                )
            })
            .collect();
        if let Ok(mut c) = self.catalogue.write() {
            *c = Arc::new(listed);
        }
    }

    /// Layers listed at start, before their data is in memory, get their extent from PostGIS
    /// meanwhile, in the background (`ST_Extent` over a million rows takes about a second),
    /// so that a collection shows its extent while it loads. Memory's extent replaces it once
    /// loaded. (A layer created later is loaded by the sync that lists it.)
    fn extents_from_database(&self, pool: &PgPool, layers: &[(String, qala_core::LayerKind, i64)]) {
        let missing: Vec<(String, qala_core::LayerKind, i64)> = layers
            .iter()
            .filter(|(slug, _, _)| self.layer_info(slug).is_some_and(|l| l.bbox_wgs84.is_none()))
            .cloned()
            .collect();
        if missing.is_empty() {
            return;
        }
        let (s, pool) = (self.clone(), pool.clone());
        tokio::spawn(async move {
            for (slug, kind, v) in missing {
                match qala_store::features::version_extent(&pool, kind, v).await {
                    Ok(Some(bb)) => s.set_extent_if_missing(&slug, v, bb),
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(%slug, layer_version_id = v, error = %crate::error::chain(&e), "cannot read a layer's extent from the database")
                    }
                }
            }
        });
    }

    fn set_extent_if_missing(&self, slug: &str, v: i64, bb: [f64; 4]) {
        if let Ok(mut c) = self.catalogue.write()
            && let Some(i) = c
                .iter()
                .position(|l| l.summary.slug == slug && l.summary.layer_version_id == Some(v) && l.bbox_wgs84.is_none())
        {
            let mut next = (**c).clone();
            next[i].bbox_wgs84 = Some(bb);
            *c = Arc::new(next);
        }
    }

    /// A state that serves at once: the catalogue and the indicator definitions are read
    /// (milliseconds), the layers are not — start [`AppState::keep_in_step`] (its first sync
    /// loads them, layer by layer; PostGIS cuts the tiles of those still loading) and
    /// listen. `/readyz` says when everything is in memory and the engine is built.
    pub async fn start_with_replica(
        pool: PgPool,
        replica: Option<PgPool>,
        config: ServerConfig,
    ) -> Result<AppState, qala_store::StoreError> {
        let s = AppState::with_replica(pool, replica, config);
        let rows = qala_store::catalogue::list_layers(&s.pool).await?;
        s.list_new_layers(&rows);
        let listed: Vec<(String, qala_core::LayerKind, i64)> = rows
            .iter()
            .filter_map(|r| Some((r.slug.clone(), r.kind.parse().ok()?, r.layer_version_id?)))
            .collect();
        s.extents_from_database(&s.pool.clone(), &listed);
        match crate::governed::load(&s.pool).await {
            Ok(g) => {
                if let Ok(mut cur) = s.governance.write() {
                    *cur = Arc::new(g);
                }
            }
            Err(crate::governed::GovernedError::Store(e)) => return Err(e),
            Err(e) => {
                tracing::warn!(error = %crate::error::chain(&e), "cannot read the indicator definitions or bindings yet")
            }
        }
        Ok(s)
    }

    /// Reads one layer version and indexes it for tiles and items.
    async fn load_layer(
        &self,
        pool: &PgPool,
        slug: String,
        kind: qala_core::LayerKind,
        v: i64,
    ) -> Result<(LayerData, std::time::Instant), qala_store::StoreError> {
        let started = std::time::Instant::now();
        Ok((read_layer_data(pool, slug, kind, v).await?, started))
    }

    /// Layers in the catalogue with a served version that memory does not hold yet (any
    /// version of): their tiles are cut by PostGIS until it does.
    pub fn loading_layers(&self) -> Vec<(String, i64)> {
        self.catalogue()
            .iter()
            .filter_map(|l| Some((l.summary.slug.clone(), l.summary.layer_version_id?)))
            .filter(|(slug, _)| self.tiles.layer(slug).is_none())
            .collect()
    }

    /// The indicator definitions and input bindings in force.
    pub fn governance(&self) -> Arc<crate::governed::Governance> {
        self.governance
            .read()
            .map(|g| g.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// The indicator engine, once built.
    pub fn engine(&self) -> Option<Arc<qala_engine::Engine>> {
        self.engine.read().ok().and_then(|e| e.clone())
    }

    /// Rebuilds the indicator engine from the served layers (not roads and buildings: no
    /// indicator reads them, and they are the largest layers).
    pub async fn rebuild_engine(&self) {
        let _guard = self.engine_lock.lock().await;
        let served: std::collections::BTreeMap<String, i64> = self.tiles.versions().into_iter().collect();
        let governance = self.governance();
        // The engine's layers: every served layer of an engine kind, from memory.
        let wanted: Vec<(Arc<LayerData>, qala_core::LayerKind)> = self
            .catalogue()
            .iter()
            .filter(|l| ENGINE_KINDS.contains(&l.kind))
            .filter_map(|l| self.tiles.layer(&l.summary.slug).map(|d| (d, l.kind)))
            .collect();
        let current = self.engine();
        let same_rules = current.as_ref().is_some_and(|e| {
            e.bindings() == Some(&governance.bindings) && e.definitions() == governance.definitions.as_slice()
        });
        // With the same definitions and bindings, only the layers whose version changed are
        // indexed again (a layer gone means a whole rebuild).
        let changed: Option<Vec<(Arc<LayerData>, qala_core::LayerKind)>> = match &current {
            Some(e) if same_rules && e.layer_versions().keys().all(|s| served.contains_key(s)) => Some(
                wanted
                    .iter()
                    .filter(|(d, _)| e.layer_versions().get(&d.slug) != Some(&d.version_id))
                    .cloned()
                    .collect(),
            ),
            _ => None,
        };
        if changed.as_ref().is_some_and(Vec::is_empty) {
            return;
        }
        let started = std::time::Instant::now();
        let source = |(d, kind): (Arc<LayerData>, qala_core::LayerKind)| qala_engine::SourceLayer {
            slug: d.slug.clone(),
            kind,
            layer_version_id: d.version_id,
            features: crate::memory::engine_features(kind, d),
        };
        let incremental = changed.is_some();
        let built = tokio::task::spawn_blocking(move || match (changed, current) {
            (Some(changed), Some(e)) => e.with_layers(changed.into_iter().map(source)),
            _ => qala_engine::Engine::from_layers(wanted.into_iter().map(source), governance.engine_options(None)),
        })
        .await;
        match built {
            Ok(Ok(e)) => {
                if let Ok(mut cur) = self.engine.write() {
                    *cur = Some(Arc::new(e));
                }
                crate::memory::give_back_freed_memory();
                tracing::info!(
                    ms = started.elapsed().as_millis() as u64,
                    incremental,
                    "indicator engine built"
                );
            }
            Ok(Err(e)) => tracing::warn!(error = %crate::error::chain(&e), "cannot build the indicator engine"),
            Err(e) => tracing::warn!(error = %e, "the engine build task failed"),
        }
    }

    /// Whether the database answered its last check.
    pub fn db_up(&self) -> bool {
        self.db_health.is_up()
    }

    /// Records that the database stopped answering; warns once per outage. Not for a pool
    /// without a free connection (see [`crate::error::pool_busy`]): busy is not down.
    pub fn mark_db_down(&self, why: &dyn std::error::Error) {
        if self.db_health.mark_down() {
            tracing::warn!(error = %crate::error::chain(why), "database unavailable: serving tiles and features from memory; uploads and tokens answer 503 until it is back");
        }
    }

    /// Remembers what the database said of a token (forgets it when unknown or revoked).
    pub fn remember_token(&self, hash: &str, rec: Option<&qala_store::features::TokenRecord>) {
        let Ok(mut m) = self.known_tokens.write() else { return };
        match rec {
            Some(r) if !r.revoked => {
                if m.len() >= KNOWN_TOKENS_MAX && !m.contains_key(hash) {
                    m.clear();
                }
                m.insert(hash.to_owned(), r.clone());
            }
            _ => {
                m.remove(hash);
            }
        }
    }

    /// A token last seen valid while the database was up.
    pub fn known_token(&self, hash: &str) -> Option<qala_store::features::TokenRecord> {
        self.known_tokens.read().ok()?.get(hash).cloned()
    }

    /// The pool, or at once a 503 `database_unavailable` while the database is known to be
    /// down (rather than waiting for the pool to give up).
    pub fn db(&self) -> Result<&PgPool, crate::ApiError> {
        if self.db_up() {
            Ok(&self.pool)
        } else {
            Err(crate::ApiError::database_unavailable())
        }
    }

    /// The uploads' pool, or at once a 503 `database_unavailable` while the database is
    /// known to be down.
    pub fn upload_db(&self) -> Result<&PgPool, crate::ApiError> {
        self.db()?;
        Ok(&self.upload_pool)
    }

    /// Checks the database every second over a connection of its own (not the pool's, so
    /// a busy pool never looks like an outage); see [`qala_store::in_step::watch_database`].
    pub async fn watch_database(self) {
        qala_store::in_step::watch_database(&self.pool, &self.db_health).await
    }

    /// Keeps memory in step with the database ([`qala_store::in_step::keep_in_step`]):
    /// watches it, and re-syncs on every version switch or governance change, after a lost
    /// connection and every 30 s.
    pub async fn keep_in_step(self) {
        qala_store::in_step::keep_in_step(&self.pool, &self.db_health, || self.sync()).await
    }

    /// Re-syncs on every version switch or governance change, after a lost connection and
    /// every 30 s ([`qala_store::in_step::follow_changes`]); while the database is down,
    /// everything in memory keeps being served.
    pub async fn follow_versions(self) {
        qala_store::in_step::follow_changes(&self.pool, &self.db_health, || self.sync()).await
    }
}
