package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
)

// ErrUnauthenticated is the error of a credential that was checked and
// refused (unknown, revoked, expired); other errors mean it could not be
// checked.
var ErrUnauthenticated = errs.ErrUnauthenticated

// Cache remembers an Authenticator's answers for a short TTL, so that a
// busy application costs one exchange round trip per TTL rather than per
// call. A revoked credential stops working within the TTL. Refusals are
// cached too (for a shorter time) so that a flood of bad keys cannot load
// the exchange.
type Cache struct {
	next     Authenticator
	ttl      time.Duration
	negative time.Duration
	now      func() time.Time

	mu      sync.Mutex
	entries map[[32]byte]cacheEntry
}

type cacheEntry struct {
	id      Identity
	err     error
	expires time.Time
}

// maxCacheEntries bounds memory; when reached the cache is emptied, which
// only costs round trips.
const maxCacheEntries = 100_000

// NewCache wraps a with a cache of answers valid for ttl.
func NewCache(a Authenticator, ttl time.Duration) *Cache {
	return &Cache{next: a, ttl: ttl, negative: ttl / 5, now: time.Now, entries: map[[32]byte]cacheEntry{}}
}

// Authenticate implements Authenticator.
func (c *Cache) Authenticate(ctx context.Context, credential string) (Identity, error) {
	// Keyed by a hash so that the map never holds credentials in clear.
	k := sha256.Sum256([]byte(credential))
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[k]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.id, e.err
	}
	id, err := c.next.Authenticate(ctx, credential)
	ttl := c.ttl
	switch {
	case err == nil:
	case errors.Is(err, ErrUnauthenticated):
		ttl = c.negative
	default:
		return Identity{}, err
	}
	c.mu.Lock()
	if len(c.entries) >= maxCacheEntries {
		clear(c.entries)
	}
	c.entries[k] = cacheEntry{id: id, err: err, expires: now.Add(ttl)}
	c.mu.Unlock()
	return id, err
}
