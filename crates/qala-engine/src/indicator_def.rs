//! Indicator definitions as data: what is counted, over what, the threshold, the norm,
//! the unit and a version, so that every published figure can be traced to its definition.

use qala_core::LayerKind;
use serde::{Deserialize, Serialize};

use crate::DistanceMode;

/// A name in the city's three languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Names {
    pub kk: String,
    pub ru: String,
    pub en: String,
}

impl Names {
    pub fn new(kk: &str, ru: &str, en: &str) -> Names {
        Names {
            kk: kk.to_owned(),
            ru: ru.to_owned(),
            en: en.to_owned(),
        }
    }

    /// The same text in every language (codes, numbers).
    pub fn same(s: &str) -> Names {
        Names::new(s, s, s)
    }
}

/// One definition. Changing what an indicator counts means a new `version`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorDef {
    /// Stable id, e.g. `green_300m_who`.
    pub id: String,
    pub version: u32,
    pub names: Names,
    /// What is counted, over what, in plain English.
    pub description: String,
    pub measure: Measure,
    /// Unit of the value, e.g. `share of residents`, `m²/resident`.
    pub unit: String,
    pub norm: Option<Norm>,
    /// Where the threshold or norm comes from (WHO, UN SDG 11.2.1, a Kazakh norm...).
    pub reference: String,
}

impl IndicatorDef {
    /// This definition with its access distance measured in `mode`.
    ///
    /// Errors: `not_access_indicator` for network mode on an indicator that measures no
    /// distance (straight mode leaves every definition as it is).
    ///
    /// ```
    /// use qala_engine::{DistanceMode, Measure, default_indicators};
    /// let defs = default_indicators();
    /// let stops = defs.iter().find(|d| d.id == "stops_500m").unwrap().clone();
    /// let net = stops.with_distance(DistanceMode::Network).unwrap();
    /// assert!(matches!(net.measure, Measure::Access { distance: DistanceMode::Network, .. }));
    /// let green = defs.iter().find(|d| d.id == "green_m2_per_resident").unwrap().clone();
    /// assert!(green.clone().with_distance(DistanceMode::Straight).is_ok());
    /// assert_eq!(green.with_distance(DistanceMode::Network).unwrap_err().code(), "not_access_indicator");
    /// ```
    pub fn with_distance(mut self, mode: DistanceMode) -> Result<IndicatorDef, crate::EngineError> {
        match &mut self.measure {
            Measure::Access { distance, .. } => *distance = mode,
            _ if mode == DistanceMode::Network => return Err(crate::EngineError::NotAccessIndicator(self.id)),
            _ => {}
        }
        Ok(self)
    }

    /// The access distance mode, `None` for indicators that measure no distance.
    pub fn distance(&self) -> Option<DistanceMode> {
        match &self.measure {
            Measure::Access { distance, .. } => Some(*distance),
            _ => None,
        }
    }
}

/// What an indicator measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Measure {
    /// Share of residents whose population cell (its UTM centroid) lies within
    /// `radius_m` metres of any selected feature: straight line in UTM 43N, or walking
    /// along streets (`distance: network`, see [`crate::DistanceMode`]).
    Access {
        layer: LayerSelector,
        radius_m: f64,
        #[serde(default, skip_serializing_if = "DistanceMode::is_straight")]
        distance: DistanceMode,
    },
    /// Area (m², UTM 43N) of the selected polygons inside the zone, per resident.
    AreaPerResident { layer: LayerSelector },
    /// Length (km) of the selected lines inside the zone per `per_residents` residents.
    LengthPerResidents { layer: LayerSelector, per_residents: f64 },
    /// Length (km) of the selected lines inside the zone per km² of zone.
    LengthPerArea { layer: LayerSelector },
    /// Compensatory planting: fellings (`tree_felling`) and the plantings that name their
    /// permit (`tree_planting.felling_permit_no`).
    Compensation { metric: CompensationMetric },
    /// The longest stretch of each wayfinding route with no map sign: signs within
    /// `snap_m` of a route are placed on it, the gap is the longest distance between
    /// consecutive signs (or a route end) along the route.
    RouteGap { signs: LayerSelector, snap_m: f64 },
}

/// The compensation figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompensationMetric {
    /// Trees delivered (planted for the zone's permits) / trees required
    /// (Σ trees_felled × compensation_ratio), by the felling's zone.
    DeliveredRatio,
    /// Share of the trees planted for the zone's permits that were planted in the same zone.
    SameZoneShare,
    /// Permits whose compensation is due before the as-of date and not fully delivered.
    OverduePermits,
    /// Trees alive at the N-year check / trees planted (plantings with that check), by the
    /// planting's zone.
    Survival1y,
    Survival2y,
    Survival3y,
}

