// Package textsearch turns names (of companies, people, places) into index
// terms for searching Chinese and Latin text with nothing more than an
// ordinary indexed table of (term, record) rows, so that search works the
// same on SQLite and PostgreSQL.
//
// Chinese is written without spaces, so CJK text is indexed as overlapping
// single characters and bigrams; a query is looked up by its bigrams and a
// record matches when it has every query term. Latin and digit words are
// indexed with all their prefixes of two or more characters, so typing the
// start of a word finds it. Matching is by term sets and ignores order and
// adjacency: callers that need an exact substring match filter the
// candidates with strings.Contains on Normalize(name).
//
// The package must never:
//   - change what Terms or Normalize return for an existing input without the
//     index being rebuilt: the terms are stored, and queries are only
//     comparable with terms made by the same rules;
//   - rely on a database's own full-text features (FTS5, tsvector, pg_trgm),
//     which differ between the databases zhbase runs on;
//   - produce a term longer than MaxTermRunes, or an empty term.
package textsearch
