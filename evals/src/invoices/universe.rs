//! A fictitious syndic's world: its suppliers (several per category, with Moroccan names and
//! 15-digit ICEs; the water and electricity distributors are the real régies and delegated
//! operators of each city) and its résidences (names, addresses by city, the contract and meter
//! references that suppliers print).

use super::Layout;
use wakil_invoice::{Directory, KnownResidence, KnownSupplier};
use wakil_schema::seed::Rng;

/// A city, its quarters and the distributor that bills water and electricity there.
struct Ville {
    nom: &'static str,
    quartiers: &'static [&'static str],
    distributeur: &'static str,
}

const VILLES: &[Ville] = &[
    Ville {
        nom: "Casablanca",
        quartiers: &[
            "Maârif",
            "Gauthier",
            "Racine",
            "Bourgogne",
            "Californie",
            "Oasis",
        ],
        distributeur: "Lydec",
    },
    Ville {
        nom: "Rabat",
        quartiers: &["Agdal", "Hay Riad", "Souissi", "Hassan"],
        distributeur: "Redal",
    },
    Ville {
        nom: "Marrakech",
        quartiers: &["Guéliz", "Hivernage", "Targa", "Daoudiate"],
        distributeur: "RADEEMA",
    },
    Ville {
        nom: "Tanger",
        quartiers: &["Malabata", "Iberia", "Marshan"],
        distributeur: "Amendis",
    },
    Ville {
        nom: "Fès",
        quartiers: &["Ville Nouvelle", "Saïss", "Narjiss"],
        distributeur: "RADEEF",
    },
    Ville {
        nom: "Agadir",
        quartiers: &["Talborjt", "Founty", "Dakhla"],
        distributeur: "RAMSA",
    },
];

const NOMS_RESIDENCES: &[&str] = &[
    "Les Orangers",
    "Al Andalous",
    "Les Palmiers",
    "Yasmine",
    "Al Boustane",
    "Les Jasmins",
    "Riad Salam",
    "Les Cèdres",
    "Zahrat Al Madina",
    "Dar Essalam",
    "Majorelle",
    "Anfa Garden",
];

const RUES: &[&str] = &[
    "Boulevard Mohammed V",
    "Avenue Hassan II",
    "Rue Ibn Battouta",
    "Boulevard Zerktouni",
    "Rue Oued Sebou",
    "Avenue Allal Ben Abdellah",
    "Rue Moulay Ismail",
    "Avenue des FAR",
    "Boulevard Abdelmoumen",
    "Rue Ibn Sina",
    "Rue Tarik Ibn Ziad",
    "Rue Al Mansour Eddahbi",
];

/// The suppliers of each category other than the distributors, as the syndic's list spells them.
const PRESTATAIRES: &[(&str, &[&str])] = &[
    (
        "ascenseur",
        &[
            "Atlas Ascenseurs SARL",
            "Ascenseurs Al Majd SARL",
            "Elevatec Maroc SARL",
            "Sud Lift Services SARL",
        ],
    ),
    (
        "gardiennage",
        &[
            "Sécurité Al Amane SARL",
            "Al Hirassa Protection SARL",
            "Sigma Gardiennage Services SARL",
            "Assafa Sécurité Privée SARL",
        ],
    ),
    (
        "nettoyage",
        &[
            "Net Plus Services SARL",
            "Nadafa Pro SARL",
            "Brillance Nettoyage SARL",
            "Clean Atlas Multiservices SARL",
        ],
    ),
    (
        "jardinage",
        &[
            "Jardins de l'Atlas SARL",
            "Espaces Verts Al Waha SARL",
            "Green Menara SARL",
        ],
    ),
    (
        "travaux",
        &[
            "Mohamed Tazi",
            "Ets Ait Brahim Multiservices",
            "Rachid Bennani Plomberie",
            "Said Elbaz Électricité",
        ],
    ),
];

/// The category of the syndic's list a layout's supplier belongs to.
fn categorie(layout: Layout) -> &'static str {
    match layout {
        Layout::Distributeur => "eau",
        Layout::Ascenseur => "ascenseur",
        Layout::Gardiennage => "gardiennage",
        Layout::Nettoyage => "nettoyage",
        Layout::Jardinage => "jardinage",
        Layout::Bricoleur => "travaux",
    }
}

/// "001234567000089": a 9-digit company number, a 4-digit establishment, 2 check digits.
fn ice(rng: &mut Rng) -> String {
    format!("00{}000{}{}", rng.digits(7), rng.range(0, 1), rng.digits(2))
}

/// A fictitious syndic's suppliers and résidences, deterministic in `seed`. Distributors are
/// listed once each (category "eau": they bill electricity too); a small handyman may have no
/// ICE on the list.
pub fn universe(seed: u64) -> Directory {
    let mut rng = Rng::derive(seed, 0x756e_6976);
    let mut suppliers = Vec::new();
    let mut id = 0;
    for ville in VILLES {
        if suppliers
            .iter()
            .any(|s: &KnownSupplier| s.nom == ville.distributeur)
        {
            continue;
        }
        id += 1;
        suppliers.push(KnownSupplier {
            id,
            nom: ville.distributeur.into(),
            ice: Some(ice(&mut rng)),
            categorie: "eau".into(),
        });
    }
    for (categorie, noms) in PRESTATAIRES {
        for nom in *noms {
            id += 1;
            let sans_ice = *categorie == "travaux" && rng.chance(400);
            suppliers.push(KnownSupplier {
                id,
                nom: (*nom).into(),
                ice: (!sans_ice).then(|| ice(&mut rng)),
                categorie: (*categorie).into(),
            });
        }
    }
    let mut noms: Vec<&str> = NOMS_RESIDENCES.to_vec();
    rng.shuffle(&mut noms);
    let residences = noms
        .iter()
        .take(8)
        .zip(1..)
        .map(|(nom, id)| {
            let ville = rng.pick(VILLES);
            let numero = rng.range(2, 180);
            let adresse = format!(
                "{numero}, {}, {}",
                rng.pick(RUES),
                rng.pick(ville.quartiers)
            );
            KnownResidence {
                id,
                nom: (*nom).into(),
                adresse,
                ville: ville.nom.into(),
                // Water contract, electricity contract, water meter, electricity meter.
                references: vec![
                    format!("30{}", rng.digits(8)),
                    format!("50{}", rng.digits(8)),
                    format!("E{}", rng.digits(8)),
                    format!("C{}", rng.digits(9)),
                ],
            }
        })
        .collect();
    Directory {
        suppliers,
        residences,
    }
}

