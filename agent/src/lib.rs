//! Wakil's conversation engine: the fast-path router, the LLM tool loop, confirmation of writes,
//! grounding of figures, conversation memory and audit. The only crate that knows the LLM's wire
//! format ([`llm`]); a scripted Ollama server for tests lives in `testing` (feature
//! `test-support`).

pub mod engine;
pub mod event;
pub mod ground;
pub mod llm;
mod prompt;
pub mod router;
#[cfg(feature = "test-support")]
pub mod testing;
