//! Names, places and suppliers the generator draws from, and small text helpers.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

pub(crate) const PRENOMS_M: &[&str] = &[
    "Mohammed",
    "Youssef",
    "Karim",
    "Hicham",
    "Omar",
    "Mehdi",
    "Rachid",
    "Abdelaziz",
    "Hassan",
    "Adil",
    "Amine",
    "Nabil",
    "Saïd",
    "Khalid",
    "Driss",
    "Othmane",
    "Reda",
    "Anas",
    "Yassine",
    "Tarik",
    "Abdellah",
    "Jamal",
    "Mourad",
    "Hamza",
    "Ilyas",
    "Soufiane",
    "Badr",
    "Ayoub",
];

pub(crate) const PRENOMS_F: &[&str] = &[
    "Fatima Zahra",
    "Khadija",
    "Salma",
    "Nadia",
    "Leïla",
    "Samira",
    "Houda",
    "Meryem",
    "Zineb",
    "Imane",
    "Sanaa",
    "Latifa",
    "Ghita",
    "Kenza",
    "Hanane",
    "Asmae",
    "Nawal",
    "Loubna",
    "Aïcha",
    "Siham",
    "Btissam",
    "Rim",
    "Hajar",
    "Widad",
    "Yasmine",
    "Najat",
];

pub(crate) const NOMS: &[&str] = &[
    "Alami",
    "Benjelloun",
    "Idrissi",
    "El Fassi",
    "Tazi",
    "Bennani",
    "Chraibi",
    "Berrada",
    "Lahlou",
    "Ouazzani",
    "Sqalli",
    "Kettani",
    "Benkirane",
    "Filali",
    "Amrani",
    "Tahiri",
    "Bouzidi",
    "Naciri",
    "El Amrani",
    "Cherkaoui",
    "Guessous",
    "Benslimane",
    "Zniber",
    "Sefrioui",
    "Lazrak",
    "Mernissi",
    "Bennis",
    "Hajji",
    "Ziani",
    "Kabbaj",
    "Bensouda",
    "Belkadi",
    "Rhazi",
    "Mansouri",
    "El Idrissi",
    "Alaoui",
    "Jettou",
    "Benabdellah",
    "Slaoui",
    "Marrakchi",
    "Benchekroun",
    "El Khatib",
    "Zemmouri",
    "Lamrani",
    "Fassi Fihri",
    "Hakimi",
];

pub(crate) const SOCIETES: &[&str] = &[
    "Maârif Optique SARL",
    "Pharmacie Al Wifaq SARL",
    "Dar Tajine Distribution SARL",
    "Atlas Télécom Services SARL",
    "Boulangerie Al Baraka SARL",
    "Cabinet Dentaire Nour SARL",
    "Librairie Ibn Rochd SARL",
    "Sahara Voyages SARL",
];

pub(crate) const EMAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "gmail.com",
    "gmail.com",
    "hotmail.com",
    "yahoo.fr",
    "outlook.fr",
    "menara.ma",
];

pub(crate) const NOMS_RESIDENCES: &[&str] = &[
    "Les Orangers",
    "Al Andalous",
    "Les Palmiers",
    "Yasmine",
    "Al Boustane",
    "Les Jasmins",
    "Nour",
    "Al Firdaous",
    "Les Oliviers",
    "Riad Salam",
    "Al Amal",
    "Les Roses",
    "Bab Al Bahr",
    "Les Cèdres",
    "Zahrat Al Madina",
    "Dar Essalam",
    "Al Wafa",
    "Majorelle",
    "Les Amandiers",
    "Al Mansour",
    "Ryad Al Andalous",
    "Les Lauriers",
    "Anfa Garden",
    "Al Kawtar",
];

pub(crate) const RUES: &[&str] = &[
    "Boulevard Mohammed V",
    "Avenue Hassan II",
    "Rue Ibn Battouta",
    "Avenue Mohammed VI",
    "Boulevard Zerktouni",
    "Rue Oued Sebou",
    "Avenue Allal Ben Abdellah",
    "Rue Moulay Ismail",
    "Avenue des FAR",
    "Boulevard Abdelmoumen",
    "Rue Ibn Sina",
    "Avenue Moulay Youssef",
    "Rue Tarik Ibn Ziad",
    "Boulevard Anfa",
    "Rue Al Mansour Eddahbi",
];

/// A city of the benchmark: its quarters, centre, water/electricity distributor.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ville {
    pub nom: &'static str,
    pub quartiers: &'static [&'static str],
    pub lat: f64,
    pub lon: f64,
    pub distributeur: Distributeur,
}

/// A régie or delegated operator that bills water and electricity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Distributeur {
    pub nom: &'static str,
    pub prefixe: &'static str,
    pub telephone: &'static str,
}

