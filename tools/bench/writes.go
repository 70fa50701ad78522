package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	legalentityv1 "github.com/zhbase/zhbase/proto/zhbase/legalentity/v1"
	"github.com/zhbase/zhbase/services/kit/standard"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/temporal"
	"github.com/zhbase/zhbase/services/kit/textsearch"
	"github.com/zhbase/zhbase/services/legalentity"
	"github.com/zhbase/zhbase/services/legalentity/sqlstore"
	"github.com/zhbase/zhbase/tools/demo"
)

// LegalEntities returns the first n demo legal entities of seed as the
// registry stores them after a Create at `at`: domain entities, revision 1,
// created and updated at `at`.
func LegalEntities(seed uint64, n int, at time.Time) []*legalentity.LegalEntity {
	at = at.UTC()
	ms := demo.LegalEntities(seed, n)
	out := make([]*legalentity.LegalEntity, len(ms))
	for i, m := range ms {
		e := fromProto(m)
		e.CreateTime, e.UpdateTime, e.Revision = at, at, 1
		out[i] = e
	}
	return out
}

// fromProto is the API's conversion of a LegalEntity message, as the
// registry's handler does it before Create.
func fromProto(m *legalentityv1.LegalEntity) *legalentity.LegalEntity {
	e := &legalentity.LegalEntity{
		USCC:                  m.GetUscc(),
		Name:                  m.GetDisplayName(),
		FormerNames:           m.GetFormerNames(),
		Representative:        legalentity.Representative{Name: m.GetLegalRepresentative().GetName(), IDNumber: m.GetLegalRepresentative().GetIdNumber()},
		Capital:               legalentity.Money{Amount: m.GetRegisteredCapital().GetAmount(), Currency: m.GetRegisteredCapital().GetCurrency()},
		EstablishedOn:         m.GetEstablishmentDate(),
		RegistrationAuthority: m.GetRegistrationAuthority(),
		BusinessScope:         m.GetBusinessScope(),
		IndustryCode:          m.GetIndustryCode(),
		Address:               legalentity.Address{Text: m.GetRegisteredAddress().GetText(), DivisionCode: m.GetRegisteredAddress().GetDivisionCode()},
		StatusDate:            m.GetStatusDate(),
	}
	if t := m.GetEntityType(); t != legalentityv1.EntityType_ENTITY_TYPE_UNSPECIFIED {
		e.Type = legalentity.Type(strings.TrimPrefix(t.String(), "ENTITY_TYPE_"))
	}
	if s := m.GetStatus(); s != legalentityv1.EntityStatus_ENTITY_STATUS_UNSPECIFIED {
		e.Status = legalentity.Status(strings.TrimPrefix(s.String(), "ENTITY_STATUS_"))
	}
	return e
}

var (
	mutationSurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑")
	mutationGiven    = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平")
	mutationScopes   = []string{
		"原油加工及石油制品制造", "有机化学原料制造", "初级形态塑料及合成树脂制造", "锅炉及辅助设备制造", "模具制造",
		"光电子器件制造", "货运港口", "其他机械设备及电子产品批发", "房屋建筑业", "软件开发", "正餐服务", "物业管理",
	}
)

// MutatedFields are the fields Mutate changes, one per call.
var MutatedFields = []string{"registered_capital.amount", "registered_address.text", "business_scope", "legal_representative.name"}

// Mutate changes one field of e, picked with rng, to another valid value,
// and stamps the write as the registry does (update time, revision). It
// returns the API name of the field it changed.
func Mutate(e *legalentity.LegalEntity, rng *rand.Rand, now time.Time) string {
	i := rng.IntN(len(MutatedFields))
	switch i {
	case 0:
		e.Capital.Amount = fmt.Sprintf("%d.00", (1+rng.IntN(500))*100000)
	case 1:
		street, _, ok := strings.Cut(e.Address.Text, "路")
		if !ok {
			street = strings.TrimRight(e.Address.Text, "0123456789号")
		}
		e.Address.Text = fmt.Sprintf("%s路%d号", street, 1+rng.IntN(300))
	case 2:
		e.BusinessScope = mutationScopes[rng.IntN(len(mutationScopes))]
	case 3:
		e.Representative.Name = string(mutationSurnames[rng.IntN(len(mutationSurnames))]) +
			string(mutationGiven[rng.IntN(len(mutationGiven))]) + string(mutationGiven[rng.IntN(len(mutationGiven))])
	}
	e.UpdateTime = now.UTC()
	e.Revision++
	return MutatedFields[i]
}

// IndexColumns are the legal-entity registry's own columns, copied from
// each stored document (sqlstore.Open's Columns), in the order IndexValues
// returns them.
var IndexColumns = []string{"display_name", "search_name", "entity_type", "status", "industry_code", "division_code", "establishment_date", "update_time"}

