//! Wakil's conversation engine. So far: the Ollama client with recovery of tool calls written as
//! text ([`llm`]).

pub mod llm;