pub(crate) const RADEEMA: Distributeur = Distributeur {
    nom: "RADEEMA",
    prefixe: "RDM",
    telephone: "+212524424300",
};
pub(crate) const LYDEC: Distributeur = Distributeur {
    nom: "Lydec",
    prefixe: "LYD",
    telephone: "+212522548000",
};
pub(crate) const REDAL: Distributeur = Distributeur {
    nom: "Redal",
    prefixe: "RDL",
    telephone: "+212537238000",
};
pub(crate) const AMENDIS: Distributeur = Distributeur {
    nom: "Amendis",
    prefixe: "AMD",
    telephone: "+212539324000",
};
pub(crate) const RADEEF: Distributeur = Distributeur {
    nom: "RADEEF",
    prefixe: "RDF",
    telephone: "+212535625151",
};
pub(crate) const RAMSA: Distributeur = Distributeur {
    nom: "RAMSA",
    prefixe: "RMS",
    telephone: "+212528843030",
};
pub(crate) const RADEM: Distributeur = Distributeur {
    nom: "RADEM",
    prefixe: "RDK",
    telephone: "+212535521010",
};
pub(crate) const RAK: Distributeur = Distributeur {
    nom: "RAK",
    prefixe: "RAK",
    telephone: "+212537371717",
};
pub(crate) const RADEEO: Distributeur = Distributeur {
    nom: "RADEEO",
    prefixe: "RDO",
    telephone: "+212536682020",
};
pub(crate) const RADEEJ: Distributeur = Distributeur {
    nom: "RADEEJ",
    prefixe: "RDJ",
    telephone: "+212523342424",
};

pub(crate) const VILLES: &[Ville] = &[
    Ville {
        nom: "Casablanca",
        quartiers: &[
            "Maârif",
            "Gauthier",
            "Racine",
            "Bourgogne",
            "Californie",
            "Oasis",
            "Anfa",
        ],
        lat: 33.5731,
        lon: -7.5898,
        distributeur: LYDEC,
    },
    Ville {
        nom: "Rabat",
        quartiers: &["Agdal", "Hay Riad", "Souissi", "Hassan", "L'Océan"],
        lat: 34.0209,
        lon: -6.8416,
        distributeur: REDAL,
    },
    Ville {
        nom: "Marrakech",
        quartiers: &["Guéliz", "Hivernage", "Targa", "Massira", "Daoudiate"],
        lat: 31.6295,
        lon: -7.9811,
        distributeur: RADEEMA,
    },
    Ville {
        nom: "Tanger",
        quartiers: &["Malabata", "Iberia", "Marshan", "Boukhalef"],
        lat: 35.7595,
        lon: -5.8340,
        distributeur: AMENDIS,
    },
    Ville {
        nom: "Fès",
        quartiers: &["Ville Nouvelle", "Saïss", "Narjiss", "Route d'Imouzzer"],
        lat: 34.0331,
        lon: -5.0003,
        distributeur: RADEEF,
    },
    Ville {
        nom: "Agadir",
        quartiers: &["Talborjt", "Founty", "Dakhla", "Hay Mohammadi"],
        lat: 30.4278,
        lon: -9.5981,
        distributeur: RAMSA,
    },
    Ville {
        nom: "Meknès",
        quartiers: &["Hamria", "Ville Nouvelle", "Marjane"],
        lat: 33.8935,
        lon: -5.5473,
        distributeur: RADEM,
    },
    Ville {
        nom: "Kénitra",
        quartiers: &["Centre", "Bir Rami", "Mimosas"],
        lat: 34.2610,
        lon: -6.5802,
        distributeur: RAK,
    },
    Ville {
        nom: "Oujda",
        quartiers: &["Centre", "Al Qods", "Lazaret"],
        lat: 34.6814,
        lon: -1.9086,
        distributeur: RADEEO,
    },
    Ville {
        nom: "Tétouan",
        quartiers: &["Ensanche", "Touabel", "Mhannech"],
        lat: 35.5785,
        lon: -5.3684,
        distributeur: AMENDIS,
    },
    Ville {
        nom: "El Jadida",
        quartiers: &["Centre", "Sidi Bouzid", "Plateau"],
        lat: 33.2316,
        lon: -8.5007,
        distributeur: RADEEJ,
    },
    Ville {
        nom: "Mohammedia",
        quartiers: &["Centre", "La Colline", "Parc"],
        lat: 33.6861,
        lon: -7.3829,
        distributeur: LYDEC,
    },
];

/// Lower case ASCII for e-mail local parts: accents removed, spaces and apostrophes to `-`.
pub(crate) fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().flat_map(char::to_lowercase) {
        let m = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'a'..='z' | '0'..='9' => c,
            _ => '-',
        };
        if m == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(m);
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// `1234567.5` → `1 234 567,50 MAD` (French grouping).
pub(crate) fn fmt_mad(amount: Decimal) -> String {
    let s = format!("{:.2}", amount.round_dp(2));
    let (int, frac) = s.split_once('.').unwrap_or((s.as_str(), "00"));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(' ');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped},{frac} MAD")
}

pub(crate) const MOIS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// `14 juin 2024`.
pub(crate) fn fmt_date_longue(d: NaiveDate) -> String {
    format!("{} {} {}", d.day(), MOIS[d.month0() as usize], d.year())
}

/// `14/06/2024`.
pub(crate) fn fmt_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn slugs_and_amounts() {
        assert_eq!(slug("Fatima Zahra"), "fatima-zahra");
        assert_eq!(slug("El Fassi"), "el-fassi");
        assert_eq!(slug("Leïla"), "leila");
        assert_eq!(fmt_mad(dec!(1234567.5)), "1 234 567,50 MAD");
        assert_eq!(fmt_mad(dec!(950)), "950,00 MAD");
        assert_eq!(
            fmt_date_longue(NaiveDate::from_ymd_opt(2024, 6, 14).unwrap_or_default()),
            "14 juin 2024"
        );
    }
}