/// What a distributor prints in its header.
pub(crate) struct Detail {
    pub activite: &'static str,
    pub agence: &'static str,
    pub telephone: &'static str,
    pub couleur: &'static str,
}

/// The header of the distributor named `nom` (a generic régie for a name not listed).
pub(crate) fn distributeur_detail(nom: &str) -> Detail {
    let (activite, agence, telephone, couleur) = match nom {
        "Lydec" => (
            "Distribution d'eau, d'électricité et assainissement liquide du Grand Casablanca",
            "48, Boulevard Mohammed Diouri, Casablanca",
            "05 22 54 90 00",
            "#0b5aa2",
        ),
        "Redal" => (
            "Distribution d'eau, d'électricité et assainissement de Rabat-Salé-Témara",
            "6, Zankat Ibn Hazm, Rabat",
            "05 37 23 80 00",
            "#0a7d5a",
        ),
        "RADEEMA" => (
            "Régie Autonome de Distribution d'Eau et d'Électricité de Marrakech",
            "Avenue Mohammed V, Guéliz, Marrakech",
            "05 24 42 43 00",
            "#1c6e8c",
        ),
        "Amendis" => (
            "Distribution d'eau, d'électricité et assainissement de Tanger-Tétouan",
            "Route de Tétouan, Tanger",
            "05 39 32 40 00",
            "#1f5fa8",
        ),
        "RADEEF" => (
            "Régie Autonome Intercommunale de Distribution d'Eau et d'Électricité de Fès",
            "Boulevard Allal Ben Abdellah, Fès",
            "05 35 62 51 51",
            "#2b6c3f",
        ),
        "RAMSA" => (
            "Régie Autonome Multi-Services d'Agadir",
            "Avenue Hassan II, Agadir",
            "05 28 84 30 30",
            "#136f8f",
        ),
        _ => (
            "Régie de distribution d'eau et d'électricité",
            "Agence commerciale",
            "08 01 00 00 00",
            "#1f4f7a",
        ),
    };
    Detail {
        activite,
        agence,
        telephone,
        couleur,
    }
}

/// The distributor of a résidence's city.
pub(crate) fn distributeur<'a>(
    directory: &'a Directory,
    residence: &KnownResidence,
) -> Option<&'a KnownSupplier> {
    let ville = VILLES.iter().find(|v| v.nom == residence.ville)?;
    directory
        .suppliers
        .iter()
        .find(|s| s.nom == ville.distributeur)
}

/// A supplier of `layout`'s kind and a résidence it bills, deterministic in `seed`: the
/// distributor of the résidence's city for [`Layout::Distributeur`]. Falls back to the first
/// supplier and résidence when the directory has none of the kind (an empty directory panics:
/// [`universe`] never makes one).
pub fn pick(directory: &Directory, layout: Layout, seed: u64) -> (&KnownSupplier, &KnownResidence) {
    let mut rng = Rng::derive(seed, 0x7069_636b);
    let residences: Vec<&KnownResidence> = match layout {
        Layout::Distributeur => directory
            .residences
            .iter()
            .filter(|r| distributeur(directory, r).is_some())
            .collect(),
        _ => directory.residences.iter().collect(),
    };
    let residence = match residences.as_slice() {
        [] => &directory.residences[0],
        list => *rng.pick(list),
    };
    let supplier = match layout {
        Layout::Distributeur => distributeur(directory, residence),
        _ => {
            let kind: Vec<&KnownSupplier> = directory
                .suppliers
                .iter()
                .filter(|s| s.categorie == categorie(layout))
                .collect();
            (!kind.is_empty()).then(|| *rng.pick(&kind))
        }
    };
    (supplier.unwrap_or(&directory.suppliers[0]), residence)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn the_universe_is_deterministic_with_valid_ices_and_distributors_for_every_city() {
        let d = universe(7);
        assert_eq!(d, universe(7));
        assert_ne!(d, universe(8));
        for s in &d.suppliers {
            if let Some(ice) = &s.ice {
                assert_eq!(ice.len(), 15, "{ice}");
                assert!(ice.chars().all(|c| c.is_ascii_digit()));
            }
            assert!(wakil_invoice::CATEGORIES.contains(&s.categorie.as_str()));
        }
        for r in &d.residences {
            assert!(distributeur(&d, r).is_some(), "{}", r.ville);
        }
        for layout in Layout::ALL {
            for seed in 0..20 {
                let (s, r) = pick(&d, layout, seed);
                assert_eq!(pick(&d, layout, seed), (s, r));
                if layout == Layout::Distributeur {
                    assert_eq!(Some(s), distributeur(&d, r));
                } else {
                    assert_eq!(s.categorie, categorie(layout));
                }
            }
        }
    }
}
