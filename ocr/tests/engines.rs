//! Choosing the OCR engine from settings, and the French messages when it is not installed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;

use wakil_ocr::{OcrEngine, ReadError, engine_from_lookup};

fn engine(settings: &[(&str, &str)]) -> Result<Box<dyn OcrEngine>, ReadError> {
    let settings: HashMap<String, String> = settings
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    engine_from_lookup(move |name| settings.get(name).cloned())
}

fn missing(result: Result<Box<dyn OcrEngine>, ReadError>) -> String {
    match result {
        Err(ReadError::EngineMissing(message)) => message,
        Err(other) => panic!("expected EngineMissing, got {other:?}"),
        Ok(engine) => panic!("expected EngineMissing, got {}", engine.name()),
    }
}

#[test]
fn tesseract_in_french_is_the_default() {
    let name = engine(&[]).unwrap().name();
    assert!(
        name.starts_with("tesseract 5.") && name.ends_with(" (fra)"),
        "{name}"
    );
    assert_eq!(
        engine(&[("WAKIL_OCR_ENGINE", " Tesseract ")])
            .unwrap()
            .name(),
        name
    );
}

#[test]
fn a_missing_tesseract_says_what_to_install() {
    let message = missing(engine(&[("WAKIL_TESSERACT", "/nulle/part/tesseract")]));
    assert!(
        message.contains("apt-get install tesseract-ocr tesseract-ocr-fra"),
        "{message}"
    );
    assert!(message.contains("WAKIL_TESSERACT"), "{message}");
    assert!(!message.contains("/nulle/part"), "{message}");
}

#[test]
fn a_tesseract_without_french_says_to_install_the_language() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("tesseract");
    std::fs::write(
        &program,
        "#!/bin/sh\ncase \"$1\" in --version) echo 'tesseract 5.3.0';; --list-langs) echo 'List of available languages (2):'; echo eng; echo osd;; esac\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A program just written may be briefly "busy" while another test's child inherits the
    // descriptor: wait until it runs.
    for _ in 0..50 {
        if std::process::Command::new(&program)
            .arg("--version")
            .output()
            .is_ok()
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let message = missing(engine(&[("WAKIL_TESSERACT", program.to_str().unwrap())]));
    assert_eq!(
        message,
        "Tesseract ne connaît pas le français : installez sa langue (apt-get install tesseract-ocr-fra)."
    );
}

#[test]
fn ocrs_without_its_models_says_where_to_get_them() {
    let empty = tempfile::tempdir().unwrap();
    let dir = empty.path().to_str().unwrap();
    for settings in [
        vec![("WAKIL_OCRS_MODELS", dir)],
        vec![("WAKIL_OCR_ENGINE", "ocrs"), ("WAKIL_OCRS_MODELS", dir)],
    ] {
        let message = missing(engine(&settings));
        assert!(
            message.starts_with("Modèle ocrs absent : text-detection.rten manque"),
            "{message}"
        );
        assert!(message.contains("text-recognition.rten"), "{message}");
        assert!(
            message.contains("https://ocrs-models.s3-accelerate.amazonaws.com/"),
            "{message}"
        );
        assert!(!message.contains(dir), "{message}");
    }
    std::fs::write(empty.path().join("text-detection.rten"), b"pas un modele").unwrap();
    let message = missing(engine(&[("WAKIL_OCRS_MODELS", dir)]));
    assert!(message.starts_with("Modèle ocrs"), "{message}");

    let message = missing(engine(&[("WAKIL_OCR_ENGINE", "ocrs")]));
    assert!(
        message.contains("WAKIL_OCRS_MODELS n'est pas défini"),
        "{message}"
    );
    // Tesseract chosen explicitly: the models are not looked at.
    assert!(
        engine(&[
            ("WAKIL_OCR_ENGINE", "tesseract"),
            ("WAKIL_OCRS_MODELS", dir)
        ])
        .is_ok()
    );
}

#[test]
fn an_unknown_engine_is_refused() {
    let message = missing(engine(&[("WAKIL_OCR_ENGINE", "easyocr")]));
    assert_eq!(
        message,
        "WAKIL_OCR_ENGINE vaut « easyocr » : indiquez tesseract ou ocrs."
    );
}
