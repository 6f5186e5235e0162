//! Drawing one invoice of each layout: its lines and figures (computed here, in `Decimal`), the
//! way it writes them (labels, formats, order) and its truth.
//!
//! Truth conventions: the truth is what the page states. `fournisseur` and `residence` are the
//! directory's spellings (the page may print "ATLAS ASCENSEURS S.A.R.L." or only the résidence's
//! address). A distributor's bill that carries water (7 %) and electricity (14 %) together states
//! the totals of both: its truth has those totals, the rate and the category of the larger taxable
//! base (the "dominant" one). The handyman's note has no HT/TVA split: only its total
//! (`montant_ttc`) is stated.

use super::qr;
use super::style::{Style, centimes, en_lettres, mois_annee};
use super::universe::distributeur_detail;
use super::{Doc, GenError, Layout, Spec};
use chrono::{Datelike, Days, Months, NaiveDate};
use rust_decimal::Decimal;
use wakil_invoice::InvoiceData;
use wakil_schema::seed::Rng;

pub(crate) fn draw(spec: &Spec) -> Result<(Doc, InvoiceData), GenError> {
    let mut g = Gen::new(spec);
    match spec.layout {
        Layout::Distributeur => g.distributeur(),
        Layout::Ascenseur => g.ascenseur(),
        Layout::Gardiennage => g.gardiennage(),
        Layout::Nettoyage => g.nettoyage(),
        Layout::Jardinage => g.jardinage(),
        Layout::Bricoleur => g.bricoleur(),
    }
}

/// One invoice being drawn.
struct Gen<'s, 'a> {
    spec: &'s Spec<'a>,
    rng: Rng,
    style: Style,
    /// The invoice's date.
    date: NaiveDate,
}

/// A line's figures: quantity, unit price, amount (rounded to the centime).
struct Ligne {
    designation: String,
    quantite: Decimal,
    prix: Decimal,
}

impl Ligne {
    fn montant(&self) -> Decimal {
        centimes(self.quantite * self.prix)
    }
}