// IndexValues computes IndexColumns from a stored document, as sqlstore
// does on every insert.
func IndexValues(doc []byte) ([]any, error) {
	e, err := decodeEntity(doc)
	if err != nil {
		return nil, err
	}
	return []any{e.Name, textsearch.Normalize(e.Name), string(e.Type), string(e.Status), e.IndustryCode,
		e.Address.DivisionCode, e.EstablishedOn, store.FormatTime(e.UpdateTime)}, nil
}

func decodeEntity(doc []byte) (*legalentity.LegalEntity, error) {
	var e legalentity.LegalEntity
	if err := json.Unmarshal(doc, &e); err != nil {
		return nil, fmt.Errorf("decode stored entity: %w", err)
	}
	return &e, nil
}

// amendDoc decodes doc, lets change modify the entity and encodes it again.
func amendDoc(doc []byte, change func(*legalentity.LegalEntity)) ([]byte, error) {
	e, err := decodeEntity(doc)
	if err != nil {
		return nil, err
	}
	change(e)
	return json.Marshal(e)
}

// WriteTarget stores legal entities and applies one logical write at a
// time: read the entity, change it, write it back, in one transaction.
type WriteTarget interface {
	// Seed creates the entities.
	Seed(ctx context.Context, entities []*legalentity.LegalEntity) error
	// Update applies change to the stored entity and returns the feed
	// sequence the write took (0 where there is no feed). change may run
	// more than once when the transaction is retried.
	Update(ctx context.Context, uscc string, change func(*legalentity.LegalEntity)) (seq int64, err error)
}

// PlainTable is the baseline: the registry's document and index columns in
// one row per entity, updated in place. No history, no feed.
type PlainTable struct {
	db      *store.DB
	lockRow string // row lock of the read, on PostgreSQL
}

// PlainTableName is the baseline's table.
const PlainTableName = "legal_entities_plain"

// OpenPlainTable creates the baseline's table in db: the uscc as primary key,
// the document, and IndexColumns with the same secondary indexes as the
// registry's (which on the registry are partial, over current rows).
func OpenPlainTable(ctx context.Context, db *store.DB) (*PlainTable, error) {
	cols := make([]string, len(IndexColumns))
	for i, c := range IndexColumns {
		cols[i] = c + " TEXT NOT NULL"
	}
	stmts := []string{`CREATE TABLE ` + PlainTableName + ` (uscc TEXT PRIMARY KEY, doc TEXT NOT NULL, ` + strings.Join(cols, ", ") + `)`}
	for _, c := range []string{"status", "entity_type", "industry_code", "division_code", "establishment_date", "display_name", "update_time"} {
		stmts = append(stmts, fmt.Sprintf(`CREATE INDEX %s_%s ON %s (%s, uscc)`, PlainTableName, c, PlainTableName, c))
	}
	err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		for _, s := range stmts {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", PlainTableName, err)
	}
	t := &PlainTable{db: db}
	if db.Dialect() == store.Postgres {
		// SQLite's immediate transactions already serialise writers;
		// PostgreSQL needs the row lock to not lose concurrent updates.
		t.lockRow = " FOR UPDATE"
	}
	return t, nil
}

