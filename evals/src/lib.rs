//! The evaluation suite (cases as data, runner, scorecard) arrives with the agent-engine issue;
//! see ARCHITECTURE.md.
