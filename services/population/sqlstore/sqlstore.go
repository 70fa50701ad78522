// Package sqlstore keeps persons and households in SQLite or PostgreSQL,
// with their bitemporal history and the registry's one change feed
// (services/kit/temporal), and enforces the registry's integrity
// invariants inside every write's transaction (see population.Store). It
// implements population.Store and nothing else: no validation, no masking.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/filter"
	"github.com/zhbase/zhbase/services/kit/history"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/temporal"
	"github.com/zhbase/zhbase/services/kit/textsearch"
	"github.com/zhbase/zhbase/services/population"
)

//go:embed migrations
var migrations embed.FS

// Store implements population.Store.
type Store struct {
	db         *store.DB
	feed       *temporal.Feed
	persons    *temporal.Store
	households *temporal.Store
}

var _ population.Store = (*Store)(nil)

// Open migrates db and returns the store over it.
func Open(ctx context.Context, db *store.DB) (*Store, error) {
	feed, err := temporal.OpenFeed(ctx, db)
	if err != nil {
		return nil, err
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx, db, "population", sub); err != nil {
		return nil, err
	}
	s := &Store{db: db, feed: feed}
	s.persons = temporal.NewStore(feed, temporal.Table{
		Name: "persons", Collection: population.PersonCollection, Key: "id_number",
		Columns: []string{"display_name", "search_name", "sex", "birth_date", "ethnicity", "household", "relation", "relation_code",
			"registered_address", "residence_address", "education", "marital_status", "status", "update_time"},
		Values: func(doc []byte) ([]any, error) {
			p, err := decodePerson(doc)
			if err != nil {
				return nil, err
			}
			return []any{p.Name, textsearch.Normalize(p.Name), string(p.Sex), p.BirthDate, p.Ethnicity, p.Household,
				string(p.Relation), population.RelationCode(p.Relation), p.RegisteredAddress, p.ResidenceAddress,
				string(p.Education), string(p.MaritalStatus), string(p.Status), store.FormatTime(p.UpdateTime)}, nil
		},
		AfterWrite: s.personWritten,
		Terms: func(doc []byte) (map[string][]string, error) {
			p, err := decodePerson(doc)
			if err != nil {
				return nil, err
			}
			return map[string][]string{"name": {p.Name}, "former": p.FormerNames}, nil
		},
		TermsTable: "person_terms",
		NameColumn: "search_name",
	})
	s.households = temporal.NewStore(feed, temporal.Table{
		Name: "households", Collection: population.HouseholdCollection, Key: "household_id",
		Columns: []string{"household_number", "household_type", "registered_address", "update_time"},
		Values: func(doc []byte) ([]any, error) {
			h, err := decodeHousehold(doc)
			if err != nil {
				return nil, err
			}
			return []any{h.Number, string(h.Type), h.RegisteredAddress, store.FormatTime(h.UpdateTime)}, nil
		},
		AfterWrite: s.householdWritten,
	})
	return s, nil
}

// SetClock replaces the clock of record time of both collections, for
// tests that travel in time.
func (s *Store) SetClock(now func() time.Time) {
	s.persons.Now = now
	s.households.Now = now
}

// The integrity invariants of population.Store, checked inside the writing
// transaction after the new version is in place. Every writer of the
// registry's database first takes the feed's sequence, which serialises
// them, so what these queries see cannot change before the commit.

// activeMember selects the current rows of active persons.
const activeMember = temporal.Current + ` AND deleted = 0 AND status = '` + string(population.StatusActive) + `'`

func (s *Store) personWritten(ctx context.Context, tx *store.Tx, cur *temporal.Version) error {
	if cur.Deleted {
		return nil
	}
	p, err := decodePerson(cur.Doc)
	if err != nil {
		return err
	}
	if p.Status != population.StatusActive {
		return nil
	}
	id := strings.TrimPrefix(p.Household, population.HouseholdCollection+"/")
	var deleted int64
	err = tx.QueryRowContext(ctx, `SELECT deleted FROM households WHERE household_id = ? AND `+temporal.Current, id).Scan(&deleted)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("an active person must be registered in an existing household, and %s does not exist: %w", p.Household, errs.ErrFailedPrecondition)
	case err != nil:
		return fmt.Errorf("check household %s: %w", p.Household, err)
	case deleted != 0:
		return fmt.Errorf("an active person must be registered in a current household, and %s is retired: %w", p.Household, errs.ErrFailedPrecondition)
	}
	if p.Relation != population.RelationHead {
		return nil
	}
	var heads int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM persons WHERE household = ? AND relation = ? AND `+activeMember,
		p.Household, string(population.RelationHead)).Scan(&heads); err != nil {
		return fmt.Errorf("count heads of %s: %w", p.Household, err)
	}
	if heads > 1 {
		return fmt.Errorf("%s has an active head already; a household has one: %w", p.Household, errs.ErrFailedPrecondition)
	}
	return nil
}

func (s *Store) householdWritten(ctx context.Context, tx *store.Tx, cur *temporal.Version) error {
	if !cur.Deleted {
		return nil
	}
	name := population.HouseholdName(cur.Key)
	var members int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM persons WHERE household = ? AND `+activeMember, name).Scan(&members); err != nil {
		return fmt.Errorf("count members of %s: %w", name, err)
	}
	if members > 0 {
		return fmt.Errorf("%s has %d active members; a retired household can have none: %w", name, members, errs.ErrFailedPrecondition)
	}
	return nil
}

