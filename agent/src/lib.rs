//! Wakil's conversation engine. So far: the Ollama client with recovery of tool calls written as
//! text ([`llm`]), and a scripted Ollama server for tests (`testing`, feature `test-support`).

pub mod llm;
#[cfg(feature = "test-support")]
pub mod testing;
