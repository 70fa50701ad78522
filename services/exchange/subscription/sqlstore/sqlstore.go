// Package sqlstore keeps subscriptions, their deliveries and the delivery
// workers' leases in SQLite or PostgreSQL. It implements
// subscription.Store and nothing else: no validation, no authorisation, no
// HTTP.
//
// A lease is two columns of the subscription's row, taken and renewed with
// conditional UPDATEs; every write a worker makes is conditional on still
// holding it, so the same statements serialise workers on both dialects.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"time"

	"github.com/zhbase/zhbase/services/exchange/subscription"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/page"
	"github.com/zhbase/zhbase/services/kit/store"
)

//go:embed migrations
var migrations embed.FS

// Component names this store's migrations in schema_migrations.
const Component = "subscription"

// Store implements subscription.Store.
type Store struct {
	db *store.DB
}

var _ subscription.Store = (*Store)(nil)

// Open migrates db and returns the store over it.
func Open(ctx context.Context, db *store.DB) (*Store, error) {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx, db, Component, sub); err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

const columns = `id, department, registry, records, callback_uri, purpose, case_reference, end_time, start_kind,
	start_sequence, state, delivered_sequence, parked_reason, next_attempt_time, sealed_secret, create_time, update_time`

// formatTime stores t; the zero time is ”.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return store.FormatTime(t)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return store.ParseTime(s)
}

func encodeRecords(records []string) (string, error) {
	if records == nil {
		records = []string{}
	}
	b, err := json.Marshal(records)
	return string(b), err
}

