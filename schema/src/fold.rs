//! Folding and fuzzy matching of names typed by users.
