package etcdanchor_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/audit"
	"github.com/zhbase/zhbase/services/audit/audittest"
	"github.com/zhbase/zhbase/services/audit/etcdanchor"
	"github.com/zhbase/zhbase/services/kit/errs"
)

func TestAnchors(t *testing.T) {
	ctx := context.Background()
	cli, _ := audittest.StartEtcd(t)
	e := etcdanchor.New(cli)
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	h := func(c string) string { return strings.Repeat(c, 64) }

	t.Run("a chain without an anchor has none", func(t *testing.T) {
		if _, ok, err := e.Get(ctx, "legalentity@a:1"); ok || err != nil {
			t.Fatalf("Get = %v, %v; want none", ok, err)
		}
	})
	t.Run("an anchor is stored as JSON under zhbase-meta/audit-anchors/{chain} and read back", func(t *testing.T) {
		a := audit.Anchor{Seq: 10, Hash: h("a"), Time: at}
		if err := e.Put(ctx, "legalentity@a:1", a); err != nil {
			t.Fatal(err)
		}
		got, ok, err := e.Get(ctx, "legalentity@a:1")
		if err != nil || !ok || got.Seq != 10 || got.Hash != a.Hash || !got.Time.Equal(at) {
			t.Fatalf("Get = %+v, %v, %v", got, ok, err)
		}
		resp, err := cli.Get(ctx, "zhbase-meta/audit-anchors/legalentity@a:1")
		if err != nil || len(resp.Kvs) != 1 || !strings.Contains(string(resp.Kvs[0].Value), `"seq":10`) {
			t.Fatalf("raw key = %v, %v", resp, err)
		}
	})
	t.Run("an anchor moves forward", func(t *testing.T) {
		if err := e.Put(ctx, "legalentity@a:1", audit.Anchor{Seq: 20, Hash: h("b"), Time: at}); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := e.Get(ctx, "legalentity@a:1"); got.Seq != 20 {
			t.Fatalf("seq = %d, want 20", got.Seq)
		}
	})
	t.Run("the same anchor again changes nothing", func(t *testing.T) {
		if err := e.Put(ctx, "legalentity@a:1", audit.Anchor{Seq: 20, Hash: h("b"), Time: at.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	})
	refusals := []struct {
		name string
		a    audit.Anchor
	}{
		{"an anchor never moves back", audit.Anchor{Seq: 19, Hash: h("c"), Time: at}},
		{"a seq never gets another hash", audit.Anchor{Seq: 20, Hash: h("c"), Time: at}},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			if err := e.Put(ctx, "legalentity@a:1", tt.a); !errors.Is(err, errs.ErrFailedPrecondition) {
				t.Fatalf("Put = %v, want a failed precondition", err)
			}
			if got, _, _ := e.Get(ctx, "legalentity@a:1"); got.Seq != 20 || got.Hash != h("b") {
				t.Fatalf("anchor changed to %+v", got)
			}
		})
	}
	t.Run("List returns every chain's anchor by chain name", func(t *testing.T) {
		if err := e.Put(ctx, "population@b:2", audit.Anchor{Seq: 3, Hash: h("d"), Time: at}); err != nil {
			t.Fatal(err)
		}
		all, err := e.List(ctx)
		if err != nil || len(all) != 2 || all["legalentity@a:1"].Seq != 20 || all["population@b:2"].Seq != 3 {
			t.Fatalf("List = %v, %v", all, err)
		}
	})
	t.Run("racing writers leave the highest anchor, never a lower one", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				err := e.Put(ctx, "race@c:3", audit.Anchor{Seq: int64(100 + i), Hash: fmt.Sprintf("%064d", i), Time: at})
				if err != nil && !errors.Is(err, errs.ErrFailedPrecondition) {
					t.Errorf("Put seq %d: %v", 100+i, err)
				}
			})
		}
		wg.Wait()
		if got, _, _ := e.Get(ctx, "race@c:3"); got.Seq != 119 || got.Hash != fmt.Sprintf("%064d", 19) {
			t.Fatalf("anchor after the race = %+v, want seq 119", got)
		}
	})
	t.Run("a chain name that is not one is refused", func(t *testing.T) {
		if err := e.Put(ctx, "../x", audit.Anchor{Seq: 1, Hash: h("e")}); err == nil {
			t.Fatal("accepted")
		}
	})
}
