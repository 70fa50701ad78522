package legalentity_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/store/storetest"
	. "github.com/zhbase/zhbase/services/legalentity"
)

// The registry's history as its clients see it through the Service, on
// SQLite and PostgreSQL: changes, corrections, retirement, renames, time
// travel and the change feed. The fixture's clock is record time; every
// effective time is at or before it.

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// mustUpdate applies the fields named by paths from in, failing the test on
// any error.
func (f *fixture) mustUpdate(tb testing.TB, uscc string, in *LegalEntity, paths []string, o UpdateOptions) *LegalEntity {
	tb.Helper()
	e, err := f.svc.Update(ctx, uscc, in, paths, o)
	if err != nil {
		tb.Fatalf("Update(%s, %v): %v", uscc, paths, err)
	}
	return e
}

func (f *fixture) mustGet(tb testing.TB, uscc string, at history.Point) *LegalEntity {
	tb.Helper()
	e, err := f.svc.Get(ctx, uscc, at)
	if err != nil {
		tb.Fatalf("Get(%s, %v): %v", uscc, at, err)
	}
	return e
}

// versions pages through Service.Versions two at a time.
func (f *fixture) versions(tb testing.TB, uscc string) []*LegalEntity {
	tb.Helper()
	var out []*LegalEntity
	token := ""
	for pages := 1; ; pages++ {
		if pages > 100 {
			tb.Fatalf("Versions(%s) did not end after 100 pages", uscc)
		}
		vs, next, err := f.svc.Versions(ctx, uscc, 2, token)
		if err != nil {
			tb.Fatalf("Versions(%s): %v", uscc, err)
		}
		if len(vs) > 2 || (next != "" && len(vs) != 2) {
			tb.Fatalf("Versions page %d has %d versions for page size 2 (next token %q)", pages, len(vs), next)
		}
		out = append(out, vs...)
		if next == "" {
			return out
		}
		token = next
	}
}

func actions(es []*LegalEntity) []history.Action {
	out := make([]history.Action, len(es))
	for i, e := range es {
		out[i] = e.Version.Action
	}
	return out
}

func names(es []*LegalEntity) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.USCC + " " + e.Name
	}
	return out
}

