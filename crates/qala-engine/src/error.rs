use qala_core::ErrorKind;
use thiserror::Error;

/// Everything the engine can refuse. User mistakes (an unknown layer, a negative radius,
/// overlapping zones) are [`ErrorKind::InvalidInput`] or [`ErrorKind::NotFound`]; only a
/// broken projection is [`ErrorKind::Internal`].
#[derive(Debug, Error)]
pub enum EngineError {
    #[error("unknown layer {0:?}: it is not served (see `qala layers`)")]
    UnknownLayer(String),
    #[error("unknown indicator {0:?}; known indicators: {1}")]
    UnknownIndicator(String, String),
    #[error("unknown zone scheme {0:?}: use districts, rings, historic or the slug of a polygon layer")]
    UnknownScheme(String),
    #[error("layer {slug:?} is a {kind} layer; zones need polygons")]
    NotPolygonLayer { slug: String, kind: String },
    #[error("radius must be a finite number of metres between 0 and {max} (got {got})")]
    InvalidRadius { got: f64, max: f64 },
    #[error("zone scheme {scheme:?}: zones {a:?} and {b:?} overlap by {overlap_m2:.1} m²; zones must not overlap")]
    OverlappingZones {
        scheme: String,
        a: String,
        b: String,
        overlap_m2: f64,
    },
    #[error("ring bands must be increasing positive distances in km (got {0:?})")]
    InvalidBands(Vec<f64>),
    #[error("zone scheme {scheme:?} needs a {kind} layer, and none is served")]
    MissingLayer { scheme: String, kind: String },
    #[error("zone scheme {0:?} has no zones")]
    EmptyScheme(String),
    #[error("the population layer is missing: indicators per resident need a population_cell layer")]
    NoPopulation,
    #[error("invalid filter {0:?}: use field=value (several values: field=a,b)")]
    InvalidFilter(String),
    #[error("layer {slug:?} has no attribute {field:?}; its attributes: {known}")]
    UnknownField { slug: String, field: String, known: String },
    #[error("invalid what-if change: {0}")]
    InvalidChange(String),
    #[error("layer {slug:?} has no feature at source row {row}")]
    FeatureNotFound { slug: String, row: u64 },
    #[error("indicator {0:?} cannot be computed by what-if (only access, green-area and bike-lane indicators can)")]
    NotWhatIfable(String),
    #[error("unknown distance mode {0:?}: use straight or network")]
    InvalidDistanceMode(String),
    #[error("indicator {0:?} measures no distance; distance=network applies to access indicators only")]
    NotAccessIndicator(String),
    #[error("distance=network needs a road layer (kind road) to build the street graph, and none is served")]
    MissingRoads,
    #[error("unknown input role {0:?}; the roles: {1}")]
    UnknownRole(String, String),
    #[error("cannot bind role {role:?}: {why}")]
    InvalidBinding { role: String, why: String },
    #[error("role {role:?} is bound to no served layer; an admin binds one with `qala indicators bind {role} LAYER`")]
    UnboundRole { role: String },
    #[error("invalid indicator definition {id:?}: {why}")]
    InvalidDefinition { id: String, why: String },
    #[error("indicator {id:?} has no norm variant {variant:?}; its variants: {known}")]
    UnknownNormVariant { id: String, variant: String, known: String },
    #[error("invalid LTS ruleset {id:?}: {why}")]
    InvalidLtsRuleset { id: String, why: String },
    #[error(
        "unknown LTS scenario {0:?}: use existing, under_construction (existing + under construction) or plan (every lane)"
    )]
    InvalidLtsScenario(String),
    #[error("invalid walking profile rules {id:?}: {why}")]
    InvalidWalkProfileRules { id: String, why: String },
    #[error("unknown walking profile {0:?}: use walk, step_free (stroller, wheelchair) or elderly")]
    InvalidWalkProfile(String),
    #[error(
        "the bike lane runs along no street of {roads:?}: a lane counts for a street way when the points at 10 %, 50 % and 90 % of the way lie within {match_m} m of it, and no way does{nearest}"
    )]
    LaneOffStreet {
        roads: String,
        match_m: f64,
        /// ", the nearest is … m away", or empty.
        nearest: String,
    },
    #[error("max_speed_kmh must be a positive number of km/h up to 200 (got {0})")]
    InvalidMaxSpeed(String),
    #[error("{what} must be a {want} (got {got})")]
    WrongGeometryType { what: String, want: String, got: String },
    #[error("coordinate transformation failed")]
    Projection(#[source] proj::ProjError),
    #[error("cannot set up the coordinate transformation")]
    ProjectionSetup(#[source] proj::ProjCreateError),
}

impl EngineError {
    /// The error's class, which the server maps to an HTTP status.
    pub fn kind(&self) -> ErrorKind {
        use EngineError as E;
        match self {
            E::UnknownLayer(_) | E::UnknownIndicator(..) | E::UnknownScheme(_) | E::FeatureNotFound { .. } => {
                ErrorKind::NotFound
            }
            E::NotPolygonLayer { .. }
            | E::InvalidRadius { .. }
            | E::OverlappingZones { .. }
            | E::InvalidBands(_)
            | E::EmptyScheme(_)
            | E::InvalidFilter(_)
            | E::UnknownField { .. }
            | E::InvalidChange(_)
            | E::NotWhatIfable(_)
            | E::InvalidDistanceMode(_)
            | E::NotAccessIndicator(_)
            | E::UnknownRole(..)
            | E::InvalidBinding { .. }
            | E::InvalidDefinition { .. }
            | E::UnknownNormVariant { .. }
            | E::InvalidLtsRuleset { .. }
            | E::InvalidLtsScenario(_)
            | E::InvalidWalkProfileRules { .. }
            | E::InvalidWalkProfile(_)
            | E::LaneOffStreet { .. }
            | E::InvalidMaxSpeed(_)
            | E::WrongGeometryType { .. } => ErrorKind::InvalidInput,
            E::MissingLayer { .. } | E::NoPopulation | E::MissingRoads | E::UnboundRole { .. } => ErrorKind::Conflict,
            E::Projection(_) | E::ProjectionSetup(_) => ErrorKind::Internal,
        }
    }

    /// Stable snake_case code for API bodies and logs.
    pub fn code(&self) -> &'static str {
        use EngineError as E;
        match self {
            E::UnknownLayer(_) => "unknown_layer",
            E::UnknownIndicator(..) => "unknown_indicator",
            E::UnknownScheme(_) => "unknown_zone_scheme",
            E::NotPolygonLayer { .. } => "not_polygon_layer",
            E::InvalidRadius { .. } => "invalid_radius",
            E::OverlappingZones { .. } => "overlapping_zones",
            E::InvalidBands(_) => "invalid_bands",
            E::MissingLayer { .. } => "missing_layer",
            E::EmptyScheme(_) => "empty_zone_scheme",
            E::NoPopulation => "no_population",
            E::InvalidFilter(_) => "invalid_filter",
            E::UnknownField { .. } => "unknown_field",
            E::InvalidChange(_) => "invalid_change",
            E::FeatureNotFound { .. } => "feature_not_found",
            E::NotWhatIfable(_) => "not_what_ifable",
            E::InvalidDistanceMode(_) => "invalid_distance_mode",
            E::NotAccessIndicator(_) => "not_access_indicator",
            E::MissingRoads => "missing_roads",
            E::UnknownRole(..) => "unknown_role",
            E::InvalidBinding { .. } => "invalid_binding",
            E::UnboundRole { .. } => "unbound_role",
            E::InvalidDefinition { .. } => "invalid_definition",
            E::UnknownNormVariant { .. } => "unknown_norm_variant",
            E::InvalidLtsRuleset { .. } => "invalid_lts_ruleset",
            E::InvalidLtsScenario(_) => "invalid_lts_scenario",
            E::InvalidWalkProfileRules { .. } => "invalid_walk_profile_rules",
            E::InvalidWalkProfile(_) => "invalid_walk_profile",
            E::LaneOffStreet { .. } => "lane_off_street",
            E::InvalidMaxSpeed(_) => "invalid_max_speed",
            E::WrongGeometryType { .. } => "wrong_geometry_type",
            E::Projection(_) | E::ProjectionSetup(_) => "projection_failed",
        }
    }
}