func decodePerson(doc []byte) (*population.Person, error) {
	var p population.Person
	if err := json.Unmarshal(doc, &p); err != nil {
		return nil, fmt.Errorf("decode stored person: %w", err)
	}
	return &p, nil
}

func decodeHousehold(doc []byte) (*population.Household, error) {
	var h population.Household
	if err := json.Unmarshal(doc, &h); err != nil {
		return nil, fmt.Errorf("decode stored household: %w", err)
	}
	return &h, nil
}

func personFromVersion(v *temporal.Version) (*population.Person, error) {
	p, err := decodePerson(v.Doc)
	if err != nil {
		return nil, err
	}
	p.Retired, p.Version = v.Deleted, v.Info
	return p, nil
}

func householdFromVersion(v *temporal.Version) (*population.Household, error) {
	h, err := decodeHousehold(v.Doc)
	if err != nil {
		return nil, err
	}
	h.Retired, h.Version = v.Deleted, v.Info
	return h, nil
}

// amendPerson turns a domain change into the temporal store's document
// change.
func amendPerson(key string, change func(*population.Person) error) func(*temporal.Version) ([]byte, error) {
	return func(v *temporal.Version) ([]byte, error) {
		p, err := personFromVersion(v)
		if err != nil {
			return nil, err
		}
		if err := change(p); err != nil {
			return nil, err
		}
		if p.IDNumber != key {
			return nil, fmt.Errorf("a write of a person changed their ID number; use RenamePerson: %w", errs.ErrFailedPrecondition)
		}
		return json.Marshal(p)
	}
}

func (s *Store) CreatePerson(ctx context.Context, p *population.Person, effectiveFrom time.Time) error {
	doc, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	_, err = s.persons.Create(ctx, p.IDNumber, doc, effectiveFrom)
	return err
}

func (s *Store) GetPerson(ctx context.Context, idNumber string, at history.Point) (*population.Person, error) {
	v, from, err := s.persons.Get(ctx, idNumber, at)
	if err != nil {
		return nil, err
	}
	p, err := personFromVersion(v)
	if err != nil {
		return nil, err
	}
	p.RedirectedFrom = from
	return p, nil
}

func (s *Store) UpdatePerson(ctx context.Context, idNumber string, o population.WriteOptions, change func(*population.Person) error) (*population.Person, error) {
	v, err := s.persons.Update(ctx, idNumber, temporal.WriteOptions{EffectiveFrom: o.EffectiveFrom, Correction: o.Correction, Retire: o.Retire},
		amendPerson(idNumber, change))
	if err != nil {
		return nil, err
	}
	return personFromVersion(v)
}

func (s *Store) RenamePerson(ctx context.Context, idNumber, newIDNumber string, effectiveFrom time.Time, change func(*population.Person) error) (*population.Person, error) {
	v, err := s.persons.Rename(ctx, idNumber, newIDNumber, effectiveFrom, amendPerson(newIDNumber, change))
	if err != nil {
		return nil, err
	}
	return personFromVersion(v)
}