func TestAChangeACorrectionAndARetirementAreEachReadAtTheirPoint(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixtureOn(t, db)
		k1, k2, k3, k4 := day("2024-01-05"), day("2024-03-05"), day("2024-04-05"), day("2024-05-05")

		f.now = k1 // established on 1 January, recorded on the 5th
		e := f.create(t, validEntity(t, func(e *LegalEntity) { e.Name, e.EstablishedOn = "宁波镇海一号有限公司", "2024-01-01" }))
		f.now = k2 // a change: a new name from 1 March
		f.mustUpdate(t, e.USCC, &LegalEntity{Name: "宁波镇海二号有限公司"}, []string{"display_name"},
			UpdateOptions{EffectiveFrom: day("2024-03-01")})
		f.now = k3 // a correction: the first name was recorded misspelt
		corrected := f.mustUpdate(t, e.USCC, &LegalEntity{Name: "宁波镇海壹号有限公司"}, []string{"display_name"},
			UpdateOptions{EffectiveFrom: day("2024-02-01"), Correction: true})
		if corrected.Name != "宁波镇海二号有限公司" {
			t.Errorf("a correction of February returned %q; want the current state, which it leaves alone", corrected.Name)
		}
		f.now = k4 // retired from 1 May
		if _, err := f.svc.Delete(ctx, e.USCC, DeleteOptions{EffectiveFrom: day("2024-05-01")}); err != nil {
			t.Fatalf("Delete: %v", err)
		}

		tests := []struct {
			name    string
			at      history.Point
			want    string // "" means not found
			retired bool
			// action is that of the version read; "" for a period restated
			// to end where a later one starts (see the report on its action).
			action history.Action
		}{
			{"February as first recorded", history.Point{ValidAt: day("2024-02-01"), KnownAt: k1}, "宁波镇海一号有限公司", false, history.Created},
			{"February as known after the change", history.Point{ValidAt: day("2024-02-01"), KnownAt: k2}, "宁波镇海一号有限公司", false, ""},
			{"February as known after the correction", history.Point{ValidAt: day("2024-02-01"), KnownAt: k3}, "宁波镇海壹号有限公司", false, history.Corrected},
			{"February as known now", history.Point{ValidAt: day("2024-02-01")}, "宁波镇海壹号有限公司", false, history.Corrected},
			{"April as known before the change was recorded", history.Point{ValidAt: day("2024-04-01"), KnownAt: k1}, "宁波镇海一号有限公司", false, history.Created},
			{"April as known after the change", history.Point{ValidAt: day("2024-04-01"), KnownAt: k2}, "宁波镇海二号有限公司", false, history.Updated},
			{"April as known after the retirement", history.Point{ValidAt: day("2024-04-01"), KnownAt: k4}, "宁波镇海二号有限公司", false, ""},
			{"after 1 May as known before the retirement", history.Point{ValidAt: day("2024-05-02"), KnownAt: k3}, "宁波镇海二号有限公司", false, history.Updated},
			{"after 1 May as known after the retirement", history.Point{ValidAt: day("2024-05-02"), KnownAt: k4}, "宁波镇海二号有限公司", true, history.Retired},
			{"now", history.Point{}, "宁波镇海二号有限公司", true, history.Retired},
			{"before its establishment nothing is found", history.Point{ValidAt: day("2023-12-31")}, "", false, ""},
			{"before the registry knew of it nothing is found", history.Point{ValidAt: day("2024-02-01"), KnownAt: day("2024-01-04")}, "", false, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := f.svc.Get(ctx, e.USCC, tt.at)
				if tt.want == "" {
					if !errors.Is(err, errs.ErrNotFound) {
						t.Fatalf("Get(%v) = %v, %v; want not found", tt.at, got, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("Get(%v): %v", tt.at, err)
				}
				if got.Name != tt.want || got.Retired != tt.retired || (tt.action != "" && got.Version.Action != tt.action) {
					t.Fatalf("Get(%v) = %q retired=%v %s; want %q retired=%v %s",
						tt.at, got.Name, got.Retired, got.Version.Action, tt.want, tt.retired, tt.action)
				}
			})
		}

		t.Run("Versions lists every version ever recorded, oldest record time first", func(t *testing.T) {
			vs := f.versions(t, e.USCC)
			// create 1, change 2 (January restated to end in March, and
			// March), correction 1, retirement 2 (March restated, and May)
			if len(vs) != 6 {
				t.Fatalf("%d versions, want 6: %v", len(vs), names(vs))
			}
			for i := 1; i < len(vs); i++ {
				if vs[i].Version.KnownFrom.Before(vs[i-1].Version.KnownFrom) {
					t.Fatalf("version %d known from %v before version %d's %v", i, vs[i].Version.KnownFrom, i-1, vs[i-1].Version.KnownFrom)
				}
			}
			if a := actions(vs); a[0] != history.Created || !slices.Contains(a, history.Updated) ||
				!slices.Contains(a, history.Corrected) || a[len(a)-1] != history.Retired {
				t.Fatalf("actions %v; want CREATED first, an UPDATED and a CORRECTED, RETIRED last", a)
			}
		})
	})
}

