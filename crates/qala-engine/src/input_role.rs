//! Input roles and the city's binding of layers to them.
//!
//! A definition names what it counts by *role* (`bus_stops`, `schools`, `population`, …),
//! never by layer kind: which layer — and which selection of it — fills a role is the city's
//! [`Bindings`], kept in the database with its history and changed on purpose by an admin.
//! A new upload therefore changes no published figure until somebody binds it.

use std::collections::BTreeMap;

use qala_core::LayerKind;
use serde::{Deserialize, Serialize};

use crate::EngineError;
use crate::indicator_def::{FeatureFilter, FieldEquals, Names};

/// One role a definition can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputRole {
    /// Stable id, e.g. `bus_stops`.
    pub id: &'static str,
    /// The kind every bound layer must have.
    pub kind: LayerKind,
    /// kk / ru / en.
    pub names: [&'static str; 3],
    /// Whether several layers may fill it together (stops from two layers); roles that
    /// define zones or residents take exactly one.
    pub many: bool,
}

impl InputRole {
    pub fn names(&self) -> Names {
        Names::new(self.names[0], self.names[1], self.names[2])
    }
}

const fn role(id: &'static str, kind: LayerKind, names: [&'static str; 3], many: bool) -> InputRole {
    InputRole { id, kind, names, many }
}

/// Every role, in the order the API lists them.
pub const INPUT_ROLES: &[InputRole] = &[
    role(
        "population",
        LayerKind::PopulationCell,
        ["Тұрғындар", "Население", "Residents"],
        false,
    ),
    role(
        "districts",
        LayerKind::District,
        ["Аудандар", "Районы", "Districts"],
        false,
    ),
    role(
        "city_boundary",
        LayerKind::CityBoundary,
        ["Қала шекарасы", "Граница города", "City boundary"],
        false,
    ),
    role(
        "historic_centre",
        LayerKind::HistoricCentre,
        ["Тарихи орталық", "Исторический центр", "Historic centre"],
        false,
    ),
    role(
        "green_spaces",
        LayerKind::GreenSpace,
        ["Жасыл алаңдар", "Зелёные зоны", "Green spaces"],
        true,
    ),
    role(
        "bus_stops",
        LayerKind::Service,
        ["Автобус/BRT аялдамалары", "Остановки автобуса/BRT", "Bus and BRT stops"],
        true,
    ),
    role(
        "metro_stations",
        LayerKind::Service,
        ["Метро бекеттері", "Станции метро", "Metro stations"],
        true,
    ),
    role("schools", LayerKind::Service, ["Мектептер", "Школы", "Schools"], true),
    role(
        "kindergartens",
        LayerKind::Service,
        ["Балабақшалар", "Детские сады", "Kindergartens"],
        true,
    ),
    role(
        "clinics",
        LayerKind::Service,
        [
            "Емханалар мен ауруханалар",
            "Поликлиники и больницы",
            "Clinics and hospitals",
        ],
        true,
    ),
    role(
        "bike_lanes",
        LayerKind::BikeLane,
        ["Веложолдар", "Велодорожки", "Bike lanes"],
        true,
    ),
    role(
        "tree_fellings",
        LayerKind::TreeFelling,
        ["Ағаш кесу", "Вырубка деревьев", "Tree fellings"],
        true,
    ),
    role(
        "tree_plantings",
        LayerKind::TreePlanting,
        ["Өтемдік отырғызу", "Компенсационные посадки", "Compensatory plantings"],
        true,
    ),
    role(
        "nav_signs",
        LayerKind::NavSign,
        ["Бағдар белгілері", "Навигационные знаки", "Wayfinding signs"],
        true,
    ),
    role(
        "wayfinding_routes",
        LayerKind::WayfindingRoute,
        ["Бағдар бағыттары", "Навигационные маршруты", "Wayfinding routes"],
        true,
    ),
    role("roads", LayerKind::Road, ["Көшелер", "Улицы", "Streets"], false),
    role(
        "elevation",
        LayerKind::Elevation,
        ["Жер бедерінің биіктігі", "Высота рельефа", "Ground elevation"],
        false,
    ),
];

