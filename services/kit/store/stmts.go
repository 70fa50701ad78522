package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
)

// maxCachedStatements bounds the statement cache. Stores build a bounded
// set of statements (a filter's clauses and a batch's row count vary, but
// only so much); past the bound, statements run unprepared as before.
const maxCachedStatements = 1024

// stmtCache keeps every statement a store runs prepared, by its text, so
// that a hot read is parsed and planned once per connection rather than on
// every call (SQLite's driver otherwise prepares each statement anew).
type stmtCache struct {
	mu     sync.RWMutex
	byText map[string]*sql.Stmt
	closed bool
}

// get returns the prepared statement of query, preparing it on first use;
// nil when it is not cached (a script of several statements, a full cache,
// or a failed prepare, which the unprepared call will then report).
func (c *stmtCache) get(ctx context.Context, db *DB, query string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.byText[query]
	full := len(c.byText) >= maxCachedStatements
	closed := c.closed
	c.mu.RUnlock()
	if ok {
		return st
	}
	if full || closed || strings.Contains(strings.TrimRight(strings.TrimSpace(query), ";"), ";") {
		return nil
	}
	st, err := db.sql.PrepareContext(ctx, db.dialect.Rebind(query))
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.byText[query]; ok {
		_ = st.Close()
		return prev
	}
	if c.closed || len(c.byText) >= maxCachedStatements {
		_ = st.Close()
		return nil
	}
	if c.byText == nil {
		c.byText = map[string]*sql.Stmt{}
	}
	c.byText[query] = st
	return st
}

// cached returns the prepared statement of query if there is one.
func (c *stmtCache) cached(query string) *sql.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.byText[query]
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for _, st := range c.byText {
		_ = st.Close()
	}
	c.byText = nil
}
