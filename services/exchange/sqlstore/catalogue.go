package sqlstore

import (
	"context"
	"fmt"

	"github.com/zhbase/zhbase/services/exchange"
	"github.com/zhbase/zhbase/services/kit/filter"
	"github.com/zhbase/zhbase/services/kit/store"
)

const resourceColumns = `code, registry, resource_type, title, provider_department, summary, format, update_cycle,
	sharing_method, publish_time, update_time`

const itemColumns = `resource_code, path, title, sharing_class, item_condition, legal_basis, personal, obsolete`

// itemOrder is the catalogue's item order: the resource's field order,
// with obsolete items where their field used to be.
const itemOrder = ` ORDER BY resource_code, position, path`

func scanResource(row scanner) (*exchange.CatalogueResource, error) {
	var r exchange.CatalogueResource
	var cycle, method, published, updated string
	if err := row.Scan(&r.Code, &r.Registry, &r.ResourceType, &r.Title, &r.Provider, &r.Summary, &r.Format, &cycle,
		&method, &published, &updated); err != nil {
		return nil, err
	}
	var p timeParser
	r.UpdateCycle, r.SharingMethod = exchange.UpdateCycle(cycle), exchange.SharingMethod(method)
	r.PublishTime, r.UpdateTime = p.parse(published), p.parse(updated)
	return &r, p.err
}