// Seed inserts the entities, 200 to a transaction.
func (t *PlainTable) Seed(ctx context.Context, entities []*legalentity.LegalEntity) error {
	insert := `INSERT INTO ` + PlainTableName + ` (uscc, doc, ` + strings.Join(IndexColumns, ", ") + `) VALUES (?, ?` +
		strings.Repeat(", ?", len(IndexColumns)) + `)`
	for start := 0; start < len(entities); start += 200 {
		batch := entities[start:min(start+200, len(entities))]
		err := t.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			for _, e := range batch {
				doc, err := json.Marshal(e)
				if err != nil {
					return err
				}
				vals, err := IndexValues(doc)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, insert, append([]any{e.USCC, string(doc)}, vals...)...); err != nil {
					return fmt.Errorf("insert %s: %w", e.USCC, err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Update reads the document, changes it and writes it back with one
// UPDATE of the document and the index columns, in a transaction of its
// own.
func (t *PlainTable) Update(ctx context.Context, uscc string, change func(*legalentity.LegalEntity)) (int64, error) {
	set := make([]string, len(IndexColumns))
	for i, c := range IndexColumns {
		set[i] = c + " = ?"
	}
	update := `UPDATE ` + PlainTableName + ` SET doc = ?, ` + strings.Join(set, ", ") + ` WHERE uscc = ?`
	return 0, t.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var cur string
		if err := tx.QueryRowContext(ctx, `SELECT doc FROM `+PlainTableName+` WHERE uscc = ?`+t.lockRow, uscc).Scan(&cur); err != nil {
			return fmt.Errorf("read %s: %w", uscc, err)
		}
		doc, err := amendDoc([]byte(cur), change)
		if err != nil {
			return err
		}
		vals, err := IndexValues(doc)
		if err != nil {
			return err
		}
		args := append(append([]any{string(doc)}, vals...), uscc)
		res, err := tx.ExecContext(ctx, update, args...)
		if err != nil {
			return fmt.Errorf("update %s: %w", uscc, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("update %s: %d rows affected (%v)", uscc, n, err)
		}
		return nil
	})
}

// TemporalTable is the legal-entity registry's table — the schema of
// sqlstore's migrations, the same index columns — written through
// temporal.Store, without the search-term side table: what history and
// the feed alone cost.
type TemporalTable struct {
	store *temporal.Store
}

// OpenTemporalTable migrates db with the legal-entity store's migrations
// and returns a temporal.Store over its legal_entities table that keeps
// IndexColumns, with no AfterWrite.
func OpenTemporalTable(ctx context.Context, db *store.DB) (*TemporalTable, error) {
	if _, err := sqlstore.Open(ctx, db); err != nil { // the production schema
		return nil, err
	}
	feed, err := temporal.OpenFeed(ctx, db)
	if err != nil {
		return nil, err
	}
	// The production table names each version's set of search terms in
	// terms_key; without the terms side table every version gets none.
	return &TemporalTable{store: temporal.NewStore(feed, temporal.Table{
		Name: "legal_entities", Collection: sqlstore.Collection, Key: "uscc",
		Columns: append(slices.Clone(IndexColumns), "terms_key"),
		Values: func(doc []byte) ([]any, error) {
			vals, err := IndexValues(doc)
			return append(vals, ""), err
		},
	})}, nil
}

// Feed is the table's change feed.
func (t *TemporalTable) Feed() *temporal.Feed { return t.store.Feed() }

// Store is the temporal store.
func (t *TemporalTable) Store() *temporal.Store { return t.store }

// Seed creates the entities, each in effect from its establishment date.
func (t *TemporalTable) Seed(ctx context.Context, entities []*legalentity.LegalEntity) error {
	return seedEach(ctx, entities, func(ctx context.Context, e *legalentity.LegalEntity, from time.Time) error {
		doc, err := json.Marshal(e)
		if err != nil {
			return err
		}
		_, err = t.store.Create(ctx, e.USCC, doc, from)
		return err
	})
}

// Update writes a new version through temporal.Store.Update: it takes the
// next feed sequence, closes the current row, inserts the restated and the
// new versions and appends the change event, in one transaction. The
// current version it returns carries the write's sequence.
func (t *TemporalTable) Update(ctx context.Context, uscc string, change func(*legalentity.LegalEntity)) (int64, error) {
	v, err := t.store.Update(ctx, uscc, temporal.WriteOptions{}, func(cur *temporal.Version) ([]byte, error) {
		return amendDoc(cur.Doc, change)
	})
	if err != nil {
		return 0, err
	}
	return v.Sequence, nil
}

// ProductionStore is the legal-entity registry's store (sqlstore), which
// besides history and the feed rewrites the entity's search terms on every
// write.
type ProductionStore struct {
	store *sqlstore.Store
}

// OpenProductionStore migrates db and opens the registry's store on it.
func OpenProductionStore(ctx context.Context, db *store.DB) (*ProductionStore, error) {
	s, err := sqlstore.Open(ctx, db)
	if err != nil {
		return nil, err
	}
	return &ProductionStore{store: s}, nil
}

// Store is the registry's store.
func (p *ProductionStore) Store() *sqlstore.Store { return p.store }

// Seed creates the entities, each in effect from its establishment date.
func (p *ProductionStore) Seed(ctx context.Context, entities []*legalentity.LegalEntity) error {
	return seedEach(ctx, entities, func(ctx context.Context, e *legalentity.LegalEntity, from time.Time) error {
		return p.store.Create(ctx, e, from)
	})
}

// Update is the registry's write path, sqlstore.Store.Update with default
// write options (a change in effect now).
func (p *ProductionStore) Update(ctx context.Context, uscc string, change func(*legalentity.LegalEntity)) (int64, error) {
	e, err := p.store.Update(ctx, uscc, legalentity.WriteOptions{}, func(e *legalentity.LegalEntity) error {
		change(e)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return e.Version.Sequence, nil
}

// seedEach creates the entities one transaction each, as the registry's
// Create does, from a few goroutines (PostgreSQL runs them side by side;
// SQLite queues them).
func seedEach(ctx context.Context, entities []*legalentity.LegalEntity, create func(context.Context, *legalentity.LegalEntity, time.Time) error) error {
	const workers = 4
	next := make(chan *legalentity.LegalEntity)
	errc := make(chan error, workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range workers {
		go func() {
			var err error
			for e := range next {
				if err != nil {
					continue // drain
				}
				var from time.Time
				if from, err = standard.ParseDate(e.EstablishedOn); err != nil {
					err = fmt.Errorf("establishment date of %s: %w", e.USCC, err)
					continue
				}
				if err = create(ctx, e, from); err != nil {
					err = fmt.Errorf("create %s: %w", e.USCC, err)
					cancel()
				}
			}
			errc <- err
		}()
	}
	for _, e := range entities {
		if ctx.Err() != nil {
			break
		}
		next <- e
	}
	close(next)
	var errs []error
	for range workers {
		errs = append(errs, <-errc)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return ctx.Err()
}
