package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps one prepared statement per query text on a pool.
// database/sql with the SQLite driver otherwise parses every statement
// again on each call, which a CPU profile of the advance transaction showed
// as about a third of its time. PostgreSQL needs no cache here because pgx
// caches prepared statements per connection itself.
type stmtCache struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}}
}

// cached returns the prepared statement for query, if there is one.
func (c *stmtCache) cached(query string) (*sql.Stmt, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()

	st, ok := c.stmts[query]
	return st, ok
}

// prepare prepares the queries not cached yet. It must run outside any
// transaction on the pool: the SQLite write pool has one connection, which
// a transaction holds until it ends, so preparing inside one would wait
// forever. A query that fails to prepare stays uncached and runs unprepared.
func (c *stmtCache) prepare(ctx context.Context, queries []string) {
	for _, query := range queries {
		if _, ok := c.cached(query); ok {
			continue
		}
		st, err := c.db.PrepareContext(ctx, query)
		if err != nil {
			continue
		}

		c.mu.Lock()
		if _, ok := c.stmts[query]; ok {
			_ = st.Close()
		} else {
			c.stmts[query] = st
		}
		c.mu.Unlock()
	}
}

// close closes every cached statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()

	for query, st := range c.stmts {
		// A statement that fails to close is released with its pool anyway.
		_ = st.Close()
		delete(c.stmts, query)
	}
}

// preparedNow returns the statement for query, preparing it at once. Use it
// only on a pool where no caller holds a transaction that the preparation
// would wait for, such as the SQLite read pool.
func (c *stmtCache) preparedNow(ctx context.Context, query string) (*sql.Stmt, bool) {
	if st, ok := c.cached(query); ok {
		return st, true
	}
	c.prepare(ctx, []string{query})
	return c.cached(query)
}
