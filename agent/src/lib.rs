//! Wakil's conversation engine: the fast-path router, the LLM tool loop, confirmation of writes,
//! grounding of figures, conversation memory and audit. The only crate that knows the LLM's wire
//! format.

pub mod ground;
