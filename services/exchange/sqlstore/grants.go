package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/zhbase/zhbase/services/exchange"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/filter"
	"github.com/zhbase/zhbase/services/kit/store"
)

const grantColumns = `g.id, g.applicant, g.applicant_application, g.resource_code, g.items, g.purpose, g.legal_basis,
	g.divisions, g.start_time, g.expire_time, g.state, g.decision_department, g.decision_principal, g.decision_time,
	g.decision_reason, g.revocation_department, g.revocation_principal, g.revocation_time, g.revocation_reason,
	g.create_time, r.provider_department`

// grantFrom joins each grant to its entry, whose provider decides on it.
const grantFrom = ` FROM grants g JOIN catalogue_resources r ON r.code = g.resource_code`

func scanGrant(row scanner) (*exchange.Grant, error) {
	var g exchange.Grant
	var items, divisions, start, expire, state, decided, revoked, created string
	if err := row.Scan(&g.ID, &g.Applicant, &g.ApplicantApplication, &g.Resource, &items, &g.Purpose, &g.LegalBasis,
		&divisions, &start, &expire, &state, &g.Decision.Department, &g.Decision.Principal, &decided,
		&g.Decision.Reason, &g.Revocation.Department, &g.Revocation.Principal, &revoked, &g.Revocation.Reason,
		&created, &g.Provider); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(items), &g.Items); err != nil {
		return nil, fmt.Errorf("grant %s: stored items: %w", g.ID, err)
	}
	if err := json.Unmarshal([]byte(divisions), &g.Divisions); err != nil {
		return nil, fmt.Errorf("grant %s: stored divisions: %w", g.ID, err)
	}
	var p timeParser
	g.StartTime, g.ExpireTime, g.CreateTime = p.parse(start), p.parse(expire), p.parse(created)
	g.Decision.Time, g.Revocation.Time = p.parse(decided), p.parse(revoked)
	g.State = exchange.GrantState(state)
	return &g, p.err
}

// jsonList stores a list of text as a JSON array, [] when empty.
func jsonList(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v) // a []string always marshals
	return string(b)
}

