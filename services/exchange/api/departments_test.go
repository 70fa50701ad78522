package api_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	exchangev1 "github.com/zhbase/zhbase/proto/zhbase/exchange/v1"
	"github.com/zhbase/zhbase/services/kit/auth"
)

func TestOnboarding(t *testing.T) {
	e := newEnv(t)
	t.Run("an admin admits a department, which starts active", func(t *testing.T) {
		d, err := e.c.CreateDepartment(as(admin), &exchangev1.CreateDepartmentRequest{Department: &exchangev1.Department{
			Code: "zhjd-jcs", DisplayName: "招宝山街道办事处", Division: "330211001000",
			Contact:   &exchangev1.Contact{Person: "陈晓燕", Phone: "13805741234", Email: "chenxy@zh.gov.cn"},
			RateLimit: &exchangev1.RateLimit{RequestsPerSecond: 10, Burst: 20},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if d.GetName() != "departments/zhjd-jcs" || d.GetStatus() != exchangev1.DepartmentStatus_DEPARTMENT_STATUS_ACTIVE || d.GetAdmin() || d.GetCreateTime() == nil {
			t.Fatalf("admitted = %v", d)
		}
		got, err := e.c.GetDepartment(as(mzj), &exchangev1.GetDepartmentRequest{Name: "departments/zhjd-jcs"})
		if err != nil || got.GetContact().GetPhone() != "13805741234" || got.GetDivision() != "330211001000" {
			t.Fatalf("any member reads it: %v, %v", got, err)
		}
	})
	t.Run("any authenticated caller lists the departments by code", func(t *testing.T) {
		resp, err := e.c.ListDepartments(as(gateway), &exchangev1.ListDepartmentsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, d := range resp.GetDepartments() {
			codes = append(codes, d.GetCode())
		}
		if strings.Join(codes, " ") != "dsj gaj mzj scjgj zhjd-jcs" {
			t.Fatalf("codes = %v", codes)
		}
	})

	tests := []struct {
		name   string
		call   func() error
		code   codes.Code
		reason string
		fields []string
	}{
		{"a call without an identity is UNAUTHENTICATED", func() error {
			_, err := e.c.ListDepartments(ctx, &exchangev1.ListDepartmentsRequest{})
			return err
		}, codes.Unauthenticated, "UNAUTHENTICATED", nil},
		{"a department that is not admin cannot admit departments", func() error {
			_, err := e.c.CreateDepartment(as(gaj), &exchangev1.CreateDepartmentRequest{Department: &exchangev1.Department{Code: "new", DisplayName: "新部门"}})
			return err
		}, codes.PermissionDenied, "PERMISSION_DENIED", nil},
		{"a zhbase service cannot admit departments either", func() error {
			_, err := e.c.CreateDepartment(as(gateway), &exchangev1.CreateDepartmentRequest{Department: &exchangev1.Department{Code: "new", DisplayName: "新部门"}})
			return err
		}, codes.PermissionDenied, "PERMISSION_DENIED", nil},
		{"a code that is not a department code is refused naming it", func() error {
			_, err := e.c.CreateDepartment(as(admin), &exchangev1.CreateDepartmentRequest{Department: &exchangev1.Department{Code: "GAJ_1", DisplayName: "x"}})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"department.code"}},
		{"every bad field is named at once", func() error {
			_, err := e.c.CreateDepartment(as(admin), &exchangev1.CreateDepartmentRequest{Department: &exchangev1.Department{
				Code: "jtj", Division: "3302", Contact: &exchangev1.Contact{Phone: "12345", Email: "not an address"},
			}})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"department.display_name", "department.division", "department.contact.phone", "department.contact.email"}},
		{"admitting a code twice is ALREADY_EXISTS", func() error {
			_, err := e.c.CreateDepartment(as(admin), &exchangev1.CreateDepartmentRequest{Department: &exchangev1.Department{Code: "gaj", DisplayName: "again"}})
			return err
		}, codes.AlreadyExists, "ALREADY_EXISTS", nil},
		{"an unknown department is NOT_FOUND", func() error {
			_, err := e.c.GetDepartment(as(gaj), &exchangev1.GetDepartmentRequest{Name: "departments/nobody"})
			return err
		}, codes.NotFound, "NOT_FOUND", nil},
		{"only an admin changes a department, even its own", func() error {
			_, err := e.c.UpdateDepartment(as(gaj), &exchangev1.UpdateDepartmentRequest{
				Department: &exchangev1.Department{Name: "departments/gaj", Admin: true}, UpdateMask: mask("admin"),
			})
			return err
		}, codes.PermissionDenied, "PERMISSION_DENIED", nil},
		{"the code cannot be changed", func() error {
			_, err := e.c.UpdateDepartment(as(admin), &exchangev1.UpdateDepartmentRequest{
				Department: &exchangev1.Department{Name: "departments/gaj", Code: "gaj2"}, UpdateMask: mask("code"),
			})
			return err
		}, codes.InvalidArgument, "INVALID_ARGUMENT", []string{"update_mask"}},
		{"an admin department cannot suspend itself", func() error {
			_, err := e.c.UpdateDepartment(as(admin), &exchangev1.UpdateDepartmentRequest{
				Department: &exchangev1.Department{Name: "departments/dsj", Status: exchangev1.DepartmentStatus_DEPARTMENT_STATUS_SUSPENDED}, UpdateMask: mask("status"),
			})
			return err
		}, codes.FailedPrecondition, "FAILED_PRECONDITION", nil},
		{"an admin department cannot drop its own admin flag", func() error {
			_, err := e.c.UpdateDepartment(as(admin), &exchangev1.UpdateDepartmentRequest{
				Department: &exchangev1.Department{Name: "departments/dsj"}, UpdateMask: mask("admin"),
			})
			return err
		}, codes.FailedPrecondition, "FAILED_PRECONDITION", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantRefusal(t, tt.call(), tt.code, tt.reason, tt.fields...) })
	}

	t.Run("a refusal says which rule refused", func(t *testing.T) {
		_, err := e.c.CreateDepartment(as(gaj), &exchangev1.CreateDepartmentRequest{Department: &exchangev1.Department{Code: "new", DisplayName: "新部门"}})
		if msg := status.Convert(err).Message(); !strings.Contains(msg, "only an admin department may admit departments") {
			t.Fatalf("message = %q", msg)
		}
	})
	t.Run("an update changes the masked fields only", func(t *testing.T) {
		d, err := e.c.UpdateDepartment(as(admin), &exchangev1.UpdateDepartmentRequest{
			Department: &exchangev1.Department{
				Name: "departments/gaj", DisplayName: "ignored",
				RateLimit: &exchangev1.RateLimit{RequestsPerSecond: 50, Burst: 100}, Contact: &exchangev1.Contact{Person: "周强"},
			},
			UpdateMask: mask("rateLimit", "contact.person"),
		})
		if err != nil {
			t.Fatal(err)
		}
		if d.GetDisplayName() != "宁波市公安局镇海分局" || d.GetRateLimit().GetRequestsPerSecond() != 50 || d.GetContact().GetPerson() != "周强" {
			t.Fatalf("updated = %v", d)
		}
	})
	t.Run("EnsureAdmin is idempotent and brings a suspended admin department back", func(t *testing.T) {
		other := auth.Identity{Department: "gaj", Admin: true}
		if _, err := e.c.UpdateDepartment(as(other), &exchangev1.UpdateDepartmentRequest{
			Department: &exchangev1.Department{Name: "departments/dsj", Admin: true, Status: exchangev1.DepartmentStatus_DEPARTMENT_STATUS_SUSPENDED},
			UpdateMask: mask("status"),
		}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := e.svc.EnsureAdmin(ctx, "dsj", "镇海区大数据发展管理局"); err != nil {
				t.Fatal(err)
			}
		}
		d, err := e.c.GetDepartment(as(gaj), &exchangev1.GetDepartmentRequest{Name: "departments/dsj"})
		if err != nil || !d.GetAdmin() || d.GetStatus() != exchangev1.DepartmentStatus_DEPARTMENT_STATUS_ACTIVE {
			t.Fatalf("after EnsureAdmin: %v, %v", d, err)
		}
	})
}