/// The role with this id.
///
/// ```
/// let r = qala_engine::input_role("bus_stops").unwrap();
/// assert_eq!(r.kind, qala_core::LayerKind::Service);
/// assert_eq!(qala_engine::input_role("buses").unwrap_err().code(), "unknown_role");
/// ```
pub fn input_role(id: &str) -> Result<&'static InputRole, EngineError> {
    INPUT_ROLES.iter().find(|r| r.id == id).ok_or_else(|| {
        EngineError::UnknownRole(
            id.to_owned(),
            INPUT_ROLES.iter().map(|r| r.id).collect::<Vec<_>>().join(", "),
        )
    })
}

/// One layer filling a role, with an optional selection of its features (all must hold).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BoundLayer {
    pub slug: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty", rename = "where")]
    pub selection: Vec<FieldEquals>,
}

impl BoundLayer {
    pub fn new(slug: &str, selection: &[(&str, &[&str])]) -> BoundLayer {
        BoundLayer {
            slug: slug.to_owned(),
            selection: selection
                .iter()
                .map(|(f, vs)| FieldEquals {
                    field: (*f).to_owned(),
                    any_of: vs.iter().map(|v| (*v).to_owned()).collect(),
                })
                .collect(),
        }
    }

    pub(crate) fn filter(&self) -> FeatureFilter {
        FeatureFilter {
            equals: self.selection.clone(),
            min_area_m2: None,
        }
    }
}

/// role id → the layers that fill it, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Bindings(pub BTreeMap<String, Vec<BoundLayer>>);

