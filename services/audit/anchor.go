package audit

import (
	"context"
	"time"
)

// Anchor is a chain's head as witnessed outside the database.
type Anchor struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
	// Time is when the head was anchored.
	Time time.Time `json:"time"`
}

// Anchorer keeps the anchors of the chains somewhere the database's writers
// cannot rewrite (etcd; see etcdanchor). Put must refuse to move an anchor
// back, or to give a seq it already holds another hash: an anchor that can
// be moved back witnesses nothing.
type Anchorer interface {
	Put(ctx context.Context, chain string, a Anchor) error
	// Get returns the chain's anchor; false when it has none.
	Get(ctx context.Context, chain string) (Anchor, bool, error)
	// List returns every chain's anchor.
	List(ctx context.Context) (map[string]Anchor, error)
}