// attachItems reads the items of resources (all items when all is set)
// and attaches them.
func attachItems(ctx context.Context, q store.Querier, resources []*exchange.CatalogueResource, all bool) error {
	if len(resources) == 0 {
		return nil
	}
	byCode := make(map[string]*exchange.CatalogueResource, len(resources))
	args := make([]any, 0, len(resources))
	for _, r := range resources {
		byCode[r.Code] = r
		args = append(args, r.Code)
	}
	query := `SELECT ` + itemColumns + ` FROM catalogue_items`
	if all {
		args = nil
	} else {
		query += ` WHERE resource_code IN ` + store.Placeholders(len(args))
	}
	rows, err := q.QueryContext(ctx, query+itemOrder, args...)
	if err != nil {
		return fmt.Errorf("read catalogue items: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var code, class string
		var it exchange.CatalogueItem
		if err := rows.Scan(&code, &it.Path, &it.Title, &class, &it.Condition, &it.LegalBasis, &it.Personal, &it.Obsolete); err != nil {
			return fmt.Errorf("read catalogue items: %w", err)
		}
		c, ok := exchange.ParseSharingClass(class)
		if !ok {
			return fmt.Errorf("catalogue item %s of %s: unknown stored sharing class %q", it.Path, code, class)
		}
		it.Class = c
		if r := byCode[code]; r != nil {
			r.Items = append(r.Items, it)
		}
	}
	return rows.Err()
}

func getResource(ctx context.Context, q store.Querier, code string, lock bool) (*exchange.CatalogueResource, error) {
	query := `SELECT ` + resourceColumns + ` FROM catalogue_resources WHERE code = ?`
	if lock {
		query += forUpdate(q)
	}
	r, err := scanResource(q.QueryRowContext(ctx, query, code))
	if err != nil {
		return nil, notFound(err, exchange.CatalogueName(code))
	}
	if err := attachItems(ctx, q, []*exchange.CatalogueResource{r}, false); err != nil {
		return nil, err
	}
	return r, nil
}

func (s *Store) GetCatalogueResource(ctx context.Context, code string) (*exchange.CatalogueResource, error) {
	return getResource(ctx, s.db, code, false)
}

// providerName spells the provider column as the API's resource name, so
// that filters compare what clients see.
const providerName = `(CASE WHEN %[1]s = '' THEN '' ELSE 'departments/' || %[1]s END)`

var catalogueFilter = filter.Schema{
	"registry":            {Column: "registry", Kind: filter.String},
	"resource_type":       {Column: "resource_type", Kind: filter.String},
	"provider_department": {Column: fmt.Sprintf(providerName, "provider_department"), Kind: filter.String},
}

func (s *Store) ListCatalogueResources(ctx context.Context, q exchange.ListQuery) (exchange.CataloguePage, error) {
	l := listing{binding: "catalogueResources\x00" + q.Filter, token: q.PageToken, size: q.PageSize, key: "code"}
	conds, args, err := addFilter(catalogueFilter, q.Filter, nil, nil)
	if err != nil {
		return exchange.CataloguePage{}, err
	}
	if conds, args, err = l.where(conds, args); err != nil {
		return exchange.CataloguePage{}, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+resourceColumns+` FROM catalogue_resources`+whereClause(conds)+l.tail(), args...)
	if err != nil {
		return exchange.CataloguePage{}, fmt.Errorf("list catalogue: %w", err)
	}
	var out exchange.CataloguePage
	for rows.Next() {
		r, err := scanResource(rows)
		if err != nil {
			rows.Close()
			return exchange.CataloguePage{}, fmt.Errorf("list catalogue: %w", err)
		}
		out.Resources = append(out.Resources, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return exchange.CataloguePage{}, fmt.Errorf("list catalogue: %w", err)
	}
	out.NextPageToken = l.next(len(out.Resources), func() string { return out.Resources[l.size-1].Code })
	out.Resources = out.Resources[:min(len(out.Resources), l.size)]
	if err := attachItems(ctx, s.db, out.Resources, false); err != nil {
		return exchange.CataloguePage{}, err
	}
	return out, nil
}

func allResources(ctx context.Context, q store.Querier) ([]*exchange.CatalogueResource, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+resourceColumns+` FROM catalogue_resources ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("read catalogue: %w", err)
	}
	var out []*exchange.CatalogueResource
	for rows.Next() {
		r, err := scanResource(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read catalogue: %w", err)
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read catalogue: %w", err)
	}
	return out, attachItems(ctx, q, out, true)
}

func (s *Store) SyncCatalogue(ctx context.Context, want []*exchange.CatalogueResource) (bool, int64, error) {
	var (
		changed bool
		rev     int64
	)
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		changed = false
		wanted := map[string]bool{}
		for _, r := range want {
			wanted[r.Code] = true
			c, err := syncResource(ctx, tx, r)
			if err != nil {
				return fmt.Errorf("sync catalogue entry %s: %w", r.Code, err)
			}
			changed = changed || c
		}
		rows, err := tx.QueryContext(ctx, `SELECT code FROM catalogue_resources`)
		if err != nil {
			return fmt.Errorf("read catalogue codes: %w", err)
		}
		var gone []string
		for rows.Next() {
			var code string
			if err := rows.Scan(&code); err != nil {
				rows.Close()
				return err
			}
			if !wanted[code] {
				gone = append(gone, code)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, code := range gone {
			res, err := tx.ExecContext(ctx, `UPDATE catalogue_items SET obsolete = ? WHERE resource_code = ? AND obsolete = ?`, true, code, false)
			if err != nil {
				return fmt.Errorf("retire items of %s: %w", code, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				changed = true
			}
		}
		if changed {
			rev, err = bump(ctx, tx)
		} else {
			rev, err = revision(ctx, tx)
		}
		return err
	})
	return changed, rev, err
}

// syncResource inserts r if missing and brings its items in line; it
// never touches what people catalogued.
func syncResource(ctx context.Context, tx *store.Tx, r *exchange.CatalogueResource) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO catalogue_resources (`+resourceColumns+`) VALUES `+store.Placeholders(11)+`
		ON CONFLICT (code) DO NOTHING`,
		r.Code, r.Registry, r.ResourceType, r.Title, r.Provider, r.Summary, r.Format, string(r.UpdateCycle),
		string(r.SharingMethod), timeText(r.PublishTime), timeText(r.UpdateTime))
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	changed := n > 0
	type stored struct {
		position           int64
		personal, obsolete bool
	}
	existing := map[string]stored{}
	rows, err := tx.QueryContext(ctx, `SELECT path, position, personal, obsolete FROM catalogue_items WHERE resource_code = ?`, r.Code)
	if err != nil {
		return false, err
	}
	for rows.Next() {
		var path string
		var st stored
		if err := rows.Scan(&path, &st.position, &st.personal, &st.obsolete); err != nil {
			rows.Close()
			return false, err
		}
		existing[path] = st
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	wanted := map[string]bool{}
	for i, it := range r.Items {
		wanted[it.Path] = true
		st, ok := existing[it.Path]
		switch {
		case !ok:
			_, err = tx.ExecContext(ctx, `INSERT INTO catalogue_items (`+itemColumns+`, position) VALUES `+store.Placeholders(9),
				r.Code, it.Path, it.Title, it.Class.String(), it.Condition, it.LegalBasis, it.Personal, false, i)
		case st.position != int64(i) || st.personal != it.Personal || st.obsolete:
			_, err = tx.ExecContext(ctx, `UPDATE catalogue_items SET position = ?, personal = ?, obsolete = ?
				WHERE resource_code = ? AND path = ?`, i, it.Personal, false, r.Code, it.Path)
		default:
			continue
		}
		if err != nil {
			return false, fmt.Errorf("item %s: %w", it.Path, err)
		}
		changed = true
	}
	for path, st := range existing {
		if wanted[path] || st.obsolete {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE catalogue_items SET obsolete = ? WHERE resource_code = ? AND path = ?`, true, r.Code, path); err != nil {
			return false, fmt.Errorf("retire item %s: %w", path, err)
		}
		changed = true
	}
	return changed, nil
}

func (s *Store) UpdateCatalogueResource(ctx context.Context, code string, change func(*exchange.CatalogueResource) error) (*exchange.CatalogueResource, int64, error) {
	var (
		r   *exchange.CatalogueResource
		rev int64
	)
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var err error
		if r, err = getResource(ctx, tx, code, true); err != nil {
			return err
		}
		if err := change(r); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE catalogue_resources SET title = ?, provider_department = ?, summary = ?,
				format = ?, update_cycle = ?, sharing_method = ?, publish_time = ?, update_time = ?
			WHERE code = ?`,
			r.Title, r.Provider, r.Summary, r.Format, string(r.UpdateCycle), string(r.SharingMethod),
			timeText(r.PublishTime), timeText(r.UpdateTime), code); err != nil {
			return fmt.Errorf("update catalogue entry: %w", err)
		}
		for _, it := range r.Items {
			if _, err := tx.ExecContext(ctx, `UPDATE catalogue_items SET title = ?, sharing_class = ?, item_condition = ?, legal_basis = ?
				WHERE resource_code = ? AND path = ?`,
				it.Title, it.Class.String(), it.Condition, it.LegalBasis, code, it.Path); err != nil {
				return fmt.Errorf("update catalogue item %s: %w", it.Path, err)
			}
		}
		rev, err = bump(ctx, tx)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return r, rev, nil
}