impl Bindings {
    /// The layers bound to `role` (empty when unbound).
    pub fn layers(&self, role: &str) -> &[BoundLayer] {
        self.0.get(role).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every slug bound to any role.
    pub fn slugs(&self) -> std::collections::BTreeSet<&str> {
        self.0.values().flatten().map(|b| b.slug.as_str()).collect()
    }

    /// Checks one role's binding against the layers that exist (`kind_of(slug)`): a known
    /// role, at least one layer, one layer for single roles, each layer of the role's kind,
    /// no repeated layer, selections on fields the kind has.
    pub fn check_role(
        role: &str,
        layers: &[BoundLayer],
        kind_of: impl Fn(&str) -> Option<LayerKind>,
    ) -> Result<(), EngineError> {
        let r = input_role(role)?;
        let bad = |why: String| EngineError::InvalidBinding {
            role: role.to_owned(),
            why,
        };
        if layers.is_empty() {
            return Err(bad("name at least one layer".into()));
        }
        if !r.many && layers.len() > 1 {
            return Err(bad(format!("this role takes exactly one {} layer", r.kind.name())));
        }
        for (i, b) in layers.iter().enumerate() {
            if layers[..i].iter().any(|o| o.slug == b.slug) {
                return Err(bad(format!("layer {:?} is named twice", b.slug)));
            }
            let Some(kind) = kind_of(&b.slug) else {
                return Err(EngineError::UnknownLayer(b.slug.clone()));
            };
            if kind != r.kind {
                return Err(bad(format!(
                    "layer {:?} is a {} layer; this role takes {} layers",
                    b.slug,
                    kind.name(),
                    r.kind.name()
                )));
            }
            if !b.selection.is_empty() && !r.many {
                return Err(bad("a zone or population role takes the whole layer (no where)".into()));
            }
            for eq in &b.selection {
                if kind != LayerKind::Generic && !kind.fields().iter().any(|f| f.name == eq.field) {
                    return Err(EngineError::UnknownField {
                        slug: b.slug.clone(),
                        field: eq.field.clone(),
                        known: kind.fields().iter().map(|f| f.name).collect::<Vec<_>>().join(", "),
                    });
                }
            }
        }
        Ok(())
    }
}

/// The bindings the Almaty fixtures are published with (`qala fixtures load` records them).
///
/// ```
/// let b = qala_engine::default_bindings();
/// assert_eq!(b.layers("population")[0].slug, "population");
/// assert_eq!(b.layers("bus_stops").len(), 2);
/// for (role, _) in &b.0 { qala_engine::input_role(role).unwrap(); }
/// ```
pub fn default_bindings() -> Bindings {
    let stops: &[&str] = &["bus_stop", "brt_stop"];
    let metro: &[&str] = &["metro_station"];
    let mut m = BTreeMap::new();
    let mut put = |role: &str, layers: Vec<BoundLayer>| {
        m.insert(role.to_owned(), layers);
    };
    put("population", vec![BoundLayer::new("population", &[])]);
    put("districts", vec![BoundLayer::new("districts", &[])]);
    put("city_boundary", vec![BoundLayer::new("city-boundary", &[])]);
    put("historic_centre", vec![BoundLayer::new("historic-centre", &[])]);
    put("green_spaces", vec![BoundLayer::new("green-spaces", &[])]);
    put(
        "bus_stops",
        vec![
            BoundLayer::new("services", &[("category", stops)]),
            BoundLayer::new("transit-stops", &[("category", stops)]),
        ],
    );
    put(
        "metro_stations",
        vec![
            BoundLayer::new("services", &[("category", metro)]),
            BoundLayer::new("transit-stops", &[("category", metro)]),
        ],
    );
    put(
        "schools",
        vec![BoundLayer::new("services", &[("category", &["school"])])],
    );
    put(
        "kindergartens",
        vec![BoundLayer::new("services", &[("category", &["kindergarten"])])],
    );
    put(
        "clinics",
        vec![BoundLayer::new("services", &[("category", &["clinic", "hospital"])])],
    );
    put("bike_lanes", vec![BoundLayer::new("bike-lanes", &[])]);
    put("tree_fellings", vec![BoundLayer::new("tree-fellings", &[])]);
    put("tree_plantings", vec![BoundLayer::new("tree-plantings", &[])]);
    put("nav_signs", vec![BoundLayer::new("nav-signs", &[])]);
    put("wayfinding_routes", vec![BoundLayer::new("wayfinding-routes", &[])]);
    put("roads", vec![BoundLayer::new("roads", &[])]);
    put("elevation", vec![BoundLayer::new("elevation", &[])]);
    Bindings(m)
}

/// The selection the shipped binding of `role` makes (the same for each of its layers).
pub(crate) fn default_selection(role: &str) -> FeatureFilter {
    static DEFAULTS: std::sync::OnceLock<Bindings> = std::sync::OnceLock::new();
    DEFAULTS
        .get_or_init(default_bindings)
        .layers(role)
        .first()
        .map(BoundLayer::filter)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(slug: &str) -> Option<LayerKind> {
        match slug {
            "services" | "hospitals" => Some(LayerKind::Service),
            "population" | "better-pop" => Some(LayerKind::PopulationCell),
            "districts" => Some(LayerKind::District),
            _ => None,
        }
    }

    #[test]
    fn bad_bindings_are_refused_with_the_reason() {
        let one = |s: &str| vec![BoundLayer::new(s, &[])];
        assert_eq!(
            Bindings::check_role("buses", &one("services"), kinds)
                .unwrap_err()
                .code(),
            "unknown_role"
        );
        let e = Bindings::check_role("population", &one("services"), kinds).unwrap_err();
        assert_eq!(e.code(), "invalid_binding");
        assert!(e.to_string().contains("service layer"), "{e}");
        assert_eq!(
            Bindings::check_role("schools", &one("nowhere"), kinds)
                .unwrap_err()
                .code(),
            "unknown_layer"
        );
        assert_eq!(
            Bindings::check_role("schools", &[], kinds).unwrap_err().code(),
            "invalid_binding"
        );
        let two = vec![BoundLayer::new("population", &[]), BoundLayer::new("better-pop", &[])];
        assert_eq!(
            Bindings::check_role("population", &two, kinds).unwrap_err().code(),
            "invalid_binding"
        );
        let sel = vec![BoundLayer::new("services", &[("colour", &["red"])])];
        assert_eq!(
            Bindings::check_role("schools", &sel, kinds).unwrap_err().code(),
            "unknown_field"
        );
        assert!(Bindings::check_role("population", &one("better-pop"), kinds).is_ok());
        let ok = vec![BoundLayer::new("services", &[("category", &["school"])])];
        assert!(Bindings::check_role("schools", &ok, kinds).is_ok());
    }
}
