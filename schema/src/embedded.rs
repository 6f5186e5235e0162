//! The private PostgreSQL 16 + pgvector started when no DATABASE_URL is given.
