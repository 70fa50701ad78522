// Package etcdanchor keeps the anchors of the audit log's chains in etcd,
// under zhbase-meta/audit-anchors/{chain} as JSON ({"seq":…,"hash":…,"time":…}).
// etcd is the witness because the database's writers cannot rewrite it:
// an anchor never moves back, and its history stays in etcd's revisions
// until compaction.
//
// It must never write anything but anchors, and never delete one.
package etcdanchor

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/zhbase/zhbase/services/audit"
	"github.com/zhbase/zhbase/services/kit/errs"
)

// Prefix is the etcd key prefix of the anchors.
// It lies outside zhbase/<service>/, where service discovery keeps the
// endpoints (the audit service's among them).
const Prefix = "zhbase-meta/audit-anchors/"

// EtcdAnchorer implements audit.Anchorer over an etcd client.
type EtcdAnchorer struct {
	cli *clientv3.Client
}

var _ audit.Anchorer = (*EtcdAnchorer)(nil)

// New returns an anchorer over cli; the caller keeps cli open while the
// anchorer is used.
func New(cli *clientv3.Client) *EtcdAnchorer { return &EtcdAnchorer{cli: cli} }

// Key is the etcd key of chain's anchor.
func Key(chain string) string { return Prefix + chain }

// Put stores a as the chain's anchor unless that would move the anchor
// back or give its seq another hash; the check and the write are one etcd
// transaction, so that two writers cannot interleave.
func (e *EtcdAnchorer) Put(ctx context.Context, chain string, a audit.Anchor) error {
	if err := audit.CheckChain(chain); err != nil {
		return fmt.Errorf("anchor chain: %w", err)
	}
	val, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encode anchor of audit chain %s: %w", chain, err)
	}
	key := Key(chain)
	for {
		cur, rev, ok, err := e.get(ctx, key)
		if err != nil {
			return err
		}
		if ok {
			switch {
			case a.Seq < cur.Seq:
				return fmt.Errorf("anchor of audit chain %s is at seq %d; refusing to move it back to %d: %w", chain, cur.Seq, a.Seq, errs.ErrFailedPrecondition)
			case a.Seq == cur.Seq && a.Hash != cur.Hash:
				return fmt.Errorf("anchor of audit chain %s holds another hash for seq %d; refusing to replace it: %w", chain, a.Seq, errs.ErrFailedPrecondition)
			case a.Seq == cur.Seq:
				return nil
			}
		}
		// ModRevision 0 means the key does not exist.
		resp, err := e.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.ModRevision(key), "=", rev)).
			Then(clientv3.OpPut(key, string(val))).
			Commit()
		if err != nil {
			return fmt.Errorf("put anchor of audit chain %s: %w", chain, err)
		}
		if resp.Succeeded {
			return nil
		}
		// Someone else wrote the anchor in between: judge again.
	}
}

func (e *EtcdAnchorer) get(ctx context.Context, key string) (audit.Anchor, int64, bool, error) {
	resp, err := e.cli.Get(ctx, key)
	if err != nil {
		return audit.Anchor{}, 0, false, fmt.Errorf("get %s: %w", key, err)
	}
	if len(resp.Kvs) == 0 {
		return audit.Anchor{}, 0, false, nil
	}
	kv := resp.Kvs[0]
	var a audit.Anchor
	if err := json.Unmarshal(kv.Value, &a); err != nil {
		return audit.Anchor{}, 0, false, fmt.Errorf("decode %s: %w", key, err)
	}
	return a, kv.ModRevision, true, nil
}

// Get returns the chain's anchor.
func (e *EtcdAnchorer) Get(ctx context.Context, chain string) (audit.Anchor, bool, error) {
	a, _, ok, err := e.get(ctx, Key(chain))
	return a, ok, err
}

// List returns every chain's anchor.
func (e *EtcdAnchorer) List(ctx context.Context) (map[string]audit.Anchor, error) {
	resp, err := e.cli.Get(ctx, Prefix, clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("list audit anchors: %w", err)
	}
	out := make(map[string]audit.Anchor, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		var a audit.Anchor
		if err := json.Unmarshal(kv.Value, &a); err != nil {
			return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
		}
		out[strings.TrimPrefix(string(kv.Key), Prefix)] = a
	}
	return out, nil
}
