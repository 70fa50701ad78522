package sqlstore

import (
	"context"
	"fmt"

	"github.com/zhbase/zhbase/services/exchange"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/filter"
	"github.com/zhbase/zhbase/services/kit/store"
)

const departmentColumns = `code, display_name, contact_person, contact_phone, contact_email, status, admin,
	rate_per_second, rate_burst, division, create_time, update_time`

func scanDepartment(row scanner) (*exchange.Department, error) {
	var d exchange.Department
	var status, created, updated string
	if err := row.Scan(&d.Code, &d.DisplayName, &d.Contact.Person, &d.Contact.Phone, &d.Contact.Email, &status, &d.Admin,
		&d.RateLimit.RequestsPerSecond, &d.RateLimit.Burst, &d.Division, &created, &updated); err != nil {
		return nil, err
	}
	var p timeParser
	d.Status, d.CreateTime, d.UpdateTime = exchange.DepartmentStatus(status), p.parse(created), p.parse(updated)
	return &d, p.err
}

func getDepartment(ctx context.Context, q store.Querier, code string, lock bool) (*exchange.Department, error) {
	query := `SELECT ` + departmentColumns + ` FROM departments WHERE code = ?`
	if lock {
		query += forUpdate(q)
	}
	d, err := scanDepartment(q.QueryRowContext(ctx, query, code))
	if err != nil {
		return nil, notFound(err, exchange.DepartmentName(code))
	}
	return d, nil
}

func (s *Store) CreateDepartment(ctx context.Context, d *exchange.Department) (int64, error) {
	var rev int64
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO departments (`+departmentColumns+`) VALUES `+store.Placeholders(12),
			d.Code, d.DisplayName, d.Contact.Person, d.Contact.Phone, d.Contact.Email, string(d.Status), d.Admin,
			d.RateLimit.RequestsPerSecond, d.RateLimit.Burst, d.Division, timeText(d.CreateTime), timeText(d.UpdateTime))
		if store.IsUniqueViolation(err) {
			return errs.AlreadyExists(exchange.DepartmentName(d.Code))
		}
		if err != nil {
			return fmt.Errorf("insert department: %w", err)
		}
		rev, err = bump(ctx, tx)
		return err
	})
	return rev, err
}

func (s *Store) GetDepartment(ctx context.Context, code string) (*exchange.Department, error) {
	return getDepartment(ctx, s.db, code, false)
}

var departmentFilter = filter.Schema{
	"status":   {Column: "status", Kind: filter.Enum, Enum: filter.EnumValues(exchange.DepartmentStatuses), Prefix: "DEPARTMENT_STATUS_"},
	"admin":    {Column: "admin", Kind: filter.Bool},
	"division": {Column: "division", Kind: filter.String},
	"code":     {Column: "code", Kind: filter.String},
}

func (s *Store) ListDepartments(ctx context.Context, q exchange.ListQuery) (exchange.DepartmentPage, error) {
	l := listing{binding: "departments\x00" + q.Filter, token: q.PageToken, size: q.PageSize, key: "code"}
	conds, args, err := addFilter(departmentFilter, q.Filter, nil, nil)
	if err != nil {
		return exchange.DepartmentPage{}, err
	}
	if conds, args, err = l.where(conds, args); err != nil {
		return exchange.DepartmentPage{}, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+departmentColumns+` FROM departments`+whereClause(conds)+l.tail(), args...)
	if err != nil {
		return exchange.DepartmentPage{}, fmt.Errorf("list departments: %w", err)
	}
	defer rows.Close()
	var out exchange.DepartmentPage
	for rows.Next() {
		d, err := scanDepartment(rows)
		if err != nil {
			return exchange.DepartmentPage{}, fmt.Errorf("list departments: %w", err)
		}
		out.Departments = append(out.Departments, d)
	}
	if err := rows.Err(); err != nil {
		return exchange.DepartmentPage{}, fmt.Errorf("list departments: %w", err)
	}
	out.NextPageToken = l.next(len(out.Departments), func() string { return out.Departments[l.size-1].Code })
	out.Departments = out.Departments[:min(len(out.Departments), l.size)]
	return out, nil
}

func (s *Store) UpdateDepartment(ctx context.Context, code string, change func(*exchange.Department) error) (*exchange.Department, int64, error) {
	var (
		d   *exchange.Department
		rev int64
	)
	err := s.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var err error
		if d, err = getDepartment(ctx, tx, code, true); err != nil {
			return err
		}
		if err := change(d); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE departments SET display_name = ?, contact_person = ?, contact_phone = ?,
				contact_email = ?, status = ?, admin = ?, rate_per_second = ?, rate_burst = ?, division = ?, update_time = ?
			WHERE code = ?`,
			d.DisplayName, d.Contact.Person, d.Contact.Phone, d.Contact.Email, string(d.Status), d.Admin,
			d.RateLimit.RequestsPerSecond, d.RateLimit.Burst, d.Division, timeText(d.UpdateTime), code); err != nil {
			return fmt.Errorf("update department: %w", err)
		}
		rev, err = bump(ctx, tx)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return d, rev, nil
}

func allDepartments(ctx context.Context, q store.Querier) ([]*exchange.Department, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+departmentColumns+` FROM departments ORDER BY code`)
	if err != nil {
		return nil, fmt.Errorf("read departments: %w", err)
	}
	defer rows.Close()
	var out []*exchange.Department
	for rows.Next() {
		d, err := scanDepartment(rows)
		if err != nil {
			return nil, fmt.Errorf("read departments: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