func (s *Store) Create(ctx context.Context, sub *subscription.Subscription) error {
	records, err := encodeRecords(sub.Records)
	if err != nil {
		return fmt.Errorf("encode records: %w", err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO subscriptions (`+columns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sub.ID, sub.Department, sub.Registry, records, sub.CallbackURI, sub.Purpose, sub.CaseReference, formatTime(sub.EndTime), string(sub.Start),
		sub.StartSequence, string(sub.State), sub.DeliveredSequence, sub.ParkedReason, formatTime(sub.NextAttemptTime),
		base64.StdEncoding.EncodeToString(sub.SealedSecret), formatTime(sub.CreateTime), formatTime(sub.UpdateTime))
	if store.IsUniqueViolation(err) {
		return errs.AlreadyExists(subscription.ResourceName(sub.ID))
	}
	if err != nil {
		return fmt.Errorf("insert subscription: %w", err)
	}
	return nil
}

func scanSubscription(row interface{ Scan(...any) error }) (*subscription.Subscription, error) {
	var sub subscription.Subscription
	var records, endTime, start, state, next, sealed, created, updated string
	if err := row.Scan(&sub.ID, &sub.Department, &sub.Registry, &records, &sub.CallbackURI, &sub.Purpose, &sub.CaseReference, &endTime, &start,
		&sub.StartSequence, &state, &sub.DeliveredSequence, &sub.ParkedReason, &next, &sealed, &created, &updated); err != nil {
		return nil, err
	}
	sub.Start, sub.State = subscription.Start(start), subscription.State(state)
	if err := json.Unmarshal([]byte(records), &sub.Records); err != nil {
		return nil, fmt.Errorf("subscription %s: records: %w", sub.ID, err)
	}
	var err error
	if sub.SealedSecret, err = base64.StdEncoding.DecodeString(sealed); err != nil {
		return nil, fmt.Errorf("subscription %s: sealed secret: %w", sub.ID, err)
	}
	for _, t := range []struct {
		dst *time.Time
		src string
	}{{&sub.EndTime, endTime}, {&sub.NextAttemptTime, next}, {&sub.CreateTime, created}, {&sub.UpdateTime, updated}} {
		if *t.dst, err = parseTime(t.src); err != nil {
			return nil, fmt.Errorf("subscription %s: %w", sub.ID, err)
		}
	}
	return &sub, nil
}

func (s *Store) get(ctx context.Context, q store.Querier, id string, forUpdate bool) (*subscription.Subscription, error) {
	query := `SELECT ` + columns + ` FROM subscriptions WHERE id = ?`
	if forUpdate && q.Dialect() == store.Postgres {
		// SQLite's immediate transaction already holds the write lock.
		query += ` FOR UPDATE`
	}
	sub, err := scanSubscription(q.QueryRowContext(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.NotFound(subscription.ResourceName(id))
	}
	if err != nil {
		return nil, fmt.Errorf("read subscription %s: %w", id, err)
	}
	return sub, nil
}

func (s *Store) Get(ctx context.Context, id string) (*subscription.Subscription, error) {
	return s.get(ctx, s.db, id, false)
}

func (s *Store) List(ctx context.Context, q subscription.ListQuery) ([]*subscription.Subscription, string, error) {
	binding := "subscriptions\x00" + q.Department
	tok, err := page.Decode(binding, q.PageToken)
	if err != nil {
		return nil, "", err
	}
	where, args := `1 = 1`, []any{}
	if q.Department != "" {
		where, args = `department = ?`, append(args, q.Department)
	}
	if len(tok.After) == 1 {
		where, args = where+` AND id > ?`, append(args, tok.After[0])
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+columns+` FROM subscriptions WHERE `+where+` ORDER BY id LIMIT ?`, append(args, q.PageSize+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list subscriptions: %w", err)
	}
	defer rows.Close()
	var out []*subscription.Subscription
	for rows.Next() {
		sub, err := scanSubscription(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list subscriptions: %w", err)
	}
	next := ""
	if len(out) > q.PageSize {
		out = out[:q.PageSize]
		next = page.Encode(binding, page.Token{After: []string{out[len(out)-1].ID}})
	}
	return out, next, nil
}

func (s *Store) Update(ctx context.Context, id string, change func(*subscription.Subscription) error) (*subscription.Subscription, error) {
	var out *subscription.Subscription
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		sub, err := s.get(ctx, tx, id, true)
		if err != nil {
			return err
		}
		was := sub.State
		if err := change(sub); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET state = ?, parked_reason = ?, sealed_secret = ?,
			next_attempt_time = ?, update_time = ? WHERE id = ?`,
			string(sub.State), sub.ParkedReason, base64.StdEncoding.EncodeToString(sub.SealedSecret),
			formatTime(sub.NextAttemptTime), formatTime(sub.UpdateTime), id); err != nil {
			return fmt.Errorf("update subscription %s: %w", id, err)
		}
		if was == subscription.StateParked && sub.State == subscription.StateActive {
			if _, err := tx.ExecContext(ctx, `UPDATE subscription_deliveries SET state = ?, attempts = 0, next_attempt_time = ''
				WHERE subscription_id = ? AND state = ?`, string(subscription.DeliveryPending), id, string(subscription.DeliveryParked)); err != nil {
				return fmt.Errorf("re-arm the parked delivery of %s: %w", id, err)
			}
		}
		out = sub
		return nil
	})
	return out, err
}

const deliveryColumns = `subscription_id, sequence, state, attempts, last_status_code, last_error,
	last_attempt_time, next_attempt_time, delivered_time`

func scanDelivery(row interface{ Scan(...any) error }) (*subscription.Delivery, error) {
	var d subscription.Delivery
	var state, last, next, delivered string
	if err := row.Scan(&d.SubscriptionID, &d.Sequence, &state, &d.Attempts, &d.LastStatusCode, &d.LastError, &last, &next, &delivered); err != nil {
		return nil, err
	}
	d.State = subscription.DeliveryState(state)
	var err error
	for _, t := range []struct {
		dst *time.Time
		src string
	}{{&d.LastAttemptTime, last}, {&d.NextAttemptTime, next}, {&d.DeliveredTime, delivered}} {
		if *t.dst, err = parseTime(t.src); err != nil {
			return nil, fmt.Errorf("delivery %s:%d: %w", d.SubscriptionID, d.Sequence, err)
		}
	}
	return &d, nil
}

