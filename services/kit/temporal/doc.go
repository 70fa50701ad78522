// Package temporal gives every registry bitemporal history, identifier
// redirects and a sequenced change feed, on SQLite and PostgreSQL alike.
//
// Each record is a series of rows, each a version of it carrying when it was
// true in the world (valid_from, valid_to: effect time) and when the
// registry knew it (known_from, known_to: record time). A write never
// changes or deletes a row's content: it closes the rows it supersedes in
// record time and adds new ones. A change starts a new effect period; a
// correction replaces what was recorded for an existing period; retiring
// adds a final period marked deleted (a tombstone), so a retired record
// keeps resolving with its history.
//
// Every committed write takes the next number of a gap-free sequence in its
// own transaction, and records the change under that number; Watch replays
// the feed from any point and then follows it live. Snapshot exports the
// records as they were known at a sequence, so that a consumer can load it
// and follow the feed from exactly there.
//
// A registry declares its table with the columns below plus its own index
// columns (see Table), keeps its rules in its domain package, and must never
// write to its temporal table except through a Store.
//
//	<key> TEXT NOT NULL, version INTEGER NOT NULL,
//	valid_from TEXT NOT NULL, valid_to TEXT NOT NULL,
//	known_from TEXT NOT NULL, known_to TEXT NOT NULL,
//	seq_from INTEGER NOT NULL, seq_to INTEGER NOT NULL,
//	action TEXT NOT NULL, deleted INTEGER NOT NULL, doc TEXT NOT NULL,
//	PRIMARY KEY (<key>, version)
package temporal
