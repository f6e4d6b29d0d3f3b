//! The words of the HTML pages in Kazakh, Russian and English. A missing translation is a
//! compile error: every variant answers all three.

use crate::negotiate::Lang;

/// One string of the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum T {
    SiteTitle,
    SiteDescription,
    Layers,
    ApiDefinition,
    Conformance,
    MapApp,
    Title,
    Kind,
    FeatureCount,
    Data,
    Real,
    Synthetic,
    SyntheticNote,
    Licence,
    Attribution,
    Description,
    SpatialExtent,
    TemporalExtent,
    Queryables,
    Download,
    DownloadCap,
    GeoJsonPaged,
    BrowseFeatures,
    Property,
    Value,
    NextPage,
    FirstPage,
    Shown,
    Matched,
    PreviewMap,
    PreviewCapped,
    NoGeometry,
    Language,
    Home,
    Feature,
    NotLoaded,
    Type,
    Unit,
    NoFeatures,
    Longitude,
    Latitude,
}

impl T {
    /// The text in `lang`. `{n}` marks where a number goes, where there is one.
    pub fn get(self, lang: Lang) -> &'static str {
        let [kk, ru, en] = self.all();
        match lang {
            Lang::Kk => kk,
            Lang::Ru => ru,
            Lang::En => en,
        }
    }

    fn all(self) -> [&'static str; 3] {
        match self {
            T::SiteTitle => [
                "qala — Алматы қаласының ашық деректері",
                "qala — открытые данные города Алматы",
                "qala — open city data for Almaty",
            ],
            T::SiteDescription => [
                "Алматы қабаттары (аудандар, халық, велосипед жолдары, жасыл аймақтар, ағаш кесу және отырғызу, навигациялық белгілер, қызметтер) OGC API Features және векторлық тайлдар ретінде.",
                "Слои Алматы (районы, население, велодорожки, зелёные зоны, вырубка и посадка деревьев, навигационные знаки, услуги) в виде OGC API Features и векторных тайлов.",
                "Layers of Almaty (districts, population, bike lanes, green spaces, tree fellings and plantings, navigation signs, services) as OGC API Features and vector tiles.",
            ],
            T::Layers => ["Қабаттар", "Слои", "Layers"],
            T::ApiDefinition => [
                "API сипаттамасы (OpenAPI)",
                "Описание API (OpenAPI)",
                "API definition (OpenAPI)",
            ],
            T::Conformance => ["Сәйкестік кластары", "Классы соответствия", "Conformance classes"],
            T::MapApp => ["Интерактивті карта", "Интерактивная карта", "Interactive map"],
            T::Title => ["Атауы", "Название", "Title"],
            T::Kind => ["Түрі", "Тип", "Kind"],
            T::FeatureCount => ["Объектілер саны", "Число объектов", "Features"],
            T::Data => ["Деректер", "Данные", "Data"],
            T::Real => ["Нақты", "Реальные", "Real"],
            T::Synthetic => ["Синтетикалық", "Синтетические", "Synthetic"],
            T::SyntheticNote => [
                "Синтетикалық деректер: тексеру үшін жасалған, шынайы объектілер емес.",
                "Синтетические данные: созданы для проверки, это не реальные объекты.",
                "Synthetic data: generated for testing, not real features.",
            ],
            T::Licence => ["Лицензия", "Лицензия", "Licence"],
            T::Attribution => ["Дереккөз", "Источник", "Attribution"],
            T::Description => ["Сипаттамасы", "Описание", "Description"],
            T::SpatialExtent => ["Кеңістіктік қамту", "Пространственный охват", "Spatial extent"],
            T::TemporalExtent => ["Уақыттық қамту", "Временной охват", "Temporal extent"],
            T::Queryables => ["Сүзуге болатын қасиеттер", "Свойства для фильтрации", "Queryables"],
            T::Download => ["Жүктеп алу", "Скачать", "Download"],
            T::DownloadCap => [
                "CSV және GeoPackage файлдарында ең көбі {n} объект болады.",
                "Файлы CSV и GeoPackage содержат не более {n} объектов.",
                "CSV and GeoPackage files hold at most {n} features.",
            ],
            T::GeoJsonPaged => [
                "GeoJSON ең көбі {n} объектіден тұратын беттермен беріледі (next сілтемелері бойынша).",
                "GeoJSON выдаётся страницами не более {n} объектов (по ссылкам next).",
                "GeoJSON comes in pages of at most {n} features (follow the next links).",
            ],
            T::BrowseFeatures => ["Объектілерді қарау", "Просмотр объектов", "Browse the features"],
            T::Property => ["Қасиет", "Свойство", "Property"],
            T::Value => ["Мәні", "Значение", "Value"],
            T::NextPage => ["Келесі бет", "Следующая страница", "Next page"],
            T::FirstPage => ["Бірінші бет", "Первая страница", "First page"],
            T::Shown => ["Көрсетілді", "Показано", "Shown"],
            T::Matched => ["Барлығы табылды", "Всего найдено", "Matched"],
            T::PreviewMap => ["Алдын ала қарау картасы", "Карта предпросмотра", "Preview map"],
            T::PreviewCapped => [
                "Картада алғашқы {n} объект қана көрсетілген.",
                "На карте показаны только первые {n} объектов.",
                "The map shows only the first {n} features.",
            ],
            T::NoGeometry => ["Геометрия жоқ", "Нет геометрии", "No geometry"],
            T::Language => ["Тіл", "Язык", "Language"],
            T::Home => ["Басты бет", "Главная", "Home"],
            T::Feature => ["Объект", "Объект", "Feature"],
            T::NotLoaded => [
                "Қабат әлі жүктелмеген.",
                "Слой ещё не загружен.",
                "The layer is not loaded yet.",
            ],
            T::Type => ["Түрі", "Тип", "Type"],
            T::Unit => ["Өлшем бірлігі", "Единица", "Unit"],
            T::Longitude => ["Бойлық", "Долгота", "Longitude"],
            T::Latitude => ["Ендік", "Широта", "Latitude"],
            T::NoFeatures => ["Объектілер табылмады.", "Объекты не найдены.", "No features found."],
        }
    }

    /// The text with `{n}` replaced.
    pub fn with(self, lang: Lang, n: &str) -> String {
        self.get(lang).replace("{n}", n)
    }
}