func (s *Store) Deliveries(ctx context.Context, q subscription.DeliveryQuery) ([]*subscription.Delivery, string, error) {
	binding := "deliveries\x00" + q.SubscriptionID
	tok, err := page.Decode(binding, q.PageToken)
	if err != nil {
		return nil, "", err
	}
	where, args := `subscription_id = ?`, []any{q.SubscriptionID}
	if len(tok.After) == 1 {
		before, err := strconv.ParseInt(tok.After[0], 10, 64)
		if err != nil {
			return nil, "", errs.Field("page_token", "is not a page token of these deliveries")
		}
		where, args = where+` AND sequence < ?`, append(args, before)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM subscription_deliveries WHERE `+where+`
		ORDER BY sequence DESC LIMIT ?`, append(args, q.PageSize+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	var out []*subscription.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list deliveries: %w", err)
	}
	next := ""
	if len(out) > q.PageSize {
		out = out[:q.PageSize]
		next = page.Encode(binding, page.Token{After: []string{strconv.FormatInt(out[len(out)-1].Sequence, 10)}})
	}
	return out, next, nil
}

func (s *Store) EndExpired(ctx context.Context, now time.Time) (int, error) {
	at := store.FormatTime(now)
	r, err := s.db.ExecContext(ctx, `UPDATE subscriptions SET state = ?, next_attempt_time = '', update_time = ?
		WHERE state IN (?, ?) AND end_time <> '' AND end_time <= ?`,
		string(subscription.StateEnded), at, string(subscription.StateActive), string(subscription.StateParked), at)
	if err != nil {
		return 0, fmt.Errorf("end expired subscriptions: %w", err)
	}
	n, err := r.RowsAffected()
	return int(n), err
}

func (s *Store) Due(ctx context.Context, worker string, now time.Time, limit int) ([]string, error) {
	at := store.FormatTime(now)
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM subscriptions
		WHERE state = ? AND next_attempt_time <= ? AND (end_time = '' OR end_time > ?) AND (lease_until < ? OR lease_owner = ?)
		ORDER BY next_attempt_time, id LIMIT ?`,
		string(subscription.StateActive), at, at, at, worker, limit)
	if err != nil {
		return nil, fmt.Errorf("find due subscriptions: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

func (s *Store) Claim(ctx context.Context, id, worker string, now, until time.Time) (bool, error) {
	r, err := s.db.ExecContext(ctx, `UPDATE subscriptions SET lease_owner = ?, lease_until = ?
		WHERE id = ? AND state = ? AND (lease_owner = ? OR lease_until < ?)`,
		worker, store.FormatTime(until), id, string(subscription.StateActive), worker, store.FormatTime(now))
	if err != nil {
		return false, fmt.Errorf("claim subscription %s: %w", id, err)
	}
	n, err := r.RowsAffected()
	return n == 1, err
}

func (s *Store) Release(ctx context.Context, id, worker string, nextLook time.Time) error {
	next := formatTime(nextLook)
	if _, err := s.db.ExecContext(ctx, `UPDATE subscriptions SET lease_owner = '', lease_until = '',
		next_attempt_time = CASE WHEN next_attempt_time < ? THEN ? ELSE next_attempt_time END
		WHERE id = ? AND lease_owner = ?`, next, next, id, worker); err != nil {
		return fmt.Errorf("release subscription %s: %w", id, err)
	}
	return nil
}

// affected turns "no row matched the lease condition" into ErrLeaseLost.
func affected(r sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := r.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return subscription.ErrLeaseLost
	}
	return nil
}

func (s *Store) BeginAttempt(ctx context.Context, id, worker string, sequence int64, now, until time.Time) (*subscription.Subscription, *subscription.Delivery, error) {
	var sub *subscription.Subscription
	var d *subscription.Delivery
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		at := store.FormatTime(now)
		if err := affected(tx.ExecContext(ctx, `UPDATE subscriptions SET lease_until = ?
			WHERE id = ? AND lease_owner = ? AND state = ? AND (end_time = '' OR end_time > ?) AND delivered_sequence < ?`,
			store.FormatTime(until), id, worker, string(subscription.StateActive), at, sequence)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO subscription_deliveries (`+deliveryColumns+`)
			VALUES (?, ?, ?, 0, 0, '', '', '', '') ON CONFLICT (subscription_id, sequence) DO NOTHING`,
			id, sequence, string(subscription.DeliveryPending)); err != nil {
			return fmt.Errorf("record delivery %s:%d: %w", id, sequence, err)
		}
		var err error
		if sub, err = s.get(ctx, tx, id, false); err != nil {
			return err
		}
		d, err = scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM subscription_deliveries
			WHERE subscription_id = ? AND sequence = ?`, id, sequence))
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return sub, d, nil
}

func (s *Store) Advance(ctx context.Context, id, worker string, to int64) error {
	err := affected(s.db.ExecContext(ctx, `UPDATE subscriptions SET delivered_sequence = ?
		WHERE id = ? AND lease_owner = ? AND delivered_sequence < ?`, to, id, worker, to))
	if err != nil && !errors.Is(err, subscription.ErrLeaseLost) {
		return fmt.Errorf("advance subscription %s to %d: %w", id, to, err)
	}
	return err
}

func (s *Store) RecordAttempt(ctx context.Context, id, worker string, a subscription.Attempt) error {
	return s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var err error
		delivered := ""
		switch a.Outcome {
		case subscription.DeliveryDelivered:
			delivered = store.FormatTime(a.Finished)
			set, args := `delivered_sequence = ?, next_attempt_time = ''`, []any{a.Sequence}
			if a.Records != nil {
				records, err := encodeRecords(a.Records)
				if err != nil {
					return fmt.Errorf("encode records: %w", err)
				}
				set, args = set+`, records = ?`, append(args, records)
			}
			err = affected(tx.ExecContext(ctx, `UPDATE subscriptions SET `+set+`
				WHERE id = ? AND lease_owner = ? AND delivered_sequence < ?`, append(args, id, worker, a.Sequence)...))
		case subscription.DeliveryFailed:
			err = affected(tx.ExecContext(ctx, `UPDATE subscriptions SET next_attempt_time = ?
				WHERE id = ? AND lease_owner = ? AND state = ?`,
				store.FormatTime(a.NextAttempt), id, worker, string(subscription.StateActive)))
		case subscription.DeliveryParked:
			err = affected(tx.ExecContext(ctx, `UPDATE subscriptions SET state = ?, parked_reason = ?, next_attempt_time = '', update_time = ?
				WHERE id = ? AND lease_owner = ? AND state = ?`,
				string(subscription.StateParked), a.ParkedReason, store.FormatTime(a.Finished), id, worker, string(subscription.StateActive)))
		default:
			return fmt.Errorf("record attempt of %s:%d: outcome %q is not an end of an attempt", id, a.Sequence, a.Outcome)
		}
		if err != nil {
			return err
		}
		r, err := tx.ExecContext(ctx, `UPDATE subscription_deliveries SET state = ?, attempts = attempts + 1,
			last_status_code = ?, last_error = ?, last_attempt_time = ?, next_attempt_time = ?, delivered_time = ?
			WHERE subscription_id = ? AND sequence = ?`,
			string(a.Outcome), a.StatusCode, a.Error, formatTime(a.Started), formatTime(a.NextAttempt), delivered, id, a.Sequence)
		if err != nil {
			return fmt.Errorf("record attempt of %s:%d: %w", id, a.Sequence, err)
		}
		if n, err := r.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("record attempt of %s:%d: no attempt was begun (%v)", id, a.Sequence, err)
		}
		return nil
	})
}
