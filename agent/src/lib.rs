//! The conversation engine (LLM client, tool loop, fast-path router, confirmations) arrives with
//! the agent-engine issue; see ARCHITECTURE.md.

pub mod router;
