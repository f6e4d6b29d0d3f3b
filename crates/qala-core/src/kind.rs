//! The typed layer kinds. Each kind has one table in PostGIS whose columns and CHECK
//! constraints mirror the [`FieldDef`]s here; `sql/migrations` is the other half of this
//! contract and a store test keeps the two in step.

use std::fmt;
use std::str::FromStr;

use crate::CoreError;

/// The geometry a kind stores. Single geometries are promoted to their multi type on load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum GeometryType {
    Point,
    MultiLineString,
    MultiPolygon,
    /// Generic layers keep whatever geometry they bring.
    Any,
}

impl GeometryType {
    /// The PostGIS type name used in `geometry(<type>, 4326)`.
    pub fn postgis_name(self) -> &'static str {
        match self {
            GeometryType::Point => "Point",
            GeometryType::MultiLineString => "MultiLineString",
            GeometryType::MultiPolygon => "MultiPolygon",
            GeometryType::Any => "Geometry",
        }
    }
}

/// The type of an attribute column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum FieldType {
    Text,
    Int,
    Float,
    Bool,
    /// ISO 8601 calendar date.
    Date,
    /// A list of short codes, e.g. sign languages `["kk","ru","en"]`.
    TextList,
}

impl FieldType {
    pub fn postgres_name(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Int => "bigint",
            FieldType::Float => "double precision",
            FieldType::Bool => "boolean",
            FieldType::Date => "date",
            FieldType::TextList => "text[]",
        }
    }
}

/// The rule an attribute must keep beyond its type. The same rule is a CHECK constraint.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum FieldRule {
    None,
    /// One of these codes.
    OneOf(&'static [&'static str]),
    /// Every element one of these codes (for [`FieldType::TextList`]).
    AllOf(&'static [&'static str]),
    /// A number in `[min, max]`.
    Range(f64, f64),
    /// A date not after the load date (e.g. a planting cannot be in the future).
    NotInFuture,
}

/// One attribute of a kind.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FieldDef {
    pub name: &'static str,
    pub ty: FieldType,
    pub required: bool,
    pub rule: FieldRule,
    /// Unit of a numeric field, shown to users (`"m"`, `"cm"`, `"trees"`...).
    pub unit: Option<&'static str>,
    pub doc: &'static str,
}

const fn f(
    name: &'static str,
    ty: FieldType,
    required: bool,
    rule: FieldRule,
    unit: Option<&'static str>,
    doc: &'static str,
) -> FieldDef {
    FieldDef {
        name,
        ty,
        required,
        rule,
        unit,
        doc,
    }
}

use FieldRule as R;
use FieldType as T;

pub const BIKE_LANE_STATUS: &[&str] = &["existing", "under_construction", "planned"];
pub const BIKE_LANE_FACILITY: &[&str] = &["protected", "painted", "shared_street", "off_street_path"];
pub const GREEN_SPACE_CATEGORY: &[&str] = &["park", "square", "boulevard", "other"];
pub const SERVICE_CATEGORY: &[&str] = &[
    "school",
    "kindergarten",
    "clinic",
    "hospital",
    "pharmacy",
    "bus_stop",
    "brt_stop",
    "metro_station",
];
pub const SIGN_TYPE: &[&str] = &["map", "fingerpost", "direction", "information", "street_name"];
pub const SIGN_LANGUAGES: &[&str] = &["kk", "ru", "en"];
pub const FELLING_REASON: &[&str] = &[
    "construction",
    "road_works",
    "sanitary",
    "emergency",
    "utility_works",
    "other",
];

const DISTRICT: &[FieldDef] = &[
    f(
        "akimat_id",
        T::Int,
        true,
        R::Range(1.0, 8.0),
        None,
        "district id used by the city akimat, 1-8",
    ),
    f("name_kk", T::Text, true, R::None, None, "name in Kazakh"),
    f("name_ru", T::Text, true, R::None, None, "name in Russian"),
    f("name_en", T::Text, true, R::None, None, "name in English"),
    f(
        "population",
        T::Int,
        false,
        R::Range(0.0, 1e8),
        Some("residents"),
        "official population",
    ),
    f(
        "population_date",
        T::Date,
        false,
        R::None,
        None,
        "reference date of the population count",
    ),
];
const NAMED_AREA: &[FieldDef] = &[f("name", T::Text, false, R::None, None, "name")];
const POPULATION_CELL: &[FieldDef] = &[f(
    "residents",
    T::Float,
    true,
    R::Range(0.0, 1e7),
    Some("residents"),
    "residents living in the cell",
)];
const ELEVATION: &[FieldDef] = &[f(
    "elevation_m",
    T::Float,
    true,
    R::Range(-500.0, 9000.0),
    Some("m"),
    "ground height above sea level at the cell (one pixel of an elevation raster)",
)];
const BIKE_LANE: &[FieldDef] = &[
    f("name", T::Text, false, R::None, None, "street or route name"),
    f(
        "status",
        T::Text,
        true,
        R::OneOf(BIKE_LANE_STATUS),
        None,
        "existing, under_construction or planned",
    ),
    f(
        "facility",
        T::Text,
        true,
        R::OneOf(BIKE_LANE_FACILITY),
        None,
        "kind of cycling facility",
    ),
    f(
        "planned_year",
        T::Int,
        false,
        R::Range(2000.0, 2100.0),
        Some("year"),
        "year a planned lane is due",
    ),
];
// A place's name in the city's three languages, where the source has it (OSM name:kk/ru/en):
// streets, services and green spaces.
const NAME_KK: FieldDef = f(
    "name_kk",
    T::Text,
    false,
    R::None,
    None,
    "name in Kazakh, where the source has it",
);
const NAME_RU: FieldDef = f(
    "name_ru",
    T::Text,
    false,
    R::None,
    None,
    "name in Russian, where the source has it",
);
const NAME_EN: FieldDef = f(
    "name_en",
    T::Text,
    false,
    R::None,
    None,
    "name in English, where the source has it",
);

