//! QR codes printed on invoices: a payload that carries invoice data (`ICE:…;N:…;TTC:…`,
//! `key=value&…`, JSON, a URL whose query holds such keys) gives fields; anything else (a plain
//! URL, a phone number, a text) gives nothing.

use rust_decimal::Decimal;

use crate::data::InvoiceData;
use crate::date::parse_date;
use crate::number::{is_currency_word, parse_amount};
use crate::reading::is_rate;
use crate::text::fold;

/// The invoice fields a QR payload carries; `None` when it carries fewer than two.
pub(crate) fn invoice_data(payload: &str) -> Option<InvoiceData> {
    let pairs = pairs(payload.trim());
    let mut data = InvoiceData::default();
    let mut found = 0;
    for (key, value) in pairs {
        let value = value.trim();
        let key: String = fold(&key).chars().filter(|c| c.is_alphanumeric()).collect();
        let took = match key.as_str() {
            "ice" | "iceemetteur" | "icefournisseur" => {
                let digits: String = value.chars().filter(|c| !c.is_whitespace()).collect();
                let ok = digits.len() == 15 && digits.chars().all(|c| c.is_ascii_digit());
                set(&mut data.ice, ok.then_some(digits))
            }
            "n" | "no" | "num" | "numero" | "nfacture" | "numfacture" | "numerofacture"
            | "facture" | "invoice" | "ref" | "reference" => {
                let ok = !value.is_empty() && value.chars().count() <= 30;
                set(&mut data.numero, ok.then(|| value.to_string()))
            }
            "date" | "datefacture" | "df" | "dateemission" => {
                set(&mut data.date_facture, parse_date(value))
            }
            "echeance" | "dateecheance" | "due" | "datelimite" => {
                set(&mut data.date_echeance, parse_date(value))
            }
            "ht" | "montantht" | "totalht" => set(&mut data.montant_ht, parse_amount(value)),
            "tva" | "montanttva" | "totaltva" => set(&mut data.montant_tva, parse_amount(value)),
            "ttc" | "montantttc" | "totalttc" | "total" | "montant" | "netapayer" | "amount" => {
                set(&mut data.montant_ttc, parse_amount(value))
            }
            "taux" | "tauxtva" | "rate" => {
                let rate = parse_amount(value.trim_end_matches('%')).filter(|r| is_rate(*r));
                set(&mut data.taux_tva, rate.map(|r: Decimal| r.normalize()))
            }
            "devise" | "currency" | "monnaie" => set(
                &mut data.devise,
                is_currency_word(&fold(value)).then(|| "MAD".to_string()),
            ),
            "fournisseur" | "supplier" | "vendeur" | "emetteur" | "raisonsociale" => set(
                &mut data.fournisseur,
                (!value.is_empty()).then(|| value.to_string()),
            ),
            _ => false,
        };
        found += usize::from(took);
    }
    (found >= 2).then_some(data)
}

fn set<T>(slot: &mut Option<T>, value: Option<T>) -> bool {
    match value {
        Some(v) if slot.is_none() => {
            *slot = Some(v);
            true
        }
        _ => false,
    }
}

/// The key/value pairs of a payload, whatever its form.
fn pairs(payload: &str) -> Vec<(String, String)> {
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(payload) {
        return map
            .into_iter()
            .filter_map(|(k, v)| match v {
                serde_json::Value::String(s) => Some((k, s)),
                serde_json::Value::Number(n) => Some((k, n.to_string())),
                _ => None,
            })
            .collect();
    }
    let lower = payload.to_ascii_lowercase();
    let body = if lower.starts_with("http://") || lower.starts_with("https://") {
        match payload.split_once('?') {
            Some((_, query)) => query,
            None => return Vec::new(),
        }
    } else {
        payload
    };
    body.split(['&', ';', '|', '\n'])
        .filter_map(|part| {
            let (k, v) = part.split_once(['=', ':'])?;
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use rust_decimal_macros::dec;

    #[test]
    fn key_value_payloads() {
        let d = invoice_data("ICE:001234567000089;N:FA-2025-0012;DATE:2025-01-15;TTC:1245.60");
        let d = d.unwrap_or_default();
        assert_eq!(d.ice.as_deref(), Some("001234567000089"));
        assert_eq!(d.numero.as_deref(), Some("FA-2025-0012"));
        assert_eq!(d.date_facture, NaiveDate::from_ymd_opt(2025, 1, 15));
        assert_eq!(d.montant_ttc, Some(dec!(1245.60)));
    }

    #[test]
    fn query_and_json_payloads() {
        let d = invoice_data("ice=001234567000089&ht=1038.00&tva=207.60&ttc=1245.60&taux=20")
            .unwrap_or_default();
        assert_eq!(
            (d.montant_ht, d.montant_tva, d.taux_tva),
            (Some(dec!(1038.00)), Some(dec!(207.60)), Some(dec!(20)))
        );
        let d = invoice_data(r#"{"numero": "F12", "montant_ttc": 980.5, "devise": "DH"}"#)
            .unwrap_or_default();
        assert_eq!(
            (d.numero.as_deref(), d.montant_ttc, d.devise.as_deref()),
            (Some("F12"), Some(dec!(980.5)), Some("MAD"))
        );
        let d = invoice_data("https://verif.example.ma/f?ice=001234567000089&n=F12")
            .unwrap_or_default();
        assert_eq!(d.numero.as_deref(), Some("F12"));
    }

    #[test]
    fn unrelated_payloads_carry_nothing() {
        for payload in [
            "https://www.lydec.ma",
            "https://example.ma/page?lang=fr",
            "Merci de votre confiance",
            "tel:+212522000000",
            "ICE:12345",
            r#"{"ttc": "beaucoup"}"#,
            "",
        ] {
            assert_eq!(invoice_data(payload), None, "{payload:?}");
        }
    }
}
