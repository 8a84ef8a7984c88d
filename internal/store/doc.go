// Package store is idflow's data layer: a thin layer over sqlx that behaves
// identically on SQLite (the embedded default) and PostgreSQL (production).
//
// # Database URLs
//
// [Open] takes one URL and picks the driver from its scheme:
//
//	sqlite:///abs/path/idflow.db    SQLite file at an absolute path
//	sqlite://relative/path.db       SQLite file relative to the working directory
//	sqlite::memory:                 in-memory SQLite database on one connection (tests, tools)
//	postgres://user@host:5432/db    PostgreSQL through pgx (postgresql:// also works)
//
// For SQLite files the parent directory is created when missing, and every
// connection runs in WAL mode with foreign keys on, a 10 s busy timeout and
// "BEGIN IMMEDIATE" transactions, so concurrent writers queue instead of
// failing. SQLite URLs take no query parameters. PostgreSQL URLs are passed
// to pgx unchanged, so pgx connection parameters such as sslmode apply.
// Errors never echo the URL, which may carry a password.
//
// # Schema and migrations
//
// The SQL files under migrations/ are embedded in the binary and applied by
// goose at [Open]; the same SQL serves both databases. On PostgreSQL a
// session advisory lock serialises migrations run by concurrent processes.
//
// # Content addressing
//
// Document content lives once per SHA-256 in the blobs table; each document
// row holds metadata (owner, title, media type, size, creation time) and the
// hash of its content. Storing the same bytes under several titles therefore
// costs one blob. [Store.PutDocument] is idempotent: a document is identified
// by (owner, content hash, title, media type), and putting the same tuple again
// returns the existing document with its original ID, even when the two puts
// race. Errors name ids and hashes only, never content or titles, which may
// hold personal data.
package store
