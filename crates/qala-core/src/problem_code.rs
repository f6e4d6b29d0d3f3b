//! Stable codes of the reasons a feature is refused or flagged, so that reports can be shown
//! in every language (the web app words each code in kk/ru/en) while the English reason keeps
//! the details (the allowed values, the limit, the date).

/// Why one feature (or one of its attributes) was refused, flagged or repaired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    /// A required attribute has no value.
    Missing,
    NotInt,
    NotNumber,
    NotBool,
    NotDate,
    /// A value outside the kind's list of codes.
    UnknownValue,
    EmptyList,
    FutureDate,
    /// A number outside the field's range.
    OutOfRange,
    NoGeometry,
    EmptyGeometry,
    UnsupportedGeometry,
    WrongGeometryType,
    InvalidPolygon,
    RepairedPolygon,
    NotFiniteCoordinate,
    /// Coordinates beyond ±180 / ±90 (often metres read as degrees).
    CoordinatesRange,
    SwappedLatlon,
    FarAway,
    Wkt,
    NoCoordinates,
    CannotReproject,
    DamagedFile,
    UnknownPermit,
    TooComplex,
    ValueTooLarge,
    ImplausibleResidents,
}

impl ProblemCode {
    pub const ALL: [ProblemCode; 27] = [
        ProblemCode::Missing,
        ProblemCode::NotInt,
        ProblemCode::NotNumber,
        ProblemCode::NotBool,
        ProblemCode::NotDate,
        ProblemCode::UnknownValue,
        ProblemCode::EmptyList,
        ProblemCode::FutureDate,
        ProblemCode::OutOfRange,
        ProblemCode::NoGeometry,
        ProblemCode::EmptyGeometry,
        ProblemCode::UnsupportedGeometry,
        ProblemCode::WrongGeometryType,
        ProblemCode::InvalidPolygon,
        ProblemCode::RepairedPolygon,
        ProblemCode::NotFiniteCoordinate,
        ProblemCode::CoordinatesRange,
        ProblemCode::SwappedLatlon,
        ProblemCode::FarAway,
        ProblemCode::Wkt,
        ProblemCode::NoCoordinates,
        ProblemCode::CannotReproject,
        ProblemCode::DamagedFile,
        ProblemCode::UnknownPermit,
        ProblemCode::TooComplex,
        ProblemCode::ValueTooLarge,
        ProblemCode::ImplausibleResidents,
    ];

    /// The snake_case code of reports (`"not_int"`).
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemCode::Missing => "missing",
            ProblemCode::NotInt => "not_int",
            ProblemCode::NotNumber => "not_number",
            ProblemCode::NotBool => "not_bool",
            ProblemCode::NotDate => "not_date",
            ProblemCode::UnknownValue => "unknown_value",
            ProblemCode::EmptyList => "empty_list",
            ProblemCode::FutureDate => "future_date",
            ProblemCode::OutOfRange => "out_of_range",
            ProblemCode::NoGeometry => "no_geometry",
            ProblemCode::EmptyGeometry => "empty_geometry",
            ProblemCode::UnsupportedGeometry => "unsupported_geometry",
            ProblemCode::WrongGeometryType => "wrong_geometry_type",
            ProblemCode::InvalidPolygon => "invalid_polygon",
            ProblemCode::RepairedPolygon => "repaired_polygon",
            ProblemCode::NotFiniteCoordinate => "not_finite_coordinate",
            ProblemCode::CoordinatesRange => "coordinates_range",
            ProblemCode::SwappedLatlon => "swapped_latlon",
            ProblemCode::FarAway => "far_away",
            ProblemCode::Wkt => "wkt",
            ProblemCode::NoCoordinates => "no_coordinates",
            ProblemCode::CannotReproject => "cannot_reproject",
            ProblemCode::DamagedFile => "damaged_file",
            ProblemCode::UnknownPermit => "unknown_permit",
            ProblemCode::TooComplex => "too_complex",
            ProblemCode::ValueTooLarge => "value_too_large",
            ProblemCode::ImplausibleResidents => "implausible_residents",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_and_as_str_agree_for_every_code() {
        let mut seen = std::collections::HashSet::new();
        for c in ProblemCode::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), serde_json::json!(c.as_str()));
            assert!(seen.insert(c.as_str()), "duplicate {c:?}");
        }
    }
}
