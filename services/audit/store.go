package audit

import (
	"context"
	"time"
)

// Store keeps the audit log. It is append-only from the Log's point of
// view: records are never updated, and deleted only by Prune. The
// implementation lives in sqlstore and must pass the contract suite there.
type Store interface {
	// OpenChain registers chain if it is new and returns its head.
	OpenChain(ctx context.Context, chain string, now time.Time) (Head, error)
	// Head returns the head of chain: its last stored record, or its
	// checkpoint when every record is pruned (zero Head for a new chain).
	Head(ctx context.Context, chain string) (Head, error)
	// Append stores records of one chain, already numbered and hashed, in
	// one transaction. A seq that is taken fails the whole call.
	Append(ctx context.Context, records []Record) error
	// Chains lists every chain ever opened, by name, with its checkpoint.
	Chains(ctx context.Context) ([]Chain, error)
	// Scan returns up to limit records of chain with seq > after, in seq
	// order, with their resources.
	Scan(ctx context.Context, chain string, after int64, limit int) ([]Record, error)
	// Search returns up to q.Limit records matching q, newest first (time,
	// then ID, descending), starting after q.After when it is set.
	Search(ctx context.Context, q StoreQuery) ([]Record, error)
	// Prune deletes the records of chain with seq <= cp.Seq and records cp
	// as the chain's checkpoint, in one transaction. A checkpoint never
	// moves back: one at or before the stored checkpoint changes nothing.
	Prune(ctx context.Context, chain string, cp Checkpoint) error
}

// Head is where a chain ends.
type Head struct {
	Seq  int64
	Hash string
	Time time.Time
}

// Checkpoint marks where a chain legitimately starts after pruning: the
// seq, hash and time of the last pruned record.
type Checkpoint struct {
	Seq  int64
	Hash string
	Time time.Time
}

// Chain is a chain as the store knows it.
type Chain struct {
	Name string
	// Checkpoint is zero (Seq 0, ZeroHash) until the chain is first pruned.
	Checkpoint Checkpoint
}

// StoreQuery is a search as the store runs it; empty fields do not filter.
type StoreQuery struct {
	Department string
	Resource   string
	Method     string
	Result     string
	// From is inclusive, To exclusive; zero means unbounded.
	From, To time.Time
	Limit    int
	// After is the (Time, ID) of the last record of the previous page.
	After *Cursor
}

// Cursor is a position in the newest-first order of Search.
type Cursor struct {
	Time time.Time
	ID   string
}