func (s *Store) CreateGrant(ctx context.Context, g *exchange.Grant, check func(*exchange.CatalogueResource, *exchange.Department) error) (int64, error) {
	var rev int64
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		// The entry stays locked until the grant is stored, so that its
		// items cannot be reclassified between the check and the insert.
		r, err := getResource(ctx, tx, g.Resource, true)
		if errors.Is(err, errs.ErrNotFound) {
			r, err = nil, nil
		}
		if err != nil {
			return err
		}
		applicant, err := getDepartment(ctx, tx, g.Applicant, false)
		if errors.Is(err, errs.ErrNotFound) {
			applicant, err = nil, nil
		}
		if err != nil {
			return err
		}
		if err := check(r, applicant); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO grants (id, applicant, applicant_application, resource_code, items, purpose,
				legal_basis, divisions, start_time, expire_time, state, decision_department, decision_principal, decision_time,
				decision_reason, revocation_department, revocation_principal, revocation_time, revocation_reason, create_time)
			VALUES `+store.Placeholders(20),
			g.ID, g.Applicant, g.ApplicantApplication, g.Resource, jsonList(g.Items), g.Purpose,
			g.LegalBasis, jsonList(g.Divisions), timeText(g.StartTime), timeText(g.ExpireTime), string(g.State),
			g.Decision.Department, g.Decision.Principal, timeText(g.Decision.Time), g.Decision.Reason,
			g.Revocation.Department, g.Revocation.Principal, timeText(g.Revocation.Time), g.Revocation.Reason,
			timeText(g.CreateTime))
		if store.IsUniqueViolation(err) {
			return errs.AlreadyExists(exchange.GrantName(g.ID))
		}
		if err != nil {
			return fmt.Errorf("insert grant: %w", err)
		}
		rev, err = bump(ctx, tx)
		return err
	})
	return rev, err
}

func getGrant(ctx context.Context, q store.Querier, id string, lock bool) (*exchange.Grant, error) {
	query := `SELECT ` + grantColumns + grantFrom + ` WHERE g.id = ?`
	if lock {
		query += forUpdate(q)
	}
	g, err := scanGrant(q.QueryRowContext(ctx, query, id))
	if err != nil {
		return nil, notFound(err, exchange.GrantName(id))
	}
	return g, nil
}

func (s *Store) GetGrant(ctx context.Context, id string) (*exchange.Grant, error) {
	return getGrant(ctx, s.db, id, false)
}

// grantState is the state as of the reader's clock (clock.now, the
// query's first argument): EXPIRED is never stored.
const grantState = `(CASE WHEN g.state IN ('PENDING', 'APPROVED') AND g.expire_time <= clock.now THEN 'EXPIRED' ELSE g.state END)`

var grantFilter = filter.Schema{
	"applicant":          {Column: `('departments/' || g.applicant)`, Kind: filter.String},
	"provider":           {Column: fmt.Sprintf(providerName, "r.provider_department"), Kind: filter.String},
	"catalogue_resource": {Column: `('catalogueResources/' || g.resource_code)`, Kind: filter.String},
	"state":              {Column: grantState, Kind: filter.Enum, Enum: filter.EnumValues(exchange.GrantStates), Prefix: "GRANT_STATE_"},
}

func (s *Store) ListGrants(ctx context.Context, q exchange.GrantQuery) (exchange.GrantPage, error) {
	l := listing{binding: "grants\x00" + q.VisibleTo + "\x00" + q.Filter, token: q.PageToken, size: q.PageSize, key: "g.id", desc: true}
	var conds []string
	args := []any{timeText(q.Now)}
	if q.VisibleTo != "" {
		conds = append(conds, "(g.applicant = ? OR r.provider_department = ?)")
		args = append(args, q.VisibleTo, q.VisibleTo)
	}
	conds, args, err := addFilter(grantFilter, q.Filter, conds, args)
	if err != nil {
		return exchange.GrantPage{}, err
	}
	if conds, args, err = l.where(conds, args); err != nil {
		return exchange.GrantPage{}, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+grantColumns+grantFrom+`
		CROSS JOIN (SELECT CAST(? AS TEXT) AS now) clock`+whereClause(conds)+l.tail(), args...)
	if err != nil {
		return exchange.GrantPage{}, fmt.Errorf("list grants: %w", err)
	}
	defer rows.Close()
	var out exchange.GrantPage
	for rows.Next() {
		g, err := scanGrant(rows)
		if err != nil {
			return exchange.GrantPage{}, fmt.Errorf("list grants: %w", err)
		}
		out.Grants = append(out.Grants, g)
	}
	if err := rows.Err(); err != nil {
		return exchange.GrantPage{}, fmt.Errorf("list grants: %w", err)
	}
	out.NextPageToken = l.next(len(out.Grants), func() string { return out.Grants[l.size-1].ID })
	out.Grants = out.Grants[:min(len(out.Grants), l.size)]
	return out, nil
}

func (s *Store) UpdateGrant(ctx context.Context, id string, change func(*exchange.Grant, *exchange.CatalogueResource) error) (*exchange.Grant, int64, error) {
	var (
		g   *exchange.Grant
		rev int64
	)
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		// The grant and its entry stay locked until the decision is stored,
		// so that two decisions on one grant, or a decision and a change of
		// the items' classes, are made one after the other.
		var err error
		if g, err = getGrant(ctx, tx, id, true); err != nil {
			return err
		}
		r, err := getResource(ctx, tx, g.Resource, false)
		if err != nil {
			return err
		}
		if err := change(g, r); err != nil {
			return err
		}
		g.Provider = r.Provider
		if _, err := tx.ExecContext(ctx, `UPDATE grants SET state = ?, decision_department = ?, decision_principal = ?,
				decision_time = ?, decision_reason = ?, revocation_department = ?, revocation_principal = ?,
				revocation_time = ?, revocation_reason = ?
			WHERE id = ?`,
			string(g.State), g.Decision.Department, g.Decision.Principal, timeText(g.Decision.Time), g.Decision.Reason,
			g.Revocation.Department, g.Revocation.Principal, timeText(g.Revocation.Time), g.Revocation.Reason, id); err != nil {
			return fmt.Errorf("update grant: %w", err)
		}
		rev, err = bump(ctx, tx)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return g, rev, nil
}

// Snapshot reads in one transaction, revision first: on PostgreSQL a
// change committed while it reads may show in the contents but not in the
// revision, so the policy is never older than its revision says, and the
// change's own revision bump makes readers fetch it again anyway.
func (s *Store) Snapshot(ctx context.Context, now time.Time) (*exchange.Snapshot, error) {
	var snap *exchange.Snapshot
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		snap = &exchange.Snapshot{}
		var err error
		if snap.Revision, err = revision(ctx, tx); err != nil {
			return err
		}
		if snap.Departments, err = allDepartments(ctx, tx); err != nil {
			return err
		}
		if snap.Resources, err = allResources(ctx, tx); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+grantColumns+grantFrom+`
			WHERE g.state = 'APPROVED' AND g.expire_time > ? ORDER BY g.id`, timeText(now))
		if err != nil {
			return fmt.Errorf("read live grants: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			g, err := scanGrant(rows)
			if err != nil {
				return fmt.Errorf("read live grants: %w", err)
			}
			snap.Grants = append(snap.Grants, g)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return snap, nil
}
