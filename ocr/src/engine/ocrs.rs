//! ocrs, a pure-Rust OCR engine, with its two model files. Its default alphabet is ASCII: it
//! reads digits and amounts well, accents never.

use std::path::Path;

use ::ocrs::{ImageSource, OcrEngineParams};
use image::GrayImage;

use super::{OcrEngine, Recognised};
use crate::ReadError;

/// Where the models come from, for the messages.
pub(super) const MODELS_HELP: &str = "placez dans ce dossier text-detection.rten et text-recognition.rten, téléchargés depuis https://ocrs-models.s3-accelerate.amazonaws.com/ (voir le README du projet ocrs ou le script de téléchargement d'ocrs-cli).";

/// The ocrs engine with its detection and recognition models loaded.
pub struct Ocrs {
    engine: ::ocrs::OcrEngine,
}

impl Ocrs {
    /// Loads `text-detection.rten` and `text-recognition.rten` from the directory `models`.
    pub fn new(models: &Path) -> Result<Ocrs, ReadError> {
        let load = |file: &str| {
            let path = models.join(file);
            if !path.is_file() {
                return Err(ReadError::EngineMissing(format!(
                    "Modèle ocrs absent : {file} manque dans le dossier WAKIL_OCRS_MODELS ; {MODELS_HELP}"
                )));
            }
            rten::Model::load_file(&path).map_err(|_| {
                ReadError::EngineMissing(format!(
                    "Modèle ocrs illisible : {file} (dossier WAKIL_OCRS_MODELS) est abîmé ; {MODELS_HELP}"
                ))
            })
        };
        let engine = ::ocrs::OcrEngine::new(OcrEngineParams {
            detection_model: Some(load("text-detection.rten")?),
            recognition_model: Some(load("text-recognition.rten")?),
            ..OcrEngineParams::default()
        })
        .map_err(|e| {
            ReadError::EngineMissing(format!("Modèles ocrs inutilisables ({e}) ; {MODELS_HELP}"))
        })?;
        Ok(Ocrs { engine })
    }
}

impl OcrEngine for Ocrs {
    fn name(&self) -> String {
        "ocrs 0.13.1".to_owned()
    }

    fn recognise(&self, page: &GrayImage) -> Result<Recognised, ReadError> {
        let failed = |e: &dyn std::fmt::Display| ReadError::Engine(format!("ocrs : {e}"));
        let source =
            ImageSource::from_bytes(page.as_raw(), page.dimensions()).map_err(|e| failed(&e))?;
        let input = self.engine.prepare_input(source).map_err(|e| failed(&e))?;
        let text = self.engine.get_text(&input).map_err(|e| failed(&e))?;
        Ok(Recognised {
            text,
            confidence: None,
        })
    }
}
