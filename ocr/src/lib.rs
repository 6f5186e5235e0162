//! Reading a photo or a PDF into text (skeleton: filled in by the OCR work of issue 7).