func TestARetiredEntity(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixtureOn(t, db)
		f.now = day("2025-01-10")
		gone := f.create(t, validEntity(t))
		kept := f.create(t, validEntity(t, func(e *LegalEntity) { e.USCC = mustUSCC(t, "91", "MA2000005") }))
		f.now = day("2025-02-10")
		f.mustUpdate(t, gone.USCC, &LegalEntity{Status: StatusDeregistered, StatusDate: "2025-02-01"}, []string{"status", "status_date"},
			UpdateOptions{EffectiveFrom: day("2025-02-01")})
		f.now = day("2025-03-10")
		retired, err := f.svc.Delete(ctx, gone.USCC, DeleteOptions{EffectiveFrom: day("2025-03-01")})
		if err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if !retired.Retired || retired.Version.Action != history.Retired {
			t.Fatalf("Delete returned retired=%v %s; want the retired entity", retired.Retired, retired.Version.Action)
		}

		t.Run("reading it returns it marked retired, with its status", func(t *testing.T) {
			got := f.mustGet(t, gone.USCC, history.Point{})
			if !got.Retired || got.Status != StatusDeregistered || got.StatusDate != "2025-02-01" || got.Name != gone.Name {
				t.Fatalf("Get = %s", describe(got))
			}
		})

		t.Run("its history stays readable", func(t *testing.T) {
			vs := f.versions(t, gone.USCC)
			if a := actions(vs); len(a) != 5 || a[0] != history.Created || a[len(a)-1] != history.Retired {
				t.Fatalf("Versions = %v; want 5 versions, CREATED first and RETIRED last", a)
			}
			if before := f.mustGet(t, gone.USCC, history.Point{ValidAt: day("2025-02-15")}); before.Retired || before.Status != StatusDeregistered {
				t.Fatalf("Get before the retirement = %s; want the deregistered, unretired entity", describe(before))
			}
		})

		t.Run("List leaves it out unless asked to show retired entities", func(t *testing.T) {
			for _, tt := range []struct {
				showRetired bool
				want        []string
			}{{false, []string{kept.USCC}}, {true, sorted(gone.USCC, kept.USCC)}} {
				p, err := f.svc.List(ctx, ListQuery{ShowRetired: tt.showRetired})
				if err != nil {
					t.Fatal(err)
				}
				if got := usccsOf(p.Entities); !slices.Equal(got, tt.want) {
					t.Errorf("List(show_retired=%v) = %v, want %v", tt.showRetired, got, tt.want)
				}
				for _, e := range p.Entities {
					if e.Retired != (e.USCC == gone.USCC) {
						t.Errorf("List(show_retired=%v): %s reads retired=%v", tt.showRetired, e.USCC, e.Retired)
					}
				}
			}
		})

		t.Run("Search leaves it out unless asked to show retired entities", func(t *testing.T) {
			for _, tt := range []struct {
				showRetired bool
				want        []string
			}{{false, []string{kept.USCC}}, {true, sorted(gone.USCC, kept.USCC)}} {
				p, err := f.svc.Search(ctx, SearchQuery{Query: "石化物流", ShowRetired: tt.showRetired})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, h := range p.Hits {
					got = append(got, h.Entity.USCC)
				}
				if slices.Sort(got); !slices.Equal(got, tt.want) {
					t.Errorf("Search(show_retired=%v) = %v, want %v", tt.showRetired, got, tt.want)
				}
			}
		})

		t.Run("a change is refused as a failed precondition and stores nothing", func(t *testing.T) {
			before := f.mustGet(t, gone.USCC, history.Point{})
			_, err := f.svc.Update(ctx, gone.USCC, &LegalEntity{Name: "复活有限公司"}, []string{"display_name"}, UpdateOptions{})
			if !errors.Is(err, errs.ErrFailedPrecondition) {
				t.Fatalf("Update of a retired entity = %v, want ErrFailedPrecondition", err)
			}
			if _, err := f.svc.Delete(ctx, gone.USCC, DeleteOptions{}); !errors.Is(err, errs.ErrFailedPrecondition) {
				t.Fatalf("Delete of a retired entity = %v, want ErrFailedPrecondition", err)
			}
			assertSame(t, f.mustGet(t, gone.USCC, history.Point{}), before)
		})

		t.Run("validate_only refuses a change as the change itself would be", func(t *testing.T) {
			_, err := f.svc.Update(ctx, gone.USCC, &LegalEntity{Name: "复活有限公司"}, []string{"display_name"}, UpdateOptions{ValidateOnly: true})
			if !errors.Is(err, errs.ErrFailedPrecondition) {
				t.Fatalf("validate_only Update of a retired entity = %v, want ErrFailedPrecondition", err)
			}
		})

		t.Run("a correction is allowed, and it stays retired", func(t *testing.T) {
			f.now = day("2025-04-10")
			got, err := f.svc.Update(ctx, gone.USCC, &LegalEntity{BusinessScope: "一般项目：普通货物仓储服务。"}, []string{"business_scope"},
				UpdateOptions{Correction: true})
			if err != nil {
				t.Fatalf("correction of a retired entity: %v", err)
			}
			if !got.Retired || got.BusinessScope != "一般项目：普通货物仓储服务。" || got.Version.Action != history.Corrected {
				t.Fatalf("correction returned %s", describe(got))
			}
			assertSame(t, f.mustGet(t, gone.USCC, history.Point{}), got)
		})
	})
}