func (s *Store) PersonHistory(ctx context.Context, idNumber string) ([]*population.Person, error) {
	vs, err := s.persons.History(ctx, idNumber)
	if err != nil {
		return nil, err
	}
	out := make([]*population.Person, len(vs))
	for i, v := range vs {
		if out[i], err = personFromVersion(v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func relations() []population.Relation {
	out := make([]population.Relation, len(population.Relations))
	for i, r := range population.Relations {
		out[i] = r.Relation
	}
	return out
}

func educations() []population.Education {
	out := make([]population.Education, len(population.Educations))
	for i, e := range population.Educations {
		out[i] = e.Education
	}
	return out
}

func maritalStatuses() []population.MaritalStatus {
	out := make([]population.MaritalStatus, len(population.MaritalStatuses))
	for i, m := range population.MaritalStatuses {
		out[i] = m.Status
	}
	return out
}

// personFilter maps the API's filter fields to the persons table.
var personFilter = filter.Schema{
	"status":             {Column: "status", Kind: filter.Enum, Enum: filter.EnumValues(population.Statuses), Prefix: "PERSON_STATUS_"},
	"sex":                {Column: "sex", Kind: filter.Enum, Enum: filter.EnumValues(population.Sexes), Prefix: "SEX_"},
	"relation":           {Column: "relation", Kind: filter.Enum, Enum: filter.EnumValues(relations()), Prefix: "RELATION_"},
	"education":          {Column: "education", Kind: filter.Enum, Enum: filter.EnumValues(educations()), Prefix: "EDUCATION_"},
	"marital_status":     {Column: "marital_status", Kind: filter.Enum, Enum: filter.EnumValues(maritalStatuses()), Prefix: "MARITAL_STATUS_"},
	"ethnicity":          {Column: "ethnicity", Kind: filter.String},
	"household":          {Column: "household", Kind: filter.String},
	"registered_address": {Column: "registered_address", Kind: filter.String},
	"residence_address":  {Column: "residence_address", Kind: filter.String},
	"birth_date":         {Column: "birth_date", Kind: filter.Date},
	"display_name":       {Column: "display_name", Kind: filter.String},
	"id_number":          {Column: "id_number", Kind: filter.String},
}

// householdFilter maps the API's filter fields to the households table.
var householdFilter = filter.Schema{
	"household_type":     {Column: "household_type", Kind: filter.Enum, Enum: filter.EnumValues(population.HouseholdTypes), Prefix: "HOUSEHOLD_TYPE_"},
	"registered_address": {Column: "registered_address", Kind: filter.String},
	"household_number":   {Column: "household_number", Kind: filter.String},
}

// The columns List may order by; each is NOT NULL, so that the keyset
// (column, key) is total.
var (
	personOrder = filter.OrderBy{Default: "id_number", Columns: map[string]string{
		"id_number": "id_number", "display_name": "display_name", "birth_date": "birth_date", "update_time": "update_time"}}
	householdOrder = filter.OrderBy{Default: "household_id", Columns: map[string]string{
		"household_id": "household_id", "household_number": "household_number", "update_time": "update_time"}}
)

func (s *Store) ListPersons(ctx context.Context, q population.ListQuery) (population.PersonPage, error) {
	col, desc, err := personOrder.Parse(q.OrderBy)
	if err != nil {
		return population.PersonPage{}, err
	}
	where, args, err := personFilter.Compile(q.Filter) // its errors name "filter"
	if err != nil {
		return population.PersonPage{}, err
	}
	return s.listPersons(ctx, temporal.ListQuery{
		At: q.At, ShowDeleted: q.ShowRetired, Where: where, Args: args, OrderBy: col, Desc: desc,
		PageSize: q.PageSize, PageToken: q.PageToken, Binding: "list\x00" + q.Filter + "\x00" + q.OrderBy,
	})
}

func (s *Store) listPersons(ctx context.Context, q temporal.ListQuery) (population.PersonPage, error) {
	vs, next, err := s.persons.List(ctx, q)
	if err != nil {
		return population.PersonPage{}, err
	}
	out := population.PersonPage{NextPageToken: next}
	for _, v := range vs {
		p, err := personFromVersion(v)
		if err != nil {
			return population.PersonPage{}, err
		}
		out.Persons = append(out.Persons, p)
	}
	return out, nil
}

// and joins SQL conditions, each parenthesised.
func and(conds ...string) string {
	var parts []string
	for _, c := range conds {
		if c != "" {
			parts = append(parts, "("+c+")")
		}
	}
	return strings.Join(parts, " AND ")
}

func (s *Store) SearchPersons(ctx context.Context, q population.SearchQuery) (population.SearchPage, error) {
	where, args, err := personFilter.Compile(q.Filter)
	if err != nil {
		return population.SearchPage{}, err
	}
	conds := []string{where}
	if q.BirthDate != "" {
		conds = append(conds, "birth_date = ?")
		args = append(args, q.BirthDate)
	}
	if q.Address != "" {
		conds = append(conds, "registered_address = ? OR residence_address = ?")
		args = append(args, q.Address, q.Address)
	}
	if q.Household != "" {
		conds = append(conds, "household = ?")
		args = append(args, q.Household)
	}
	where = and(conds...)
	binding := strings.Join([]string{"search", q.Filter, q.BirthDate, q.Address, q.Household}, "\x00")
	if q.Query == "" {
		p, err := s.listPersons(ctx, temporal.ListQuery{
			At: q.At, ShowDeleted: q.ShowRetired, Where: where, Args: args,
			PageSize: q.PageSize, PageToken: q.PageToken, Binding: binding,
		})
		if err != nil {
			return population.SearchPage{}, err
		}
		out := population.SearchPage{NextPageToken: p.NextPageToken}
		for _, x := range p.Persons {
			out.Hits = append(out.Hits, population.SearchHit{Person: x, Score: 1})
		}
		return out, nil
	}
	hits, next, err := s.persons.Search(ctx, temporal.SearchQuery{
		Query: q.Query, At: q.At, ShowDeleted: q.ShowRetired, Where: where, Args: args,
		PageSize: q.PageSize, PageToken: q.PageToken, Binding: binding,
	})
	if err != nil {
		return population.SearchPage{}, err
	}
	out := population.SearchPage{NextPageToken: next}
	for _, h := range hits {
		p, err := personFromVersion(h.Version)
		if err != nil {
			return population.SearchPage{}, err
		}
		out.Hits = append(out.Hits, population.SearchHit{Person: p, Score: h.Score, MatchedName: textsearch.BestMatch(q.Query, append([]string{p.Name}, p.FormerNames...)...)})
	}
	return out, nil
}

func (s *Store) ListMembers(ctx context.Context, q population.MembersQuery) (population.PersonPage, error) {
	where, args := "household = ?", []any{q.Household}
	if !q.IncludeFormer {
		where += " AND status = ?"
		args = append(args, string(population.StatusActive))
	}
	return s.listPersons(ctx, temporal.ListQuery{
		At: q.At, Where: where, Args: args, OrderBy: "relation_code",
		PageSize: q.PageSize, PageToken: q.PageToken,
		Binding: fmt.Sprintf("members\x00%s\x00%v", q.Household, q.IncludeFormer),
	})
}

func (s *Store) CreateHousehold(ctx context.Context, h *population.Household, effectiveFrom time.Time) error {
	doc, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	_, err = s.households.Create(ctx, h.ID, doc, effectiveFrom)
	return err
}

func (s *Store) GetHousehold(ctx context.Context, id string, at history.Point) (*population.Household, error) {
	v, _, err := s.households.Get(ctx, id, at)
	if err != nil {
		return nil, err
	}
	h, err := householdFromVersion(v)
	if err != nil {
		return nil, err
	}
	return h, s.fillHeads(ctx, []*population.Household{h}, at)
}

// fillHeads sets the head of each household as of the point: its active
// member whose relation is HEAD.
func (s *Store) fillHeads(ctx context.Context, hs []*population.Household, at history.Point) error {
	if len(hs) == 0 {
		return nil
	}
	byName := make(map[string]*population.Household, len(hs))
	args := make([]any, 0, len(hs)+1)
	for _, h := range hs {
		byName[population.HouseholdName(h.ID)] = h
		args = append(args, population.HouseholdName(h.ID))
	}
	args = append(args, string(population.RelationHead), string(population.StatusActive))
	q := temporal.ListQuery{
		At: at, Where: "household IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(hs)), ", ") + ") AND relation = ? AND status = ?",
		Args: args, PageSize: len(hs) + 1, Binding: "heads",
	}
	for {
		p, err := s.listPersons(ctx, q)
		if err != nil {
			return fmt.Errorf("read heads: %w", err)
		}
		for _, head := range p.Persons {
			if h := byName[head.Household]; h != nil && h.Head == "" {
				h.Head = head.IDNumber
			}
		}
		if p.NextPageToken == "" {
			return nil
		}
		q.PageToken = p.NextPageToken
	}
}

func (s *Store) UpdateHousehold(ctx context.Context, id string, o population.WriteOptions, change func(*population.Household) error) (*population.Household, error) {
	v, err := s.households.Update(ctx, id, temporal.WriteOptions{EffectiveFrom: o.EffectiveFrom, Correction: o.Correction, Retire: o.Retire},
		func(v *temporal.Version) ([]byte, error) {
			h, err := householdFromVersion(v)
			if err != nil {
				return nil, err
			}
			if err := change(h); err != nil {
				return nil, err
			}
			if h.ID != id {
				return nil, fmt.Errorf("a write of %s changed its id: %w", population.HouseholdName(id), errs.ErrFailedPrecondition)
			}
			return json.Marshal(h)
		})
	if err != nil {
		return nil, err
	}
	h, err := householdFromVersion(v)
	if err != nil {
		return nil, err
	}
	return h, s.fillHeads(ctx, []*population.Household{h}, history.Point{})
}

func (s *Store) HouseholdHistory(ctx context.Context, id string) ([]*population.Household, error) {
	vs, err := s.households.History(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]*population.Household, len(vs))
	for i, v := range vs {
		if out[i], err = householdFromVersion(v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) ListHouseholds(ctx context.Context, q population.ListQuery) (population.HouseholdPage, error) {
	col, desc, err := householdOrder.Parse(q.OrderBy)
	if err != nil {
		return population.HouseholdPage{}, err
	}
	where, args, err := householdFilter.Compile(q.Filter)
	if err != nil {
		return population.HouseholdPage{}, err
	}
	vs, next, err := s.households.List(ctx, temporal.ListQuery{
		At: q.At, ShowDeleted: q.ShowRetired, Where: where, Args: args, OrderBy: col, Desc: desc,
		PageSize: q.PageSize, PageToken: q.PageToken, Binding: q.Filter + "\x00" + q.OrderBy,
	})
	if err != nil {
		return population.HouseholdPage{}, err
	}
	out := population.HouseholdPage{NextPageToken: next}
	for _, v := range vs {
		h, err := householdFromVersion(v)
		if err != nil {
			return population.HouseholdPage{}, err
		}
		out.Households = append(out.Households, h)
	}
	return out, s.fillHeads(ctx, out.Households, q.At)
}

func toChange(c temporal.Change) (population.Change, error) {
	out := population.Change{
		Sequence: c.Sequence, Name: c.Collection + "/" + c.Key, Action: c.Action,
		Version: history.Info{Version: c.Version, ValidFrom: c.ValidFrom, ValidTo: c.ValidTo, KnownFrom: c.KnownAt, Action: c.Action, Sequence: c.Sequence},
	}
	var err error
	switch c.Collection {
	case population.PersonCollection:
		if out.Person, err = decodePerson(c.Doc); err == nil {
			out.Person.Retired = c.Deleted
		}
	case population.HouseholdCollection:
		if out.Household, err = decodeHousehold(c.Doc); err == nil {
			out.Household.Retired = c.Deleted
		}
	default:
		err = fmt.Errorf("unknown collection %q", c.Collection)
	}
	if err != nil {
		return population.Change{}, fmt.Errorf("change %d: %w", c.Sequence, err)
	}
	return out, nil
}

func toChanges(cs []temporal.Change) ([]population.Change, error) {
	out := make([]population.Change, 0, len(cs))
	for _, c := range cs {
		pc, err := toChange(c)
		if err != nil {
			return nil, err
		}
		out = append(out, pc)
	}
	return out, nil
}

func (s *Store) Changes(ctx context.Context, after int64, max int) ([]population.Change, int64, error) {
	head, err := s.feed.Head(ctx)
	if err != nil {
		return nil, 0, err
	}
	cs, err := s.feed.Changes(ctx, after, head, max)
	if err != nil {
		return nil, 0, err
	}
	out, err := toChanges(cs)
	return out, head, err
}

func (s *Store) Watch(ctx context.Context, after int64, send func([]population.Change) error) error {
	return s.feed.Watch(ctx, after, 500, func(cs []temporal.Change) error {
		out, err := toChanges(cs)
		if err != nil {
			return err
		}
		return send(out)
	})
}

func (s *Store) Export(ctx context.Context, at int64, fn func(population.Record) error) (int64, error) {
	if at <= 0 {
		head, err := s.feed.Head(ctx)
		if err != nil {
			return 0, err
		}
		at = head
	}
	if _, err := s.households.Snapshot(ctx, at, func(v *temporal.Version) error {
		h, err := householdFromVersion(v)
		if err != nil {
			return err
		}
		return fn(population.Record{Household: h})
	}); err != nil {
		return 0, err
	}
	return s.persons.Snapshot(ctx, at, func(v *temporal.Version) error {
		p, err := personFromVersion(v)
		if err != nil {
			return err
		}
		return fn(population.Record{Person: p})
	})
}

func (s *Store) Delta(ctx context.Context, after, upTo int64, fn func(population.Change) error) error {
	if upTo <= 0 {
		head, err := s.feed.Head(ctx)
		if err != nil {
			return err
		}
		upTo = head
	}
	return s.feed.Delta(ctx, after, upTo, func(c temporal.Change) error {
		pc, err := toChange(c)
		if err != nil {
			return err
		}
		return fn(pc)
	})
}