fn cents(c: i64) -> Decimal {
    Decimal::new(c, 2)
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn last_of_month(d: NaiveDate) -> NaiveDate {
    first_of_month(d)
        .checked_add_months(Months::new(1))
        .and_then(|n| n.pred_opt())
        .unwrap_or(d)
}

fn s(v: &str) -> String {
    v.to_string()
}

impl<'s, 'a> Gen<'s, 'a> {
    fn new(spec: &'s Spec<'a>) -> Self {
        let mut rng = Rng::derive(spec.seed, spec.layout as u64 + 1);
        let style = Style::draw(&mut rng);
        let back = rng.range(3, 40) as u64;
        let date = spec
            .today
            .checked_sub_days(Days::new(back))
            .unwrap_or(spec.today);
        Gen {
            spec,
            rng,
            style,
            date,
        }
    }

    /// Moves the invoice's date, never after today.
    fn set_date(&mut self, date: Option<NaiveDate>) {
        self.date = date.unwrap_or(self.date).min(self.spec.today);
    }

    fn label(&mut self, options: &[&str]) -> String {
        self.rng.pick(options).to_string()
    }

    /// An amount between `lo` and `hi` dirhams, by steps of `step` centimes.
    fn prix(&mut self, lo: i64, hi: i64, step: i64) -> Decimal {
        let steps = (hi - lo) * 100 / step;
        cents(lo * 100 + self.rng.range(0, steps) * step)
    }

    /// The invoice number in one of the shapes suppliers use.
    fn numero(&mut self) -> String {
        let y = self.date.year();
        let n = self.rng.range(12, 2400);
        match self.rng.below(6) {
            0 => format!("F{y}-{n:04}"),
            1 => format!("FA{:02}/{n:04}", y % 100),
            2 => format!("{y}/{:02}/{n:03}", self.date.month()),
            3 => format!("FAC-{n:05}"),
            4 => format!("{}{n:04}", y % 100),
            _ => format!("FC{y}{:02}{n:03}", self.date.month()),
        }
    }

    /// The supplier's name as printed: as listed, in capitals, or with "S.A.R.L.".
    fn nom_imprime(&mut self) -> String {
        let nom = &self.spec.supplier.nom;
        match self.rng.below(4) {
            0 => nom.to_uppercase(),
            1 if nom.ends_with(" SARL") => format!("{}S.A.R.L.", &nom[..nom.len() - 4]),
            _ => nom.clone(),
        }
    }

    /// The supplier's ICE line when `print` (and the supplier has one), and the ICE printed.
    fn ice(&mut self, print: bool) -> (Option<String>, Option<String>) {
        let printed = self.spec.supplier.ice.clone().filter(|_| print);
        let label = self.label(&[
            "ICE",
            "I.C.E.",
            "ICE n°",
            "Identifiant Commun de l'Entreprise",
        ]);
        (
            printed.as_ref().map(|ice| format!("{label} : {ice}")),
            printed,
        )
    }

    /// The supplier's legal identifiers, its ICE among them, and the ICE printed.
    fn mentions(&mut self) -> (Vec<String>, Option<String>) {
        let ville = self.spec.residence.ville.clone();
        let (line, printed) = self.ice(true);
        let mut m: Vec<String> = line.into_iter().collect();
        m.push(format!("RC : {} {ville}", self.rng.range(10_000, 599_999)));
        m.push(format!("IF : {}", self.rng.digits(8)));
        if self.rng.chance(700) {
            m.push(format!("Patente : {}", self.rng.digits(8)));
        }
        if self.rng.chance(500) {
            m.push(format!("CNSS : {}", self.rng.digits(7)));
        }
        if self.rng.chance(400) {
            let capital = Decimal::from(self.rng.range(1, 20) * 50_000);
            m.insert(0, format!("Capital : {}", self.style.somme(capital)));
        }
        // The ICE is not always first.
        if self.rng.chance(500) {
            m.rotate_left(1);
        }
        (m, printed)
    }

    /// The supplier's address and phone lines, in the résidence's city.
    fn coordonnees(&mut self) -> Vec<String> {
        let ville = &self.spec.residence.ville;
        let adresse = format!(
            "{}, {}",
            self.rng.range(1, 250),
            self.rng.pick(&[
                "Rue Abou Bakr Seddik",
                "Boulevard Al Qods",
                "Zone industrielle, lot 42",
                "Avenue Lalla Yacout",
                "Rue Ahmed Touki",
                "Quartier Industriel Sidi Ghanem",
            ])
        );
        let tel = format!(
            "Tél. : 05 {} {} {} {}",
            self.rng.range(22, 39),
            self.rng.digits(2),
            self.rng.digits(2),
            self.rng.digits(2)
        );
        vec![adresse, ville.clone(), tel]
    }

    /// The client block: the syndic, the résidence (by name or only by its address), maybe the
    /// client's own ICE (a trap: it is not the supplier's).
    fn client(&mut self) -> (String, Vec<String>) {
        let r = self.spec.residence;
        let titre = self.label(&["Client", "Doit", "Facturé à", "Destinataire", "Client :"]);
        let mut lignes = match self.rng.below(8) {
            0..=2 => vec![
                s(self.spec.syndic),
                format!("Résidence {}", r.nom),
                r.adresse.clone(),
                r.ville.clone(),
            ],
            3..=4 => vec![
                format!("Syndicat des copropriétaires de la Résidence {}", r.nom),
                format!("{}, {}", r.adresse, r.ville),
            ],
            5..=6 => vec![
                format!("Résidence {}", r.nom),
                format!("C/O {}", self.spec.syndic),
                r.ville.clone(),
            ],
            _ => vec![s(self.spec.syndic), r.adresse.clone(), r.ville.clone()],
        };
        if self.rng.chance(300) {
            lignes.push(format!(
                "ICE : 00{}000{}",
                self.rng.digits(7),
                self.rng.digits(3)
            ));
        }
        (titre, lignes)
    }

    fn facture_label(&mut self) -> String {
        self.label(&[
            "Facture N°",
            "N° Facture",
            "Facture n°",
            "Numéro de facture",
            "Réf. facture",
        ])
    }

    fn date_label(&mut self) -> String {
        self.label(&[
            "Date",
            "Date de facture",
            "Date d'émission",
            "Émise le",
            "Date facture",
        ])
    }

    fn echeance_label(&mut self) -> String {
        self.label(&[
            "Échéance",
            "Date d'échéance",
            "À régler avant le",
            "Date limite de paiement",
            "Payable le",
        ])
    }

    /// A month's period written as a month name or as two dates; `None` label means the value
    /// stands alone ("Mois de janvier 2025").
    fn periode_mois(&mut self, debut: NaiveDate) -> [String; 2] {
        let fin = last_of_month(debut);
        match self.rng.below(3) {
            0 => [s("Mois de"), mois_annee(debut)],
            1 => [s("Période"), mois_annee(debut)],
            _ => [
                self.label(&["Période", "Période facturée", "Période de prestation"]),
                format!("du {} au {}", self.style.date(debut), self.style.date(fin)),
            ],
        }
    }

    /// The totals block: HT, TVA at `taux` %, TTC, with the invoice's wording; returns the
    /// TVA and the TTC.
    fn totaux(&mut self, ht: Decimal, taux: u32) -> (Vec<[String; 2]>, Decimal, Decimal) {
        let tva = centimes(ht * Decimal::from(taux) / Decimal::ONE_HUNDRED);
        let ttc = ht + tva;
        let l_ht = self.label(&["Total HT", "Montant HT", "Total hors taxes", "Total H.T."]);
        let l_tva = match self.rng.below(4) {
            0 => format!("TVA {taux} %"),
            1 => format!("TVA ({taux}%)"),
            2 => format!("T.V.A. {taux}%"),
            _ => format!("Montant TVA {taux} %"),
        };
        let l_ttc = self.ttc_label();
        let all_with_currency = self.rng.chance(500);
        let fmt = |g: &Self, v: Decimal, last: bool| {
            if all_with_currency || last {
                g.style.somme(v)
            } else {
                g.style.montant(v)
            }
        };
        let lignes = vec![
            [l_ht, fmt(self, ht, false)],
            [l_tva, fmt(self, tva, false)],
            [l_ttc, fmt(self, ttc, true)],
        ];
        (lignes, tva, ttc)
    }

    fn ttc_label(&mut self) -> String {
        self.label(&[
            "Total TTC",
            "Net à payer",
            "Montant à payer",
            "Total à payer TTC",
            "Montant TTC",
        ])
    }

    /// Lines as table rows: designation, quantity, unit price, amount.
    fn rows(&self, lignes: &[Ligne], decimals: u32) -> Vec<Vec<String>> {
        lignes
            .iter()
            .map(|l| {
                vec![
                    l.designation.clone(),
                    self.style.nombre(l.quantite, decimals),
                    self.style.montant(l.prix),
                    self.style.montant(l.montant()),
                ]
            })
            .collect()
    }

    fn truth(&self, ice: Option<String>, numero: &str, categorie: &str) -> InvoiceData {
        InvoiceData {
            fournisseur: Some(self.spec.supplier.nom.clone()),
            ice,
            numero: Some(numero.to_string()),
            date_facture: Some(self.date),
            devise: Some("MAD".into()),
            categorie: Some(categorie.into()),
            residence: Some(self.spec.residence.nom.clone()),
            ..InvoiceData::default()
        }
    }

    fn doc(&self, police: &'static str, couleur: &'static str) -> Doc {
        Doc {
            police,
            couleur,
            titre: s("FACTURE"),
            emetteur: String::new(),
            activite: String::new(),
            coordonnees: Vec::new(),
            mentions: Vec::new(),
            client_titre: String::new(),
            client: Vec::new(),
            infos: Vec::new(),
            objet: None,
            colonnes: Vec::new(),
            droite: Vec::new(),
            lignes: Vec::new(),
            releves: Vec::new(),
            totaux: Vec::new(),
            lettres: None,
            qr: None,
            pied: Vec::new(),
        }
    }

    fn qr(&self, truth: &InvoiceData) -> Result<Option<qr::Qr>, GenError> {
        let (Some(ice), Some(n), Some(d), Some(ttc)) = (
            &truth.ice,
            &truth.numero,
            truth.date_facture,
            truth.field("montant_ttc"),
        ) else {
            return Ok(None);
        };
        qr::encode(&format!("ICE:{ice};N:{n};DATE:{d};TTC:{ttc}")).map(Some)
    }

    /// (1) A water and electricity distributor's bill.
    fn distributeur(&mut self) -> Result<(Doc, InvoiceData), GenError> {
        let r = self.spec.residence;
        let detail = distributeur_detail(&self.spec.supplier.nom);
        let mut doc = self.doc("DejaVu Sans Mono", detail.couleur);
        // 0-2 water, 3-5 electricity, 6-7 both.
        let kind = self.rng.below(8);
        let (eau, elec) = (kind <= 2 || kind >= 6, kind >= 3);
        let debut = if self.rng.chance(500) {
            first_of_month(self.date)
                .checked_sub_months(Months::new(1))
                .unwrap_or(self.date)
        } else {
            // A reading period: from one meter reading to the next.
            self.date
                .checked_sub_days(Days::new(self.rng.range(33, 45) as u64))
                .unwrap_or(self.date)
        };
        let fin = if debut.day() == 1 {
            last_of_month(debut)
        } else {
            debut.checked_add_days(Days::new(29)).unwrap_or(debut)
        };
        let emise = fin.checked_add_days(Days::new(self.rng.range(2, 6) as u64));
        self.set_date(emise);
        let date = self.date;
        let echeance = date
            .checked_add_days(Days::new(self.rng.range(10, 20) as u64))
            .unwrap_or(date);
        let numero = format!(
            "{:02}{:02}{}",
            date.year() % 100,
            date.month(),
            self.rng.digits(8)
        );

        let mut lignes: Vec<(Ligne, u32)> = Vec::new();
        if eau {
            let ancien = self.rng.range(1_000, 90_000);
            let conso = self.rng.range(12, 140);
            doc.releves.push(vec![
                s("Eau"),
                self.reference(2, "E", 8),
                ancien.to_string(),
                (ancien + conso).to_string(),
                format!("{conso} m³"),
            ]);
            let tranches = [
                (6, "Eau tranche 1 (0-6 m³)", 28467),
                (6, "Eau tranche 2 (7-12 m³)", 79834),
                (8, "Eau tranche 3 (13-20 m³)", 84518),
                (i64::MAX, "Eau tranche 4 (> 20 m³)", 121064),
            ];
            self.tiers(&mut lignes, conso, &tranches, 7);
            lignes.push((
                Ligne {
                    designation: s("Redevance fixe eau"),
                    quantite: Decimal::ONE,
                    prix: cents(660),
                },
                7,
            ));
            lignes.push((
                Ligne {
                    designation: s("Location et entretien compteur eau"),
                    quantite: Decimal::ONE,
                    prix: cents(472),
                },
                7,
            ));
        }
        if elec {
            let ancien = self.rng.range(10_000, 400_000);
            let conso = self.rng.range(180, 2400);
            doc.releves.push(vec![
                s("Électricité"),
                self.reference(3, "C", 9),
                ancien.to_string(),
                (ancien + conso).to_string(),
                format!("{conso} kWh"),
            ]);
            let tranches = [
                (100, "Électricité tranche 1 (0-100 kWh)", 9010),
                (100, "Électricité tranche 2 (101-200 kWh)", 10732),
                (300, "Électricité tranche 3 (201-500 kWh)", 11676),
                (i64::MAX, "Électricité tranche 4 (> 500 kWh)", 13817),
            ];
            self.tiers(&mut lignes, conso, &tranches, 14);
            lignes.push((
                Ligne {
                    designation: s("Redevance fixe électricité"),
                    quantite: Decimal::ONE,
                    prix: cents(932),
                },
                14,
            ));
        }
        let base = |taux: u32| -> Decimal {
            lignes
                .iter()
                .filter(|(_, t)| *t == taux)
                .map(|(l, _)| l.montant())
                .sum()
        };
        let (ht7, ht14) = (base(7), base(14));
        let (tva7, tva14) = (
            centimes(ht7 * Decimal::new(7, 2)),
            centimes(ht14 * Decimal::new(14, 2)),
        );
        let ht = ht7 + ht14;
        let tva = tva7 + tva14;
        let ttc = ht + tva;
        let (taux, categorie) = if ht14 > ht7 {
            (14, "electricite")
        } else {
            (7, "eau")
        };

        doc.colonnes = ["Rubrique", "Quantité", "Prix unitaire", "Montant HT", "TVA"]
            .map(s)
            .to_vec();
        doc.droite = vec![1, 2, 3, 4];
        doc.lignes = lignes
            .iter()
            .map(|(l, t)| {
                vec![
                    l.designation.clone(),
                    l.quantite.to_string(),
                    self.style.nombre(l.prix, 4),
                    self.style.montant(l.montant()),
                    format!("{t} %"),
                ]
            })
            .collect();
        let l_ttc = self.label(&[
            "Montant à payer",
            "Net à payer",
            "Total TTC",
            "Total facture TTC",
        ]);
        doc.totaux = vec![[s("Total HT"), self.style.montant(ht)]];
        if ht7 > Decimal::ZERO {
            doc.totaux.push([s("TVA 7 %"), self.style.montant(tva7)]);
        }
        if ht14 > Decimal::ZERO {
            doc.totaux.push([s("TVA 14 %"), self.style.montant(tva14)]);
        }
        if eau && elec {
            doc.totaux.push([s("Total TVA"), self.style.montant(tva)]);
        }
        doc.totaux.push([l_ttc, self.style.somme(ttc)]);

        doc.titre = match (eau, elec) {
            (true, true) => s("Facture eau et électricité"),
            (true, false) => s("Facture d'eau"),
            _ => s("Facture d'électricité"),
        };
        doc.emetteur = self.spec.supplier.nom.to_uppercase();
        doc.activite = s(detail.activite);
        doc.coordonnees = vec![
            s(detail.agence),
            format!("Centre de relation clientèle : {}", detail.telephone),
        ];
        let (mentions, ice) = self.mentions();
        doc.mentions = mentions;
        doc.client_titre = self.label(&["Titulaire du contrat", "Client", "Abonné"]);
        doc.client = vec![
            s(self.spec.syndic),
            format!("Résidence {} - parties communes", r.nom),
        ];
        let contrat = if eau {
            self.reference(0, "30", 8)
        } else {
            self.reference(1, "50", 8)
        };
        doc.infos = vec![
            [self.facture_label(), numero.clone()],
            [s("Date de facture"), self.style.date(date)],
            [
                self.label(&["Période de consommation", "Période", "Période facturée"]),
                format!("du {} au {}", self.style.date(debut), self.style.date(fin)),
            ],
            [
                self.label(&["Date limite de paiement", "À payer avant le"]),
                self.style.date(echeance),
            ],
            [
                self.label(&["N° de contrat", "Contrat n°", "Police"]),
                contrat.clone(),
            ],
            [s("Code client"), self.rng.digits(9)],
            [
                s("Adresse de consommation"),
                format!("{}, {}", r.adresse, r.ville),
            ],
        ];
        doc.pied = vec![
            s("Paiement en agence, par prélèvement, sur le site web ou l'application mobile."),
            s("Tout retard de paiement expose à une coupure après mise en demeure."),
        ];

        let mut truth = self.truth(ice, &numero, categorie);
        truth.date_echeance = Some(echeance);
        truth.periode_debut = Some(debut);
        truth.periode_fin = Some(fin);
        truth.montant_ht = Some(ht);
        truth.taux_tva = Some(Decimal::from(taux));
        truth.montant_tva = Some(tva);
        truth.montant_ttc = Some(ttc);
        if self.rng.chance(500) {
            doc.qr = self.qr(&truth)?;
        }
        Ok((doc, truth))
    }

    /// The résidence's `index`-th reference (water contract, electricity contract, water meter,
    /// electricity meter: see [`super::universe`]), or a new one of `prefix` and `digits` digits
    /// when the résidence has fewer.
    fn reference(&mut self, index: usize, prefix: &str, digits: usize) -> String {
        match self.spec.residence.references.get(index) {
            Some(r) => r.clone(),
            None => format!("{prefix}{}", self.rng.digits(digits)),
        }
    }

    /// Splits a consumption into tariff tiers `(size, label, price in 1/10000 DH)`.
    fn tiers(
        &self,
        lignes: &mut Vec<(Ligne, u32)>,
        conso: i64,
        tranches: &[(i64, &str, i64)],
        taux: u32,
    ) {
        let mut reste = conso;
        for (taille, designation, prix) in tranches {
            if reste <= 0 {
                break;
            }
            let q = reste.min(*taille);
            reste -= q;
            lignes.push((
                Ligne {
                    designation: s(designation),
                    quantite: Decimal::from(q),
                    prix: Decimal::new(*prix, 4),
                },
                taux,
            ));
        }
    }

    /// (2) A lift-maintenance contract invoice, quarterly, 20 %.
    fn ascenseur(&mut self) -> Result<(Doc, InvoiceData), GenError> {
        let mut doc = self.doc("Libertinus Serif", "#1d3a6e");
        let q0 = (self.date.month0() / 3) * 3;
        let debut = NaiveDate::from_ymd_opt(self.date.year(), q0 + 1, 1).unwrap_or(self.date);
        let fin = last_of_month(debut.checked_add_months(Months::new(2)).unwrap_or(debut));
        let trimestre = q0 / 3 + 1;
        let ordinal = if trimestre == 1 {
            "1er"
        } else {
            ["", "", "2e", "3e", "4e"][trimestre as usize]
        };
        let periode = match self.rng.below(3) {
            0 => format!("du {} au {}", self.style.date(debut), self.style.date(fin)),
            1 => format!("{ordinal} trimestre {}", debut.year()),
            _ => format!(
                "T{trimestre} {} ({} - {})",
                debut.year(),
                self.style.date(debut),
                self.style.date(fin)
            ),
        };
        let numero = self.numero();
        let contrat = format!(
            "CE-{}-{}",
            debut.year() - self.rng.range(1, 4) as i32,
            self.rng.digits(4)
        );
        let mut lignes = Vec::new();
        let n = self.rng.range(1, 3);
        for i in 0..n {
            let nom = ["A", "B", "C"][i as usize];
            lignes.push(Ligne {
                designation: format!("Entretien préventif ascenseur {nom} (3 mois)"),
                quantite: Decimal::from(3),
                prix: self.prix(600, 1400, 5000),
            });
        }
        if self.rng.chance(400) {
            let piece = *self.rng.pick(&[
                "Remplacement bouton palier",
                "Remplacement contacteur de porte",
                "Remplacement galets de porte cabine",
                "Fourniture et pose d'un éclairage de cabine",
            ]);
            lignes.push(Ligne {
                designation: s(piece),
                quantite: Decimal::ONE,
                prix: self.prix(350, 2800, 1000),
            });
        }
        let ht: Decimal = lignes.iter().map(Ligne::montant).sum();
        let (totaux, tva, ttc) = self.totaux(ht, 20);
        let echeance = self.rng.chance(600).then(|| {
            self.date
                .checked_add_days(Days::new(30))
                .unwrap_or(self.date)
        });

        doc.emetteur = self.nom_imprime();
        doc.activite = s("Installation, modernisation et maintenance d'ascenseurs");
        doc.coordonnees = self.coordonnees();
        let (mentions, ice) = self.mentions();
        doc.mentions = mentions;
        (doc.client_titre, doc.client) = self.client();
        doc.infos = vec![
            [self.facture_label(), numero.clone()],
            [self.date_label(), self.style.date(self.date)],
            [s("Contrat d'entretien n°"), contrat],
            [
                self.label(&["Période", "Période facturée", "Trimestre"]),
                periode,
            ],
        ];
        if let Some(e) = echeance {
            doc.infos.push([self.echeance_label(), self.style.date(e)]);
        }
        if self.rng.chance(400) {
            self.rng.shuffle(&mut doc.infos);
        }
        doc.objet = Some(s(
            "Objet : entretien des ascenseurs selon contrat, terme à échoir",
        ));
        doc.colonnes = ["Désignation", "Qté", "P.U. HT", "Montant HT"]
            .map(s)
            .to_vec();
        doc.droite = vec![1, 2, 3];
        doc.lignes = self.rows(&lignes, 0);
        doc.totaux = totaux;
        doc.pied = vec![format!(
            "Règlement par virement : RIB {} {} {}",
            self.rng.digits(3),
            self.rng.digits(3),
            self.rng.digits(18)
        )];

        let mut truth = self.truth(ice, &numero, "ascenseur");
        truth.date_echeance = echeance;
        truth.periode_debut = Some(debut);
        truth.periode_fin = Some(fin);
        truth.montant_ht = Some(ht);
        truth.taux_tva = Some(Decimal::from(20));
        truth.montant_tva = Some(tva);
        truth.montant_ttc = Some(ttc);
        Ok((doc, truth))
    }

    /// The month an invoice issued early in the next one is for.
    fn mois_precedent(&mut self) -> NaiveDate {
        let debut = first_of_month(self.date)
            .checked_sub_months(Months::new(1))
            .unwrap_or(self.date);
        // Issued between the 1st and the 10th of the next month.
        let emise =
            first_of_month(self.date).checked_add_days(Days::new(self.rng.range(0, 9) as u64));
        self.set_date(emise);
        debut
    }

    /// (3) A security company's monthly invoice: agents × hours, 20 %.
    fn gardiennage(&mut self) -> Result<(Doc, InvoiceData), GenError> {
        let mut doc = self.doc("New Computer Modern", "#8b1a1a");
        let debut = self.mois_precedent();
        let fin = last_of_month(debut);
        let jours = i64::from(fin.day());
        let numero = self.numero();
        let mut rows = Vec::new();
        let mut ht = Decimal::ZERO;
        let postes = [
            ("Agent de sécurité - jour (07h-19h)", 0),
            ("Agent de sécurité - nuit (19h-07h)", 150),
            ("Maître-chien - nuit", 400),
        ];
        let n_postes = if self.rng.chance(300) { 3 } else { 2 };
        let base = self.prix(14, 19, 25);
        for (poste, majoration) in postes.iter().take(n_postes) {
            let agents = self.rng.range(1, 3);
            let heures = agents * jours * 12;
            let taux = base + cents(*majoration);
            let montant = centimes(Decimal::from(heures) * taux);
            ht += montant;
            rows.push(vec![
                s(poste),
                agents.to_string(),
                jours.to_string(),
                heures.to_string(),
                self.style.montant(taux),
                self.style.montant(montant),
            ]);
        }
        let (totaux, tva, ttc) = self.totaux(ht, 20);
        let echeance = self.rng.chance(500).then(|| last_of_month(self.date));

        doc.emetteur = self.nom_imprime();
        doc.activite = s("Gardiennage - Surveillance - Sécurité privée");
        doc.coordonnees = self.coordonnees();
        let (mentions, ice) = self.mentions();
        doc.mentions = mentions;
        (doc.client_titre, doc.client) = self.client();
        let periode = self.periode_mois(debut);
        doc.infos = vec![
            [self.facture_label(), numero.clone()],
            [self.date_label(), self.style.date(self.date)],
            periode,
        ];
        if let Some(e) = echeance {
            doc.infos.push([self.echeance_label(), self.style.date(e)]);
        }
        if self.rng.chance(400) {
            self.rng.shuffle(&mut doc.infos);
        }
        doc.objet = Some(s("Objet : prestations de gardiennage de la résidence"));
        doc.colonnes = [
            "Poste",
            "Agents",
            "Jours",
            "Heures",
            "Taux horaire",
            "Montant HT",
        ]
        .map(s)
        .to_vec();
        doc.droite = vec![1, 2, 3, 4, 5];
        doc.lignes = rows;
        doc.totaux = totaux;
        doc.pied = vec![s(
            "Agents déclarés à la CNSS. Conditions de paiement : 30 jours fin de mois.",
        )];

        let mut truth = self.truth(ice, &numero, "gardiennage");
        truth.date_echeance = echeance;
        truth.periode_debut = Some(debut);
        truth.periode_fin = Some(fin);
        truth.montant_ht = Some(ht);
        truth.taux_tva = Some(Decimal::from(20));
        truth.montant_tva = Some(tva);
        truth.montant_ttc = Some(ttc);
        if self.rng.chance(300) {
            doc.qr = self.qr(&truth)?;
        }
        Ok((doc, truth))
    }

    /// (4) A cleaning company's monthly invoice, 20 %, the amount in words.
    fn nettoyage(&mut self) -> Result<(Doc, InvoiceData), GenError> {
        let mut doc = self.doc("Libertinus Serif", "#0f6b6b");
        let debut = self.mois_precedent();
        let fin = last_of_month(debut);
        let numero = self.numero();
        let mut lignes = vec![Ligne {
            designation: s("Nettoyage quotidien des parties communes (hall, escaliers, paliers)"),
            quantite: Decimal::ONE,
            prix: self.prix(2500, 6000, 10000),
        }];
        if self.rng.chance(500) {
            lignes.push(Ligne {
                designation: s("Nettoyage des vitres et portes d'entrée"),
                quantite: Decimal::from(self.rng.range(1, 4)),
                prix: self.prix(150, 400, 5000),
            });
        }
        if self.rng.chance(500) {
            lignes.push(Ligne {
                designation: s("Sortie et lavage des poubelles (jours)"),
                quantite: Decimal::from(i64::from(last_of_month(debut).day())),
                prix: self.prix(12, 25, 50),
            });
        }
        lignes.push(Ligne {
            designation: s("Fourniture de produits d'entretien"),
            quantite: Decimal::ONE,
            prix: self.prix(150, 450, 1000),
        });
        let ht: Decimal = lignes.iter().map(Ligne::montant).sum();
        let (totaux, tva, ttc) = self.totaux(ht, 20);

        doc.emetteur = self.nom_imprime();
        doc.activite = s("Nettoyage et entretien d'immeubles et de bureaux");
        doc.coordonnees = self.coordonnees();
        let (mentions, ice) = self.mentions();
        doc.mentions = mentions;
        (doc.client_titre, doc.client) = self.client();
        let periode = self.periode_mois(debut);
        doc.titre = format!("FACTURE N° {numero}");
        doc.infos = vec![[self.date_label(), self.style.date(self.date)], periode];
        doc.colonnes = ["Désignation", "Quantité", "Prix unitaire HT", "Total HT"]
            .map(s)
            .to_vec();
        doc.droite = vec![1, 2, 3];
        doc.lignes = self.rows(&lignes, 0);
        doc.totaux = totaux;
        let mots = en_lettres(ttc);
        let phrase = self.label(&[
            "Arrêtée la présente facture à la somme de",
            "Arrêté la présente facture à la somme de :",
            "La présente facture est arrêtée à la somme de",
        ]);
        doc.lettres = Some(if self.rng.chance(500) {
            format!("{phrase} {} TTC.", mots.to_uppercase())
        } else {
            format!("{phrase} {mots} toutes taxes comprises.")
        });
        doc.pied = vec![s(
            "Paiement par chèque ou virement à réception de la facture.",
        )];

        let mut truth = self.truth(ice, &numero, "nettoyage");
        truth.periode_debut = Some(debut);
        truth.periode_fin = Some(fin);
        truth.montant_ht = Some(ht);
        truth.taux_tva = Some(Decimal::from(20));
        truth.montant_tva = Some(tva);
        truth.montant_ttc = Some(ttc);
        Ok((doc, truth))
    }

    /// (5) A gardening company's invoice, 10 % or 20 %, in two columns aligned right.
    fn jardinage(&mut self) -> Result<(Doc, InvoiceData), GenError> {
        let mut doc = self.doc("New Computer Modern", "#2e6b1f");
        let taux = if self.rng.chance(500) { 10 } else { 20 };
        let mensuel = self.rng.chance(700);
        let debut = mensuel.then(|| self.mois_precedent());
        let numero = self.numero();
        let mut lignes = Vec::new();
        if mensuel {
            lignes.push(Ligne {
                designation: s("Entretien mensuel des espaces verts"),
                quantite: Decimal::ONE,
                prix: self.prix(1200, 3500, 10000),
            });
        }
        let options = [
            ("Tonte du gazon (m²)", 150, 600, 150, 300),
            ("Taille des haies et arbustes (ml)", 20, 120, 800, 1500),
            ("Fourniture et plantation de rosiers (u)", 6, 20, 3500, 6000),
            ("Évacuation des déchets verts (voyage)", 1, 3, 20000, 45000),
        ];
        for (designation, qlo, qhi, plo, phi) in options {
            if lignes.len() < 2 || self.rng.chance(350) {
                let quantite = Decimal::from(self.rng.range(qlo, qhi));
                let prix = cents(plo + self.rng.range(0, (phi - plo) / 10) * 10);
                lignes.push(Ligne {
                    designation: s(designation),
                    quantite,
                    prix,
                });
            }
        }
        let ht: Decimal = lignes.iter().map(Ligne::montant).sum();
        let (totaux, tva, ttc) = self.totaux(ht, taux);

        doc.emetteur = self.nom_imprime();
        doc.activite = s("Aménagement et entretien d'espaces verts");
        doc.coordonnees = self.coordonnees();
        let (mentions, ice) = self.mentions();
        doc.mentions = mentions;
        (doc.client_titre, doc.client) = self.client();
        doc.infos = vec![
            [self.facture_label(), numero.clone()],
            [self.date_label(), self.style.date(self.date)],
        ];
        if let Some(d) = debut {
            let p = self.periode_mois(d);
            doc.infos.push(p);
        }
        if self.rng.chance(500) {
            doc.infos.reverse();
        }
        doc.colonnes = ["Prestation", "Qté", "P.U.", "Montant"].map(s).to_vec();
        doc.droite = vec![1, 2, 3];
        doc.lignes = self.rows(&lignes, 0);
        doc.totaux = totaux;
        doc.pied = vec![s("Merci de votre confiance.")];

        let mut truth = self.truth(ice, &numero, "jardinage");
        truth.periode_debut = debut;
        truth.periode_fin = debut.map(last_of_month);
        truth.montant_ht = Some(ht);
        truth.taux_tva = Some(Decimal::from(taux));
        truth.montant_tva = Some(tva);
        truth.montant_ttc = Some(ttc);
        Ok((doc, truth))
    }

    /// (6) A small handyman's note: a few lines and a total, no TVA, maybe no ICE.
    fn bricoleur(&mut self) -> Result<(Doc, InvoiceData), GenError> {
        let police = if self.rng.chance(600) {
            "Libertinus Serif"
        } else {
            "DejaVu Sans Mono"
        };
        let mut doc = self.doc(police, "#333333");
        let n = self.rng.range(7, 320);
        let numero = if self.rng.chance(500) {
            n.to_string()
        } else {
            format!("{}/{n:03}", self.date.year())
        };
        let travaux = [
            ("Réparation fuite colonne montante", 400, 1500),
            ("Remplacement robinet d'arrêt", 150, 450),
            ("Changement minuterie escalier", 250, 600),
            ("Peinture portail (fourniture et main d'œuvre)", 800, 2500),
            ("Débouchage canalisation sous-sol", 300, 700),
            ("Remplacement de 6 ampoules du hall", 120, 300),
        ];
        let mut choix: Vec<usize> = (0..travaux.len()).collect();
        self.rng.shuffle(&mut choix);
        let nb = self.rng.range(1, 4) as usize;
        let mut total = Decimal::ZERO;
        let entier = self.rng.chance(700);
        let mut rows = Vec::new();
        for i in choix.into_iter().take(nb) {
            let (designation, lo, hi) = travaux[i];
            let prix = Decimal::from((lo + self.rng.range(0, (hi - lo) / 10) * 10) / 10 * 10);
            total += prix;
            rows.push(vec![s(designation), self.court(prix, entier)]);
        }
        let devise = self.rng.chance(800);
        let total_txt = if devise {
            format!("{} {}", self.court(total, entier), self.style.devise)
        } else {
            self.court(total, entier)
        };

        doc.emetteur = self.spec.supplier.nom.clone();
        doc.activite = self.label(&[
            "Plomberie - Électricité - Peinture",
            "Travaux divers - Maintenance",
            "Électricité bâtiment - Plomberie sanitaire",
        ]);
        doc.coordonnees = vec![format!(
            "GSM : 06 {} {} {} {}",
            self.rng.digits(2),
            self.rng.digits(2),
            self.rng.digits(2),
            self.rng.digits(2)
        )];
        let print = self.rng.chance(500);
        let (line, ice) = self.ice(print);
        doc.mentions = line.into_iter().collect();
        doc.client_titre = s("Doit :");
        doc.client = vec![format!("Syndic Résidence {}", self.spec.residence.nom)];
        doc.titre = format!("Facture N° {numero}");
        doc.infos = vec![[
            String::new(),
            format!(
                "{}, le {}",
                self.spec.residence.ville,
                self.style.date(self.date)
            ),
        ]];
        doc.lignes = rows;
        doc.totaux = vec![[
            self.label(&["Total :", "TOTAL :", "Montant total :", "Total à payer :"]),
            total_txt,
        ]];

        let mut truth = self.truth(ice, &numero, "travaux");
        truth.montant_ttc = Some(total);
        truth.devise = devise.then(|| "MAD".into());
        Ok((doc, truth))
    }

    /// A handyman's amount: "1 800" when whole and `entier`, else with decimals.
    fn court(&self, amount: Decimal, entier: bool) -> String {
        let text = self.style.montant(amount);
        if entier && amount.fract().is_zero() {
            text[..text.len() - 3].to_string()
        } else {
            text
        }
    }
}