func sorted(s ...string) []string { slices.Sort(s); return s }

func usccsOf(es []*LegalEntity) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.USCC
	}
	return out
}

func TestRename(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixtureOn(t, db)
		f.now = day("2025-01-10")
		old := f.create(t, validEntity(t))
		taken := f.create(t, validEntity(t, func(e *LegalEntity) { e.USCC = mustUSCC(t, "91", "MA2000006") }))
		newUSCC := mustUSCC(t, "91", "MA2000007")
		f.now = day("2025-03-10")
		// A clerk's typing is normalised, as it is on Create.
		renamed, err := f.svc.Rename(ctx, old.USCC, " "+strings.ToLower(newUSCC)+" ", RenameOptions{Revision: old.Revision, EffectiveFrom: day("2025-03-01")})
		if err != nil {
			t.Fatalf("Rename: %v", err)
		}
		if renamed.USCC != newUSCC || renamed.Name != old.Name || renamed.Revision != old.Revision+1 || renamed.Version.Action != history.Renamed {
			t.Fatalf("Rename returned %s; want %s at the next revision", describe(renamed), newUSCC)
		}

		reads := []struct {
			name     string
			uscc     string
			at       history.Point
			want     string // the USCC of the record returned; "" for not found
			redirect string
		}{
			{"the old USCC reads the new record, saying it was redirected", old.USCC, history.Point{}, newUSCC, old.USCC},
			{"the new USCC reads the new record", newUSCC, history.Point{}, newUSCC, ""},
			{"the old USCC before the rename reads the old record", old.USCC, history.Point{ValidAt: day("2025-02-01")}, old.USCC, ""},
			{"the old USCC as known before the rename reads the old record", old.USCC, history.Point{KnownAt: day("2025-03-05")}, old.USCC, ""},
			{"the new USCC before the rename is not found", newUSCC, history.Point{ValidAt: day("2025-02-01")}, "", ""},
		}
		for _, tt := range reads {
			t.Run(tt.name, func(t *testing.T) {
				got, err := f.svc.Get(ctx, tt.uscc, tt.at)
				if tt.want == "" {
					if !errors.Is(err, errs.ErrNotFound) {
						t.Fatalf("Get(%s, %v) = %v, %v; want not found", tt.uscc, tt.at, got, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("Get(%s, %v): %v", tt.uscc, tt.at, err)
				}
				if got.USCC != tt.want || got.RedirectedFrom != tt.redirect || got.Retired {
					t.Fatalf("Get(%s, %v) = %s redirected from %q retired=%v; want %s redirected from %q",
						tt.uscc, tt.at, got.USCC, got.RedirectedFrom, got.Retired, tt.want, tt.redirect)
				}
			})
		}

		t.Run("List shows the new USCC only", func(t *testing.T) {
			p, err := f.svc.List(ctx, ListQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := usccsOf(p.Entities), sorted(newUSCC, taken.USCC); !slices.Equal(got, want) {
				t.Fatalf("List = %v, want %v", got, want)
			}
		})

		refused := []struct {
			name  string
			from  string
			to    string
			field string // the violation's field, or "" for the error below
			err   error
		}{
			{"a new USCC of the wrong length is invalid, naming new_uscc", newUSCC, newUSCC[:17], "new_uscc", errs.ErrInvalid},
			{"a new USCC failing only its check character is invalid, naming new_uscc", newUSCC, withWrongCheckChar(mustUSCC(t, "91", "MA2000008")), "new_uscc", errs.ErrInvalid},
			{"a new USCC outside the alphabet is invalid, naming new_uscc", newUSCC, "91330211MA2000OOO1", "new_uscc", errs.ErrInvalid},
			{"a new USCC that is taken already exists", newUSCC, taken.USCC, "", errs.ErrAlreadyExists},
			{"a new USCC renamed away from is taken too", newUSCC, old.USCC, "", errs.ErrAlreadyExists},
			{"a USCC renamed away from cannot be renamed again", old.USCC, mustUSCC(t, "91", "MA2000009"), "", errs.ErrFailedPrecondition},
		}
		for _, tt := range refused {
			t.Run(tt.name, func(t *testing.T) {
				_, before, err := f.svc.Changes(ctx, 0, MaxChangesPageSize)
				if err != nil {
					t.Fatal(err)
				}
				_, err = f.svc.Rename(ctx, tt.from, tt.to, RenameOptions{})
				if !errors.Is(err, tt.err) {
					t.Fatalf("Rename(%s → %s) = %v, want %v", tt.from, tt.to, err, tt.err)
				}
				if tt.field != "" {
					if got := fields(t, err); !slices.Equal(got, []string{tt.field}) {
						t.Fatalf("refused fields = %v, want [%s]", got, tt.field)
					}
				}
				_, after, err := f.svc.Changes(ctx, 0, MaxChangesPageSize)
				if err != nil {
					t.Fatal(err)
				}
				if after != before {
					t.Fatalf("a refused rename moved the feed's head from %d to %d", before, after)
				}
			})
		}
	})
}

func TestTimeTravelListAndSearch(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixtureOn(t, db)
		f.now = day("2024-01-10")
		moved := f.create(t, validEntity(t, func(e *LegalEntity) { e.EstablishedOn = "2020-01-01" }))
		still := f.create(t, validEntity(t, func(e *LegalEntity) {
			e.USCC, e.Name, e.EstablishedOn = mustUSCC(t, "91", "MA2000010"), "宁波镇海港城贸易有限公司", "2020-01-01"
		}))
		const oldName, newName = "宁波镇海石化物流有限公司", "宁波镇海港埠物流有限公司"
		if moved.Name != oldName {
			t.Fatalf("fixture: name %q", moved.Name)
		}
		f.now = day("2024-03-10") // renamed and suspended from 1 March
		f.mustUpdate(t, moved.USCC, &LegalEntity{Name: newName, Status: StatusSuspended, StatusDate: "2024-03-01"},
			[]string{"display_name", "status", "status_date"}, UpdateOptions{EffectiveFrom: day("2024-03-01")})

		before := history.Point{ValidAt: day("2024-02-01")}
		unknownYet := history.Point{ValidAt: day("2024-03-05"), KnownAt: day("2024-03-06")}
		lists := []struct {
			name   string
			q      ListQuery
			want   []string // "uscc name" in USCC order
			status Status   // of the moved entity where listed
		}{
			{"valid_at before the change returns the old state", ListQuery{At: before},
				sorted(moved.USCC+" "+oldName, still.USCC+" "+still.Name), StatusActive},
			{"known_at before the change was recorded returns the old state", ListQuery{At: unknownYet},
				sorted(moved.USCC+" "+oldName, still.USCC+" "+still.Name), StatusActive},
			{"now returns the new state", ListQuery{},
				sorted(moved.USCC+" "+newName, still.USCC+" "+still.Name), StatusSuspended},
			{"a status filter applies to the status at that point", ListQuery{At: before, Filter: "status = SUSPENDED"}, nil, ""},
			{"a status filter applies to the status now", ListQuery{Filter: "status = SUSPENDED"},
				[]string{moved.USCC + " " + newName}, StatusSuspended},
			{"a name filter applies to the name at that point", ListQuery{At: before, Filter: `display_name = "` + oldName + `"`},
				[]string{moved.USCC + " " + oldName}, StatusActive},
			{"the old name no longer matches now", ListQuery{Filter: `display_name = "` + oldName + `"`}, nil, ""},
			{"before their establishment there is nothing", ListQuery{At: history.Point{ValidAt: day("2019-12-31")}}, nil, ""},
		}
		for _, tt := range lists {
			t.Run("List: "+tt.name, func(t *testing.T) {
				p, err := f.svc.List(ctx, tt.q)
				if err != nil {
					t.Fatal(err)
				}
				if got := names(p.Entities); !slices.Equal(got, tt.want) {
					t.Fatalf("List(%+v) = %v, want %v", tt.q, got, tt.want)
				}
				for _, e := range p.Entities {
					if e.USCC == moved.USCC && e.Status != tt.status {
						t.Fatalf("List(%+v) shows %s %s, want %s", tt.q, e.USCC, e.Status, tt.status)
					}
				}
			})
		}

		searches := []struct {
			name string
			q    SearchQuery
			want []string // "uscc name", best first
		}{
			{"valid_at before the change finds the old state", SearchQuery{Query: "物流", At: before}, []string{moved.USCC + " " + oldName}},
			{"now finds the new state", SearchQuery{Query: "物流"}, []string{moved.USCC + " " + newName}},
			{"a status filter applies to the status at that point", SearchQuery{Query: "物流", At: before, Filter: "status = SUSPENDED"}, nil},
			{"a status filter applies to the status now", SearchQuery{Query: "物流", Filter: "status = SUSPENDED"}, []string{moved.USCC + " " + newName}},
			{"the new name is found now", SearchQuery{Query: "港埠物流"}, []string{moved.USCC + " " + newName}},
			{"the old name is not found now", SearchQuery{Query: "石化物流"}, nil},
			{"the old name is found at a point when it was the name", SearchQuery{Query: "石化物流", At: before}, []string{moved.USCC + " " + oldName}},
			{"the new name is not found at a point before it was given", SearchQuery{Query: "港埠物流", At: before}, nil},
		}
		for _, tt := range searches {
			t.Run("Search: "+tt.name, func(t *testing.T) {
				p, err := f.svc.Search(ctx, tt.q)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, h := range p.Hits {
					got = append(got, h.Entity.USCC+" "+h.Entity.Name)
				}
				if !slices.Equal(got, tt.want) {
					t.Fatalf("Search(%+v) = %v, want %v", tt.q, got, tt.want)
				}
			})
		}
	})
}

