//! OCR engines behind one trait: Tesseract (French, the default) and ocrs (pure Rust, when its
//! models are configured).

mod ocrs;
mod tesseract;

pub use self::ocrs::Ocrs;
pub use self::tesseract::Tesseract;

use image::GrayImage;

use crate::ReadError;

/// Reads the text of a prepared page.
pub trait OcrEngine: Send + Sync {
    /// The engine and its version, recorded with every result ("tesseract 5.3.0 (fra)").
    fn name(&self) -> String;
    fn recognise(&self, page: &GrayImage) -> Result<Recognised, ReadError>;
}

/// The text an engine read.
#[derive(Debug, Clone, PartialEq)]
pub struct Recognised {
    /// Lines separated by `\n`, blocks by a blank line.
    pub text: String,
    /// The mean word confidence, 0 to 1, when the engine gives one.
    pub confidence: Option<f32>,
}

/// The engine the environment configures: see [`engine_from_lookup`].
pub fn engine_from_env() -> Result<Box<dyn OcrEngine>, ReadError> {
    engine_from_lookup(|name| std::env::var(name).ok())
}

/// The engine named by `WAKIL_OCR_ENGINE` (`tesseract` or `ocrs`); unset, ocrs when
/// `WAKIL_OCRS_MODELS` (the directory of its models) is set, else Tesseract (the program
/// `WAKIL_TESSERACT`, by default `tesseract` on the `PATH`). The engine is checked to be usable
/// (program, French language, model files): [`ReadError::EngineMissing`] says what to install
/// or set.
pub fn engine_from_lookup(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Box<dyn OcrEngine>, ReadError> {
    let setting = |name: &str| {
        lookup(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let models = setting("WAKIL_OCRS_MODELS");
    let choice = setting("WAKIL_OCR_ENGINE").map(|v| v.to_lowercase());
    match (choice.as_deref(), models) {
        (Some("ocrs") | None, Some(models)) => Ok(Box::new(Ocrs::new(models.as_ref())?)),
        (Some("ocrs"), None) => Err(ReadError::EngineMissing(format!(
            "WAKIL_OCR_ENGINE demande ocrs mais WAKIL_OCRS_MODELS n'est pas défini : {}",
            self::ocrs::MODELS_HELP
        ))),
        (Some("tesseract") | None, _) => Ok(Box::new(Tesseract::new(
            setting("WAKIL_TESSERACT").unwrap_or_else(|| "tesseract".to_owned()),
        )?)),
        (Some(other), _) => Err(ReadError::EngineMissing(format!(
            "WAKIL_OCR_ENGINE vaut « {other} » : indiquez tesseract ou ocrs."
        ))),
    }
}
