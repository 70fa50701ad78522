package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/zhbase/zhbase/services/building"
	"github.com/zhbase/zhbase/services/kit/store"
	"github.com/zhbase/zhbase/services/kit/temporal"
)

// CreateMany records new buildings in one transaction, all or none: the
// bulk-load path (temporal.Store.CreateMany), which writes for each building
// exactly what Create writes, and indexes their owners and footprints in
// the same transaction with multi-row statements.
//
// It fails with errs.ErrAlreadyExists when an id has any history, and
// with an effective_time violation for an effect time in the future. On
// success each building carries its version information.
func (s *Store) CreateMany(ctx context.Context, news []building.NewBuilding) error {
	recs := make([]temporal.NewRecord, len(news))
	bs := make([]*building.Building, len(news))
	for i, n := range news {
		doc, err := json.Marshal(n.Building)
		if err != nil {
			return fmt.Errorf("encode %s: %w", n.Building.ID, err)
		}
		recs[i], bs[i] = temporal.NewRecord{Key: n.Building.ID, Doc: doc, EffectiveFrom: n.EffectiveFrom}, n.Building
	}
	vs, err := s.t.CreateMany(ctx, recs, func(ctx context.Context, tx *store.Tx, _ []*temporal.Version) error {
		return s.index(ctx, tx, bs, true)
	})
	if err != nil {
		return err
	}
	for i, v := range vs {
		bs[i].Version = v.Info
	}
	return nil
}