func TestChangeFeed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		f := newFixtureOn(t, db)
		f.now = day("2024-01-10")
		a := f.create(t, validEntity(t, func(e *LegalEntity) { e.EstablishedOn = "2020-01-01" })) // 1
		b := f.create(t, validEntity(t, func(e *LegalEntity) {                                    // 2
			e.USCC, e.Name, e.EstablishedOn = mustUSCC(t, "91", "MA2000011"), "宁波镇海港城贸易有限公司", "2020-01-01"
		}))
		f.now = day("2024-02-10")
		f.mustUpdate(t, a.USCC, &LegalEntity{Name: "宁波镇海港埠物流有限公司"}, []string{"display_name"}, // 3
			UpdateOptions{EffectiveFrom: day("2024-02-01")})
		f.now = day("2024-03-10")
		f.mustUpdate(t, a.USCC, &LegalEntity{BusinessScope: "普通货物仓储服务。"}, []string{"business_scope"}, // 4
			UpdateOptions{EffectiveFrom: day("2023-06-01"), Correction: true})
		f.now = day("2024-04-10")
		if _, err := f.svc.Delete(ctx, b.USCC, DeleteOptions{}); err != nil { // 5
			t.Fatal(err)
		}
		c := mustUSCC(t, "91", "MA2000012")
		f.now = day("2024-05-10")
		if _, err := f.svc.Rename(ctx, a.USCC, c, RenameOptions{}); err != nil { // 6 (a's tombstone), 7 (c)
			t.Fatal(err)
		}
		fullID := a.Representative.IDNumber
		if b.Representative.IDNumber != fullID {
			t.Fatalf("fixture: the entities should share one representative")
		}

		// event is what a consumer applies: the entity's state after the
		// change is retired for a retirement and for the old USCC of a rename.
		type event struct {
			seq     int64
			uscc    string
			action  history.Action
			retired bool
		}
		all := []event{
			{1, a.USCC, history.Created, false}, {2, b.USCC, history.Created, false},
			{3, a.USCC, history.Updated, false}, {4, a.USCC, history.Corrected, false},
			{5, b.USCC, history.Retired, true}, {6, a.USCC, history.Renamed, true}, {7, c, history.Renamed, false},
		}
		eventOf := func(c Change) event { return event{c.Sequence, c.USCC, c.Action, c.Entity.Retired} }
		events := func(cs []Change) []event {
			out := make([]event, len(cs))
			for i, c := range cs {
				out[i] = eventOf(c)
			}
			return out
		}

		t.Run("Changes returns every write in sequence order, gap-free, with the head", func(t *testing.T) {
			cs, head, err := f.svc.Changes(ctx, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := events(cs); !slices.Equal(got, all) || head != 7 {
				t.Fatalf("Changes = %v, head %d\nwant %v, head 7", got, head, all)
			}
			for _, c := range cs {
				if c.Version.Sequence != c.Sequence || c.Version.Action != c.Action {
					t.Errorf("change %d describes version %+v", c.Sequence, c.Version)
				}
			}
		})

		t.Run("Changes pages from a sequence", func(t *testing.T) {
			cs, head, err := f.svc.Changes(ctx, 2, 3)
			if err != nil {
				t.Fatal(err)
			}
			if got := events(cs); !slices.Equal(got, all[2:5]) || head != 7 {
				t.Fatalf("Changes(after 2, max 3) = %v, head %d; want %v, head 7", got, head, all[2:5])
			}
			if cs, _, err := f.svc.Changes(ctx, 7, 0); err != nil || len(cs) != 0 {
				t.Fatalf("Changes after the head = %v, %v; want none", events(cs), err)
			}
			if _, _, err := f.svc.Changes(ctx, 0, -1); !slices.Equal(fields(t, err), []string{"max"}) {
				t.Fatalf("Changes(max -1) = %v, want max refused", err)
			}
		})

		// The feed and the exports carry entities as stored; the enforcer in
		// front of the registry withholds the ID number per caller.
		t.Run("every change carries the representative's ID number as stored", func(t *testing.T) {
			cs, _, err := f.svc.Changes(ctx, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				if got := c.Entity.Representative.IDNumber; got != fullID {
					t.Errorf("change %d id_number = %q, want %q", c.Sequence, got, fullID)
				}
			}
		})

		export := func(t *testing.T, at int64) (int64, map[string]*LegalEntity) {
			t.Helper()
			out := map[string]*LegalEntity{}
			seq, err := f.svc.Export(ctx, at, func(e *LegalEntity) error {
				out[e.USCC] = e
				return nil
			})
			if err != nil {
				t.Fatalf("Export(%d): %v", at, err)
			}
			return seq, out
		}
		exports := []struct {
			at, want int64
			state    map[string]string // uscc → name, with " (retired)"
		}{
			{1, 1, map[string]string{a.USCC: "宁波镇海石化物流有限公司"}},
			{2, 2, map[string]string{a.USCC: "宁波镇海石化物流有限公司", b.USCC: b.Name}},
			{3, 3, map[string]string{a.USCC: "宁波镇海港埠物流有限公司", b.USCC: b.Name}},
			{5, 5, map[string]string{a.USCC: "宁波镇海港埠物流有限公司", b.USCC: b.Name + " (retired)"}},
			{0, 7, map[string]string{a.USCC: "宁波镇海港埠物流有限公司 (retired)", b.USCC: b.Name + " (retired)", c: "宁波镇海港埠物流有限公司"}},
		}
		for _, tt := range exports {
			t.Run(fmt.Sprintf("Export at sequence %d returns the state as known then", tt.at), func(t *testing.T) {
				seq, got := export(t, tt.at)
				if seq != tt.want {
					t.Errorf("Export(%d) used sequence %d, want %d", tt.at, seq, tt.want)
				}
				state := map[string]string{}
				for u, e := range got {
					state[u] = e.Name
					if e.Retired {
						state[u] += " (retired)"
					}
					if e.Representative.IDNumber != fullID {
						t.Errorf("Export(%d): %s id_number = %q, want it as stored", tt.at, u, e.Representative.IDNumber)
					}
				}
				if fmt.Sprint(state) != fmt.Sprint(tt.state) {
					t.Fatalf("Export(%d) = %v\nwant %v", tt.at, state, tt.state)
				}
			})
		}

		deltas := []struct {
			name        string
			after, upTo int64
			want        []event
		}{
			{"the last change of each entity changed in between", 2, 7, []event{all[4], all[5], all[6]}},
			{"a change overtaken by a later one is left out", 0, 4, []event{all[1], all[3]}},
			{"up_to 0 means the head", 3, 0, []event{all[4], all[5], all[6]}},
			{"equal sequences have no changes between them", 4, 4, nil},
		}
		for _, tt := range deltas {
			t.Run("Delta: "+tt.name, func(t *testing.T) {
				var got []Change
				if err := f.svc.Delta(ctx, tt.after, tt.upTo, func(c Change) error { got = append(got, c); return nil }); err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(events(got), tt.want) {
					t.Fatalf("Delta(%d, %d) = %v, want %v", tt.after, tt.upTo, events(got), tt.want)
				}
				for _, c := range got {
					if c.Entity.Representative.IDNumber != fullID {
						t.Errorf("Delta change %d id_number = %q, want it as stored", c.Sequence, c.Entity.Representative.IDNumber)
					}
				}
			})
		}
		t.Run("Delta with up_to below after is invalid", func(t *testing.T) {
			err := f.svc.Delta(ctx, 5, 3, func(Change) error { t.Error("fn called"); return nil })
			if !slices.Equal(fields(t, err), []string{"up_to_sequence"}) {
				t.Fatalf("Delta(5, 3) = %v, want up_to_sequence refused", err)
			}
		})

		t.Run("Watch replays from a sequence, then follows new writes", func(t *testing.T) {
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			got := make(chan Change, 16)
			done := make(chan error, 1)
			go func() {
				done <- f.svc.Watch(wctx, 5, func(cs []Change) error {
					for _, c := range cs {
						got <- c
					}
					return nil
				})
			}()
			next := func() Change {
				t.Helper()
				select {
				case c := <-got:
					return c
				case <-wctx.Done():
					t.Fatal("Watch delivered nothing in time")
					return Change{}
				}
			}
			for _, want := range all[5:] {
				if c := next(); eventOf(c) != want {
					t.Fatalf("replayed %v, want %v", eventOf(c), want)
				}
			}
			f.now = day("2024-06-10")
			f.mustUpdate(t, c, &LegalEntity{BusinessScope: "港口货物装卸。"}, []string{"business_scope"}, UpdateOptions{})
			live := next()
			if eventOf(live) != (event{8, c, history.Updated, false}) || live.Entity.Representative.IDNumber != fullID {
				t.Fatalf("live change = %d %s %s id %q; want 8 %s UPDATED, as stored", live.Sequence, live.USCC, live.Action, live.Entity.Representative.IDNumber, c)
			}
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("Watch ended with %v, want context.Canceled", err)
			}
		})
	})
}
