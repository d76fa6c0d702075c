//go:build !sqlite_fts5

package sqlite

// The catalog's search index is an FTS5 table, and go-sqlite3 compiles
// FTS5 in only with the build tag sqlite_fts5. Without it the program
// would build and then fail at run time with "no such module: fts5", so
// the build stops here instead, with a name that says what to do.
var _ = build_with_tags_sqlite_fts5__run_make_build_or_go_build_tags_sqlite_fts5
