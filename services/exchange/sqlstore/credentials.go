package sqlstore

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"

	"github.com/zhbase/zhbase/services/exchange"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/store"
)

const credentialColumns = `id, department, application, kind, create_time, issue_time, expire_time, secret_digest,
	previous_digest, previous_expire_time, revoke_time, creator`

func scanCredential(row scanner, more ...any) (*exchange.Credential, error) {
	var c exchange.Credential
	var kind, created, issued, expires, previousExpires, revoked string
	dest := append([]any{&c.ID, &c.Department, &c.Application, &kind, &created, &issued, &expires, &c.SecretDigest,
		&c.PreviousDigest, &previousExpires, &revoked, &c.Creator}, more...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	var p timeParser
	c.Kind = exchange.CredentialKind(kind)
	c.CreateTime, c.IssueTime, c.ExpireTime = p.parse(created), p.parse(issued), p.parse(expires)
	c.PreviousExpireTime, c.RevokeTime = p.parse(previousExpires), p.parse(revoked)
	return &c, p.err
}

func (s *Store) CreateCredential(ctx context.Context, c *exchange.Credential) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO credentials (`+credentialColumns+`) VALUES `+store.Placeholders(12),
		c.ID, c.Department, c.Application, string(c.Kind), timeText(c.CreateTime), timeText(c.IssueTime), timeText(c.ExpireTime),
		c.SecretDigest, c.PreviousDigest, timeText(c.PreviousExpireTime), timeText(c.RevokeTime), c.Creator)
	if store.IsUniqueViolation(err) {
		return errs.AlreadyExists(c.Name())
	}
	if err != nil {
		return fmt.Errorf("insert credential: %w", err)
	}
	return nil
}

func getCredential(ctx context.Context, q store.Querier, department, id string, lock bool) (*exchange.Credential, error) {
	query := `SELECT ` + credentialColumns + ` FROM credentials WHERE id = ? AND department = ?`
	if lock {
		query += forUpdate(q)
	}
	c, err := scanCredential(q.QueryRowContext(ctx, query, id, department))
	if err != nil {
		return nil, notFound(err, exchange.CredentialName(department, id))
	}
	return c, nil
}

func (s *Store) GetCredential(ctx context.Context, department, id string) (*exchange.Credential, error) {
	return getCredential(ctx, s.db, department, id, false)
}

func (s *Store) ListCredentials(ctx context.Context, department string, q exchange.ListQuery) (exchange.CredentialPage, error) {
	l := listing{binding: "credentials\x00" + department, token: q.PageToken, size: q.PageSize, key: "id"}
	conds, args, err := l.where([]string{"department = ?"}, []any{department})
	if err != nil {
		return exchange.CredentialPage{}, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+credentialColumns+` FROM credentials`+whereClause(conds)+l.tail(), args...)
	if err != nil {
		return exchange.CredentialPage{}, fmt.Errorf("list credentials: %w", err)
	}
	defer rows.Close()
	var out exchange.CredentialPage
	for rows.Next() {
		c, err := scanCredential(rows)
		if err != nil {
			return exchange.CredentialPage{}, fmt.Errorf("list credentials: %w", err)
		}
		out.Credentials = append(out.Credentials, c)
	}
	if err := rows.Err(); err != nil {
		return exchange.CredentialPage{}, fmt.Errorf("list credentials: %w", err)
	}
	out.NextPageToken = l.next(len(out.Credentials), func() string { return out.Credentials[l.size-1].ID })
	out.Credentials = out.Credentials[:min(len(out.Credentials), l.size)]
	return out, nil
}

func (s *Store) UpdateCredential(ctx context.Context, department, id string, change func(*exchange.Credential) error) (*exchange.Credential, error) {
	var c *exchange.Credential
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var err error
		if c, err = getCredential(ctx, tx, department, id, true); err != nil {
			return err
		}
		if err := change(c); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE credentials SET application = ?, issue_time = ?, expire_time = ?, secret_digest = ?,
				previous_digest = ?, previous_expire_time = ?, revoke_time = ?
			WHERE id = ?`,
			c.Application, timeText(c.IssueTime), timeText(c.ExpireTime), c.SecretDigest,
			c.PreviousDigest, timeText(c.PreviousExpireTime), timeText(c.RevokeTime), id)
		if err != nil {
			return fmt.Errorf("update credential: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (s *Store) LookupCredential(ctx context.Context, id string) (*exchange.Credential, *exchange.Department, error) {
	var (
		d                        exchange.Department
		status, created, updated string
	)
	row := s.db.QueryRowContext(ctx, `SELECT c.id, c.department, c.application, c.kind, c.create_time, c.issue_time,
			c.expire_time, c.secret_digest, c.previous_digest, c.previous_expire_time, c.revoke_time, c.creator,
			d.code, d.display_name, d.contact_person, d.contact_phone, d.contact_email, d.status, d.admin,
			d.rate_per_second, d.rate_burst, d.division, d.create_time, d.update_time
		FROM credentials c JOIN departments d ON d.code = c.department
		WHERE c.id = ?`, id)
	c, err := scanCredential(row, &d.Code, &d.DisplayName, &d.Contact.Person, &d.Contact.Phone, &d.Contact.Email, &status, &d.Admin,
		&d.RateLimit.RequestsPerSecond, &d.RateLimit.Burst, &d.Division, &created, &updated)
	if err != nil {
		return nil, nil, notFound(err, "credentials/"+id)
	}
	var p timeParser
	d.Status, d.CreateTime, d.UpdateTime = exchange.DepartmentStatus(status), p.parse(created), p.parse(updated)
	return c, &d, p.err
}

// ——— Signing keys ———

func (s *Store) SigningKeys(ctx context.Context) ([]*exchange.SigningKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, seed, create_time FROM signing_keys ORDER BY create_time DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("read signing keys: %w", err)
	}
	defer rows.Close()
	var out []*exchange.SigningKey
	for rows.Next() {
		var id, seed, created string
		if err := rows.Scan(&id, &seed, &created); err != nil {
			return nil, fmt.Errorf("read signing keys: %w", err)
		}
		raw, err := base64.StdEncoding.DecodeString(seed)
		if err != nil || len(raw) != ed25519.SeedSize {
			return nil, fmt.Errorf("signing key %s: stored seed is damaged", id)
		}
		var p timeParser
		k := &exchange.SigningKey{ID: id, Private: ed25519.NewKeyFromSeed(raw), CreateTime: p.parse(created)}
		if p.err != nil {
			return nil, p.err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

func (s *Store) AddSigningKey(ctx context.Context, k *exchange.SigningKey, onlyIfNone bool) (bool, error) {
	added := false
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		added = false
		if onlyIfNone {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM signing_keys`).Scan(&n); err != nil {
				return fmt.Errorf("count signing keys: %w", err)
			}
			if n > 0 {
				return nil
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO signing_keys (id, seed, create_time) VALUES (?, ?, ?)`,
			k.ID, base64.StdEncoding.EncodeToString(k.Private.Seed()), timeText(k.CreateTime))
		if store.IsUniqueViolation(err) {
			return errs.AlreadyExists(exchange.SigningKeyName(k.ID))
		}
		if err != nil {
			return fmt.Errorf("insert signing key: %w", err)
		}
		added = true
		return nil
	})
	return added, err
}

func (s *Store) DeleteSigningKey(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM signing_keys WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete signing key: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete signing key: %w", err)
	} else if n == 0 {
		return errs.NotFound(exchange.SigningKeyName(id))
	}
	return nil
}