const GREEN_SPACE: &[FieldDef] = &[
    f("name", T::Text, false, R::None, None, "name"),
    f(
        "category",
        T::Text,
        true,
        R::OneOf(GREEN_SPACE_CATEGORY),
        None,
        "park, square, boulevard or other",
    ),
    f("public_access", T::Bool, true, R::None, None, "open to the public"),
    NAME_KK,
    NAME_RU,
    NAME_EN,
];
const TREE_FELLING: &[FieldDef] = &[
    f(
        "permit_no",
        T::Text,
        true,
        R::None,
        None,
        "felling permit number, unique in a layer version",
    ),
    f(
        "felled_on",
        T::Date,
        true,
        R::NotInFuture,
        None,
        "date the trees were felled",
    ),
    f(
        "trees_felled",
        T::Int,
        true,
        R::Range(1.0, 100000.0),
        Some("trees"),
        "number of trees felled",
    ),
    f(
        "dbh_sum_cm",
        T::Float,
        false,
        R::Range(0.0, 1e7),
        Some("cm"),
        "sum of trunk diameters at breast height",
    ),
    f(
        "reason",
        T::Text,
        false,
        R::OneOf(FELLING_REASON),
        None,
        "why the trees were felled",
    ),
    f(
        "compensation_ratio",
        T::Float,
        true,
        R::Range(0.0, 100.0),
        Some("trees per tree felled"),
        "trees to plant for each tree felled",
    ),
    f(
        "compensation_due",
        T::Date,
        false,
        R::None,
        None,
        "date the compensation is due",
    ),
];
const TREE_PLANTING: &[FieldDef] = &[
    f(
        "trees_planted",
        T::Int,
        true,
        R::Range(1.0, 100000.0),
        Some("trees"),
        "number of trees planted",
    ),
    f("species", T::Text, false, R::None, None, "species (Latin name)"),
    f("planted_on", T::Date, true, R::NotInFuture, None, "planting date"),
    f(
        "felling_permit_no",
        T::Text,
        false,
        R::None,
        None,
        "felling permit this planting compensates",
    ),
    f(
        "alive_1y",
        T::Int,
        false,
        R::Range(0.0, 100000.0),
        Some("trees"),
        "trees alive at the 1-year check",
    ),
    f(
        "alive_2y",
        T::Int,
        false,
        R::Range(0.0, 100000.0),
        Some("trees"),
        "trees alive at the 2-year check",
    ),
    f(
        "alive_3y",
        T::Int,
        false,
        R::Range(0.0, 100000.0),
        Some("trees"),
        "trees alive at the 3-year check",
    ),
];
const NAV_SIGN: &[FieldDef] = &[
    f(
        "sign_type",
        T::Text,
        true,
        R::OneOf(SIGN_TYPE),
        None,
        "map, fingerpost, direction, information or street_name",
    ),
    f(
        "languages",
        T::TextList,
        true,
        R::AllOf(SIGN_LANGUAGES),
        None,
        "languages on the sign: kk, ru, en",
    ),
    f(
        "installed_on",
        T::Date,
        false,
        R::NotInFuture,
        None,
        "installation date",
    ),
];
const WAYFINDING_ROUTE: &[FieldDef] = &[
    f("name", T::Text, true, R::None, None, "route name"),
    f("theme", T::Text, false, R::None, None, "theme, e.g. heritage or parks"),
];
const SERVICE: &[FieldDef] = &[
    f(
        "category",
        T::Text,
        true,
        R::OneOf(SERVICE_CATEGORY),
        None,
        "kind of service",
    ),
    f("name", T::Text, false, R::None, None, "name"),
    f(
        "capacity",
        T::Int,
        false,
        R::Range(0.0, 1e6),
        Some("places"),
        "pupils, children, visits per shift; where known",
    ),
    NAME_KK,
    NAME_RU,
    NAME_EN,
];
const ROAD: &[FieldDef] = &[
    f("highway", T::Text, true, R::None, None, "OSM highway class"),
    f("name", T::Text, false, R::None, None, "street name"),
    NAME_KK,
    NAME_RU,
    NAME_EN,
];
const BUILDING: &[FieldDef] = &[
    f("building", T::Text, false, R::None, None, "OSM building type"),
    f(
        "levels",
        T::Int,
        false,
        R::Range(0.0, 200.0),
        Some("floors"),
        "number of floors",
    ),
];

