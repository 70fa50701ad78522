package legalentity_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/standard"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
	"github.com/zhbase/zhbase/services/legalentity"
)

// These tests run the Service over the real SQL store on both backends,
// for the rules whose point is what ends up stored or read back.

func newService(tb testing.TB, db *store.DB) *legalentity.Service {
	tb.Helper()
	return newFixtureOn(tb, db).svc
}

// newEntity returns the i-th valid enterprise; names share 石化 so that one
// search finds them all.
func newEntity(tb testing.TB, i int) *legalentity.LegalEntity {
	tb.Helper()
	uscc, err := standard.MakeUSCC('9', '1', "330211", "MA2"+string(rune('A'+i))+"00000")
	if err != nil {
		tb.Fatalf("MakeUSCC: %v", err)
	}
	id, err := standard.MakeIDNumber("330211", time.Date(1960+i, 5, 17, 0, 0, 0, 0, time.UTC), 100+i)
	if err != nil {
		tb.Fatalf("MakeIDNumber: %v", err)
	}
	return &legalentity.LegalEntity{
		USCC:           uscc,
		Name:           []string{"宁波镇海石化物流有限公司", "镇海石化建安工程股份有限公司", "宁波石化贸易有限公司"}[i%3],
		Type:           legalentity.TypeEnterprise,
		Representative: legalentity.Representative{Name: "王建国", IDNumber: id},
		EstablishedOn:  "2003-07-18",
		IndustryCode:   "G5942",
		Address:        legalentity.Address{Text: "浙江省宁波市镇海区蛟川街道", DivisionCode: "330211002000"},
	}
}

func TestServiceOverTheSQLStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := newService(t, db)
		var created []*legalentity.LegalEntity
		for i := range 3 {
			e, err := svc.Create(ctx, newEntity(t, i), legalentity.CreateOptions{})
			if err != nil {
				t.Fatalf("Create %d: %v", i, err)
			}
			created = append(created, e)
		}
		fullID := map[string]string{}
		for _, e := range created {
			fullID[e.USCC] = e.Representative.IDNumber
		}
		masked := func(id string) string { return id[:6] + "********" + id[14:] }

		t.Run("List masks the representative's ID number to its first 6 and last 4", func(t *testing.T) {
			p, err := svc.List(ctx, legalentity.ListQuery{})
			if err != nil || len(p.Entities) != len(created) {
				t.Fatalf("List = %d entities, %v; want %d", len(p.Entities), err, len(created))
			}
			for _, e := range p.Entities {
				if got, want := e.Representative.IDNumber, masked(fullID[e.USCC]); got != want {
					t.Errorf("%s id_number = %q, want %q", e.USCC, got, want)
				}
			}
		})

		t.Run("Search masks the representative's ID number to its first 6 and last 4", func(t *testing.T) {
			p, err := svc.Search(ctx, legalentity.SearchQuery{Query: "石化"})
			if err != nil || len(p.Hits) != len(created) {
				t.Fatalf("Search = %d hits, %v; want %d", len(p.Hits), err, len(created))
			}
			for _, h := range p.Hits {
				if got, want := h.Entity.Representative.IDNumber, masked(fullID[h.Entity.USCC]); got != want {
					t.Errorf("%s id_number = %q, want %q", h.Entity.USCC, got, want)
				}
			}
		})

		t.Run("Get returns the ID number in full", func(t *testing.T) {
			for uscc, id := range fullID {
				e, err := svc.Get(ctx, uscc, history.Point{})
				if err != nil || e.Representative.IDNumber != id {
					t.Errorf("Get(%s) id_number = %v, %v; want %q", uscc, e, err, id)
				}
			}
		})

		t.Run("a stale etag is a conflict and changes nothing", func(t *testing.T) {
			target := created[0]
			_, err := svc.Update(ctx, target.USCC, &legalentity.LegalEntity{Name: "过期修改有限公司"}, []string{"display_name"},
				legalentity.UpdateOptions{Revision: target.Revision + 1})
			if !errors.Is(err, errs.ErrConflict) {
				t.Fatalf("Update = %v, want ErrConflict", err)
			}
			assertUnchanged(t, svc, target)
		})

		t.Run("validate_only returns the update but stores nothing", func(t *testing.T) {
			target := created[1]
			got, err := svc.Update(ctx, target.USCC, &legalentity.LegalEntity{Name: "仅校验修改有限公司"}, []string{"display_name"},
				legalentity.UpdateOptions{Revision: target.Revision, ValidateOnly: true})
			if err != nil || got.Name != "仅校验修改有限公司" || got.Revision != target.Revision+1 {
				t.Fatalf("Update = %+v, %v; want the renamed entity at the next revision", got, err)
			}
			assertUnchanged(t, svc, target)
			if p, err := svc.Search(ctx, legalentity.SearchQuery{Query: "仅校验修改"}); err != nil || len(p.Hits) != 0 {
				t.Errorf("the validate_only name is searchable: %d hits, %v", len(p.Hits), err)
			}
		})

		t.Run("an update with the current etag is stored and searchable", func(t *testing.T) {
			target := created[2]
			got, err := svc.Update(ctx, target.USCC, &legalentity.LegalEntity{Name: "宁波港城物流有限公司"}, []string{"display_name"},
				legalentity.UpdateOptions{Revision: target.Revision})
			if err != nil || got.Revision != target.Revision+1 {
				t.Fatalf("Update = %+v, %v", got, err)
			}
			e, err := svc.Get(ctx, target.USCC, history.Point{})
			if err != nil || e.Name != "宁波港城物流有限公司" || e.Revision != target.Revision+1 {
				t.Fatalf("Get after Update = %+v, %v", e, err)
			}
			p, err := svc.Search(ctx, legalentity.SearchQuery{Query: "港城物流"})
			if err != nil || len(p.Hits) != 1 || p.Hits[0].Entity.USCC != target.USCC {
				t.Fatalf("Search(港城物流) = %+v, %v", p.Hits, err)
			}
		})

		t.Run("validate_only create stores nothing", func(t *testing.T) {
			e := newEntity(t, 5)
			if _, err := svc.Create(ctx, e, legalentity.CreateOptions{ValidateOnly: true}); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Get(ctx, e.USCC, history.Point{}); !errors.Is(err, errs.ErrNotFound) {
				t.Fatalf("Get after a validate_only Create = %v, want ErrNotFound", err)
			}
		})
	})
}

func assertUnchanged(tb testing.TB, svc *legalentity.Service, want *legalentity.LegalEntity) {
	tb.Helper()
	got, err := svc.Get(context.Background(), want.USCC, history.Point{})
	if err != nil {
		tb.Fatal(err)
	}
	if got.Name != want.Name || got.Revision != want.Revision || !got.UpdateTime.Equal(want.UpdateTime) {
		tb.Fatalf("stored %q rev %d at %v, want unchanged %q rev %d at %v",
			got.Name, got.Revision, got.UpdateTime, want.Name, want.Revision, want.UpdateTime)
	}
}