/// Which features an indicator counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct LayerSelector {
    /// Every served layer of this kind (e.g. `service`: the OSM services and the transit stops).
    pub kind: Option<LayerKind>,
    /// Or one layer by slug.
    pub slug: Option<String>,
    #[serde(default)]
    pub filter: FeatureFilter,
}

/// Conditions on a feature's attributes; all must hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct FeatureFilter {
    #[serde(default)]
    pub equals: Vec<FieldEquals>,
    /// Only polygons of at least this area (m², UTM 43N).
    pub min_area_m2: Option<f64>,
}

/// `field` is one of `any_of` (compared as text: `true`, `park`, `2027`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldEquals {
    pub field: String,
    pub any_of: Vec<String>,
}

impl FieldEquals {
    /// Parses `field=value` or `field=a,b`.
    ///
    /// ```
    /// let f = qala_engine::FieldEquals::parse("category=school,kindergarten").unwrap();
    /// assert_eq!(f.field, "category");
    /// assert_eq!(f.any_of, vec!["school", "kindergarten"]);
    /// assert!(qala_engine::FieldEquals::parse("category").is_err());
    /// ```
    pub fn parse(s: &str) -> Result<FieldEquals, crate::EngineError> {
        let (field, values) = s
            .split_once('=')
            .ok_or_else(|| crate::EngineError::InvalidFilter(s.to_owned()))?;
        let field = field.trim();
        let any_of: Vec<String> = values
            .split(',')
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect();
        if field.is_empty() || any_of.is_empty() {
            return Err(crate::EngineError::InvalidFilter(s.to_owned()));
        }
        Ok(FieldEquals {
            field: field.to_owned(),
            any_of,
        })
    }
}

/// The norm a value is compared with. `gap_to_norm` = value − norm: negative is a shortfall
/// for `AtLeast`, positive an excess for `AtMost`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Norm {
    AtLeast(f64),
    AtMost(f64),
}

impl Norm {
    pub fn value(self) -> f64 {
        match self {
            Norm::AtLeast(v) | Norm::AtMost(v) => v,
        }
    }
}

fn kind_filter(kind: LayerKind, equals: &[(&str, &[&str])]) -> LayerSelector {
    LayerSelector {
        kind: Some(kind),
        slug: None,
        filter: FeatureFilter {
            equals: equals
                .iter()
                .map(|(f, vs)| FieldEquals {
                    field: (*f).to_owned(),
                    any_of: vs.iter().map(|v| (*v).to_owned()).collect(),
                })
                .collect(),
            min_area_m2: None,
        },
    }
}

fn access(
    id: &str,
    names: Names,
    description: &str,
    layer: LayerSelector,
    radius_m: f64,
    reference: &str,
) -> IndicatorDef {
    IndicatorDef {
        id: id.to_owned(),
        version: 1,
        names,
        description: description.to_owned(),
        measure: Measure::Access {
            layer,
            radius_m,
            distance: DistanceMode::Straight,
        },
        unit: "share of residents".to_owned(),
        // Universal access is the target of every access indicator (SDG 11.2.1 "for all").
        norm: Some(Norm::AtLeast(1.0)),
        reference: reference.to_owned(),
    }
}

fn compensation(id: &str, names: Names, description: &str, metric: CompensationMetric, unit: &str) -> IndicatorDef {
    IndicatorDef {
        id: id.to_owned(),
        version: 1,
        names,
        description: description.to_owned(),
        measure: Measure::Compensation { metric },
        unit: unit.to_owned(),
        norm: match metric {
            CompensationMetric::OverduePermits => Some(Norm::AtMost(0.0)),
            CompensationMetric::DeliveredRatio => Some(Norm::AtLeast(1.0)),
            _ => None,
        },
        reference: "Almaty compensatory planting rules (trees felled × compensation ratio)".to_owned(),
    }
}