/// Every typed kind of layer qala knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerKind {
    District,
    CityBoundary,
    HistoricCentre,
    PopulationCell,
    BikeLane,
    GreenSpace,
    TreeFelling,
    TreePlanting,
    NavSign,
    WayfindingRoute,
    Service,
    Road,
    Building,
    /// Pixels of an elevation raster (DEM) as cells with a height in metres.
    Elevation,
    Generic,
}

impl LayerKind {
    pub const ALL: [LayerKind; 15] = [
        LayerKind::District,
        LayerKind::CityBoundary,
        LayerKind::HistoricCentre,
        LayerKind::PopulationCell,
        LayerKind::BikeLane,
        LayerKind::GreenSpace,
        LayerKind::TreeFelling,
        LayerKind::TreePlanting,
        LayerKind::NavSign,
        LayerKind::WayfindingRoute,
        LayerKind::Service,
        LayerKind::Road,
        LayerKind::Building,
        LayerKind::Elevation,
        LayerKind::Generic,
    ];

    /// The kind's name, as used on the command line and in the catalogue.
    pub fn name(self) -> &'static str {
        match self {
            LayerKind::District => "district",
            LayerKind::CityBoundary => "city_boundary",
            LayerKind::HistoricCentre => "historic_centre",
            LayerKind::PopulationCell => "population_cell",
            LayerKind::BikeLane => "bike_lane",
            LayerKind::GreenSpace => "green_space",
            LayerKind::TreeFelling => "tree_felling",
            LayerKind::TreePlanting => "tree_planting",
            LayerKind::NavSign => "nav_sign",
            LayerKind::WayfindingRoute => "wayfinding_route",
            LayerKind::Service => "service",
            LayerKind::Road => "road",
            LayerKind::Building => "building",
            LayerKind::Elevation => "elevation",
            LayerKind::Generic => "generic",
        }
    }

    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|k| k.name()).collect()
    }

    /// The PostGIS table holding this kind's features (all versions of all its layers).
    /// A fixed, project-generated identifier: never derived from user input.
    pub fn table(self) -> &'static str {
        match self {
            LayerKind::Generic => "generic_feature",
            other => other.name(),
        }
    }

    pub fn geometry_type(self) -> GeometryType {
        match self {
            LayerKind::District
            | LayerKind::CityBoundary
            | LayerKind::HistoricCentre
            | LayerKind::PopulationCell
            | LayerKind::GreenSpace
            | LayerKind::Building
            | LayerKind::Elevation => GeometryType::MultiPolygon,
            LayerKind::BikeLane | LayerKind::WayfindingRoute | LayerKind::Road => GeometryType::MultiLineString,
            LayerKind::TreeFelling | LayerKind::TreePlanting | LayerKind::NavSign | LayerKind::Service => {
                GeometryType::Point
            }
            LayerKind::Generic => GeometryType::Any,
        }
    }

    /// The typed attributes, in table column order. Generic layers have none: their
    /// attributes go to the `props` jsonb column, as do extra attributes of every kind.
    pub fn fields(self) -> &'static [FieldDef] {
        match self {
            LayerKind::District => DISTRICT,
            LayerKind::CityBoundary | LayerKind::HistoricCentre => NAMED_AREA,
            LayerKind::PopulationCell => POPULATION_CELL,
            LayerKind::BikeLane => BIKE_LANE,
            LayerKind::GreenSpace => GREEN_SPACE,
            LayerKind::TreeFelling => TREE_FELLING,
            LayerKind::TreePlanting => TREE_PLANTING,
            LayerKind::NavSign => NAV_SIGN,
            LayerKind::WayfindingRoute => WAYFINDING_ROUTE,
            LayerKind::Service => SERVICE,
            LayerKind::Road => ROAD,
            LayerKind::Building => BUILDING,
            LayerKind::Elevation => ELEVATION,
            LayerKind::Generic => &[],
        }
    }

    pub fn field(self, name: &str) -> Option<&'static FieldDef> {
        self.fields().iter().find(|f| f.name == name)
    }
}

impl fmt::Display for LayerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for LayerKind {
    type Err = CoreError;

    /// ```
    /// use qala_core::LayerKind;
    /// assert_eq!("bike_lane".parse::<LayerKind>().unwrap(), LayerKind::BikeLane);
    /// assert_eq!("bike-lane".parse::<LayerKind>().unwrap(), LayerKind::BikeLane);
    /// assert!("lanes".parse::<LayerKind>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_lowercase().replace('-', "_");
        LayerKind::ALL
            .into_iter()
            .find(|k| k.name() == norm)
            .ok_or_else(|| CoreError::UnknownKind(s.to_owned()))
    }
}