/// `n` with the language's digit grouping: `12,345` in English, `12 345` (no-break spaces)
/// in Kazakh and Russian.
pub fn int(n: i64, lang: Lang) -> String {
    let sep = match lang {
        Lang::En => ",",
        Lang::Kk | Lang::Ru => "\u{a0}",
    };
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A decimal with `places` decimals and the language's decimal mark (a comma in Kazakh and
/// Russian).
pub fn decimal(x: f64, places: usize, lang: Lang) -> String {
    let s = format!("{x:.places$}");
    match lang {
        Lang::En => s,
        Lang::Kk | Lang::Ru => s.replace('.', ","),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_by_language() {
        assert_eq!(int(1234567, Lang::En), "1,234,567");
        assert_eq!(int(1234567, Lang::Ru), "1\u{a0}234\u{a0}567");
        assert_eq!(int(999, Lang::Kk), "999");
        assert_eq!(int(-1000, Lang::En), "-1,000");
        assert_eq!(int(0, Lang::En), "0");
        assert_eq!(decimal(76.91234, 4, Lang::Ru), "76,9123");
        assert_eq!(decimal(43.5, 2, Lang::En), "43.50");
    }

    #[test]
    fn every_text_differs_by_language_where_it_should() {
        assert_eq!(T::Layers.get(Lang::Kk), "Қабаттар");
        assert_eq!(T::Layers.get(Lang::Ru), "Слои");
        assert_eq!(
            T::PreviewCapped.with(Lang::En, "2,000"),
            "The map shows only the first 2,000 features."
        );
    }
}