/// The default indicator set.
///
/// ```
/// let defs = qala_engine::default_indicators();
/// assert!(defs.iter().any(|d| d.id == "green_300m_who"));
/// let ids: std::collections::HashSet<_> = defs.iter().map(|d| &d.id).collect();
/// assert_eq!(ids.len(), defs.len(), "ids are unique");
/// ```
pub fn default_indicators() -> Vec<IndicatorDef> {
    use CompensationMetric as C;
    use LayerKind as K;
    let public_green = LayerSelector {
        kind: Some(K::GreenSpace),
        slug: None,
        filter: FeatureFilter {
            equals: vec![FieldEquals {
                field: "public_access".into(),
                any_of: vec!["true".into()],
            }],
            min_area_m2: None,
        },
    };
    let mut who_green = public_green.clone();
    who_green.filter.min_area_m2 = Some(5_000.0);
    let existing_lanes = kind_filter(K::BikeLane, &[("status", &["existing"])]);
    let planned_network = kind_filter(
        K::BikeLane,
        &[("status", &["existing", "under_construction", "planned"])],
    );
    vec![
        IndicatorDef {
            id: "green_m2_per_resident".into(),
            version: 1,
            names: Names::new(
                "Тұрғынға шаққандағы жалпыға қолжетімді жасыл алаң",
                "Общедоступные зелёные насаждения на жителя",
                "Public green space per resident",
            ),
            description: "Area of public green spaces inside the zone (UTM 43N) divided by its residents".into(),
            measure: Measure::AreaPerResident { layer: public_green },
            unit: "m²/resident".into(),
            norm: Some(Norm::AtLeast(10.0)),
            reference: "Kazakh residential-area norm: at least 10 m² of public green space per resident".into(),
        },
        access(
            "green_300m_who",
            Names::new(
                "0,5 га жасыл алаңнан 300 м ішіндегі тұрғындар",
                "Жители в 300 м от зелёной зоны ≥ 0,5 га",
                "Residents within 300 m of a public green space ≥ 0.5 ha",
            ),
            "Residents within 300 m of a public green space of at least 0.5 ha",
            who_green,
            300.0,
            "WHO Europe, Urban green spaces and health (2016)",
        ),
        access(
            "stops_500m",
            Names::new(
                "Аялдамадан 500 м ішіндегі тұрғындар",
                "Жители в 500 м от остановки автобуса/BRT",
                "Residents within 500 m of a bus or BRT stop",
            ),
            "Residents within 500 m of a bus or BRT stop",
            kind_filter(K::Service, &[("category", &["bus_stop", "brt_stop"])]),
            500.0,
            "UN SDG 11.2.1 (convenient access to public transport: 500 m to low-capacity stops)",
        ),
        access(
            "metro_1km",
            Names::new(
                "Метродан 1 км ішіндегі тұрғындар",
                "Жители в 1 км от станции метро",
                "Residents within 1 km of a metro station",
            ),
            "Residents within 1 km of a metro station",
            kind_filter(K::Service, &[("category", &["metro_station"])]),
            1_000.0,
            "UN SDG 11.2.1 (1 km to high-capacity transit)",
        ),
        access(
            "school_500m",
            Names::new(
                "Мектептен 500 м ішіндегі тұрғындар",
                "Жители в 500 м от школы",
                "Residents within 500 m of a school",
            ),
            "Residents within 500 m of a school",
            kind_filter(K::Service, &[("category", &["school"])]),
            500.0,
            "Kazakh urban planning norm SP RK 3.01-101 (walking radius of a school)",
        ),
        access(
            "kindergarten_300m",
            Names::new(
                "Балабақшадан 300 м ішіндегі тұрғындар",
                "Жители в 300 м от детского сада",
                "Residents within 300 m of a kindergarten",
            ),
            "Residents within 300 m of a kindergarten",
            kind_filter(K::Service, &[("category", &["kindergarten"])]),
            300.0,
            "Kazakh urban planning norm SP RK 3.01-101 (walking radius of a kindergarten)",
        ),
        access(
            "clinic_1km",
            Names::new(
                "Емханадан 1 км ішіндегі тұрғындар",
                "Жители в 1 км от поликлиники",
                "Residents within 1 km of a clinic",
            ),
            "Residents within 1 km of a clinic or hospital (OSM amenity=clinic/hospital; \
             Almaty's polyclinics are mostly tagged hospital)",
            kind_filter(K::Service, &[("category", &["clinic", "hospital"])]),
            1_000.0,
            "Kazakh urban planning norm SP RK 3.01-101 (service radius of a polyclinic)",
        ),
        access(
            "bike_300m_existing",
            Names::new(
                "Веложолдан 300 м ішіндегі тұрғындар (бар)",
                "Жители в 300 м от велодорожки (существующие)",
                "Residents within 300 m of an existing bike lane",
            ),
            "Residents within 300 m of an existing bike lane",
            existing_lanes.clone(),
            300.0,
            "Almaty bike-lane scheme",
        ),
        access(
            "bike_300m_plan",
            Names::new(
                "Веложолдан 300 м ішіндегі тұрғындар (жоспар орындалса)",
                "Жители в 300 м от велодорожки (если план построен)",
                "Residents within 300 m of a bike lane if the plan is built",
            ),
            "Residents within 300 m of an existing, under-construction or planned bike lane",
            planned_network,
            300.0,
            "Almaty bike-lane scheme",
        ),
        IndicatorDef {
            id: "bike_km_per_10k".into(),
            version: 1,
            names: Names::new(
                "10 000 тұрғынға веложол км",
                "Км велодорожек на 10 000 жителей",
                "Bike-lane km per 10,000 residents",
            ),
            description: "Length of existing bike lanes inside the zone (UTM 43N) per 10,000 residents".into(),
            measure: Measure::LengthPerResidents {
                layer: existing_lanes.clone(),
                per_residents: 10_000.0,
            },
            unit: "km/10k residents".into(),
            norm: None,
            reference: "Almaty bike-lane scheme".into(),
        },
        IndicatorDef {
            id: "bike_km_per_km2".into(),
            version: 1,
            names: Names::new("Км² сайын веложол км", "Км велодорожек на км²", "Bike-lane km per km²"),
            description: "Length of existing bike lanes inside the zone per km² of zone (UTM 43N)".into(),
            measure: Measure::LengthPerArea { layer: existing_lanes },
            unit: "km/km²".into(),
            norm: None,
            reference: "Almaty bike-lane scheme".into(),
        },
        compensation(
            "planting_delivered_ratio",
            Names::new(
                "Өтемдік отырғызу: талап етілген/отырғызылған",
                "Компенсационная посадка: посажено / требуется",
                "Compensatory planting: trees delivered / required",
            ),
            "Trees planted for the zone's felling permits / trees required (felled × ratio)",
            C::DeliveredRatio,
            "ratio",
        ),
        compensation(
            "planting_same_zone_share",
            Names::new(
                "Сол аймақта отырғызылған үлес",
                "Доля посаженных в той же зоне",
                "Share of compensation planted in the same zone",
            ),
            "Of the trees planted for the zone's permits, the share planted inside the same zone",
            C::SameZoneShare,
            "share of trees",
        ),
        compensation(
            "planting_overdue_permits",
            Names::new(
                "Мерзімі өткен өтем міндеттері",
                "Просроченные обязательства по компенсации",
                "Overdue compensation obligations",
            ),
            "Felling permits whose compensation was due before the as-of date and is not fully delivered",
            C::OverduePermits,
            "permits",
        ),
        compensation(
            "planting_survival_1y",
            Names::new(
                "1 жылдан кейін тірі қалуы",
                "Приживаемость через 1 год",
                "Survival at 1 year",
            ),
            "Trees alive at the 1-year check / trees planted, by the planting's zone",
            C::Survival1y,
            "share of trees",
        ),
        compensation(
            "planting_survival_2y",
            Names::new(
                "2 жылдан кейін тірі қалуы",
                "Приживаемость через 2 года",
                "Survival at 2 years",
            ),
            "Trees alive at the 2-year check / trees planted, by the planting's zone",
            C::Survival2y,
            "share of trees",
        ),
        compensation(
            "planting_survival_3y",
            Names::new(
                "3 жылдан кейін тірі қалуы",
                "Приживаемость через 3 года",
                "Survival at 3 years",
            ),
            "Trees alive at the 3-year check / trees planted, by the planting's zone",
            C::Survival3y,
            "share of trees",
        ),
        access(
            "wayfinding_375m",
            Names::new(
                "Карта-белгіден 375 м ішіндегі тұрғындар",
                "Жители в 375 м от знака-карты",
                "Residents within 375 m of a map sign",
            ),
            "Residents within 375 m (about 5 minutes' walk) of a wayfinding map sign",
            kind_filter(K::NavSign, &[("sign_type", &["map"])]),
            375.0,
            "Legible London wayfinding standard (a map within 5 minutes' walk)",
        ),
        IndicatorDef {
            id: "wayfinding_route_gap".into(),
            version: 1,
            names: Names::new(
                "Бағыттағы ең ұзын белгісіз бөлік",
                "Самый длинный участок маршрута без знака",
                "Longest stretch of a route without a sign",
            ),
            description: "For each wayfinding route, the longest distance along it between consecutive \
                          signs (any type) within 30 m of it, or a route end; zone value: the longest such \
                          gap of the routes that start in the zone"
                .into(),
            measure: Measure::RouteGap {
                signs: LayerSelector {
                    kind: Some(K::NavSign),
                    slug: None,
                    filter: FeatureFilter::default(),
                },
                snap_m: 30.0,
            },
            unit: "m".into(),
            norm: Some(Norm::AtMost(375.0)),
            reference: "Legible London wayfinding standard".into(),
        },
    ]
}
