package demo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/zhbase/zhbase/services/exchange"
	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/authz"
	"github.com/zhbase/zhbase/services/kit/errs"
)

// Department is a demo member of the exchange platform.
type Department struct {
	Code, Name string
	// Provides lists the registries whose data the department provides
	// (and alone writes).
	Provides []string
	// Division is the area a subdistrict office serves.
	Division string
	Admin    bool
}

// AdminDepartment administers the platform: it admits departments,
// assigns providers and reads the audit log. It provides no data.
const AdminDepartment = "dsjj"

// Departments are Zhenhai's demo members.
var Departments = []Department{
	{Code: AdminDepartment, Name: "镇海区大数据发展管理局", Admin: true},
	{Code: "scjgj", Name: "镇海区市场监督管理局", Provides: []string{"legalentity"}},
	{Code: "gaj", Name: "宁波市公安局镇海分局", Provides: []string{"population"}},
	{Code: "zrzyj", Name: "宁波市自然资源和规划局镇海分局", Provides: []string{"spatial"}},
	{Code: "tjj", Name: "镇海区统计局", Provides: []string{"economy"}},
	{Code: "zjj", Name: "镇海区住房和城乡建设局", Provides: []string{"building"}},
	{Code: "czj", Name: "镇海区财政局"},
	{Code: "sthjj", Name: "宁波市生态环境局镇海分局"},
	{Code: "zbsjd", Name: "招宝山街道办事处", Division: "330211001000"},
	{Code: "jcjd", Name: "蛟川街道办事处", Division: "330211002000"},
}

// Provider returns the department providing registry.
func Provider(registry string) string {
	for _, d := range Departments {
		if slices.Contains(d.Provides, registry) {
			return d.Code
		}
	}
	return ""
}

// classes sets, per resource type, the default sharing class of its items
// and the exceptions, as Zhenhai's catalogue publishes them.
var classes = map[string]struct {
	def        authz.SharingClass
	except     map[string]authz.SharingClass
	cycle      exchange.UpdateCycle
	summary    string
	legalBasis string
}{
	"zhbase.legalentity.v1.LegalEntity": {
		def: authz.Unconditional, cycle: exchange.RealTime,
		summary: "在镇海区登记的企业、个体工商户、社会组织和机关事业单位的登记信息（依《企业信息公示暂行条例》公示的部分无条件共享）",
		except: map[string]authz.SharingClass{
			"legal_representative.id_number": authz.Conditional,
			"check_character_invalid":        authz.NotShared,
		},
		legalBasis: "内部质检标记，不属于登记事项",
	},
	"zhbase.population.v1.Person": {
		def: authz.Conditional, cycle: exchange.RealTime,
		summary:    "户籍人口基本信息，依《中华人民共和国个人信息保护法》按事由有条件共享",
		except:     map[string]authz.SharingClass{"phone": authz.NotShared},
		legalBasis: "《中华人民共和国个人信息保护法》第十三条、第三十四条：联系方式仅用于户籍管理",
	},
	"zhbase.population.v1.Household": {def: authz.Conditional, cycle: exchange.RealTime, summary: "户籍户信息"},
	"zhbase.spatial.v1.Division":     {def: authz.Unconditional, cycle: exchange.Yearly, summary: "GB/T 2260 行政区划及统计用区划代码"},
	"zhbase.spatial.v1.Address":      {def: authz.Unconditional, cycle: exchange.Daily, summary: "镇海区标准地址库"},
	"zhbase.spatial.v1.Feature":      {def: authz.Unconditional, cycle: exchange.Monthly, summary: "地理要素（道路、水系、地块等）"},
	"zhbase.economy.v1.Report": {
		def: authz.Conditional, cycle: exchange.Monthly,
		summary: "规模以上企业经营报表，依《中华人民共和国统计法》第二十五条对单个调查对象资料保密",
		except: map[string]authz.SharingClass{
			"uscc": authz.Unconditional, "legal_entity": authz.Unconditional, "period": authz.Unconditional,
			"period_type": authz.Unconditional, "industry_code": authz.Unconditional, "division_code": authz.Unconditional,
			"above_designated_size": authz.Unconditional, "taxes_paid": authz.NotShared,
		},
		legalBasis: "《中华人民共和国税收征收管理法》第八条：纳税人的税收违法行为以外的纳税信息保密",
	},
	"zhbase.building.v1.Building": {
		def: authz.Unconditional, cycle: exchange.Weekly,
		summary: "房屋建筑普查及安全鉴定信息",
		except: map[string]authz.SharingClass{
			"owners": authz.Conditional, "safety_rating": authz.Conditional, "safety_assessment_date": authz.Conditional,
		},
	},
}

// grants are the demo's approved grants: who may see which conditional
// items, for what, where.
var grants = []struct {
	applicant, resource, purpose string
	items, divisions             []string
	pending                      bool
}{
	{applicant: "czj", resource: "economy.Report", purpose: "企业财政奖补资格审核", items: []string{"revenue", "profit", "employees"}},
	{applicant: "sthjj", resource: "economy.Report", purpose: "重点用能单位能耗监测", items: []string{"energy_consumption", "output_value"}},
	{applicant: "scjgj", resource: "population.Person", purpose: "法定代表人身份核验", items: []string{"display_name", "former_names", "status", "status_date"}},
	{applicant: "tjj", resource: "legalentity.LegalEntity", purpose: "名录库法定代表人核对", items: []string{"legal_representative.id_number"}},
	{
		applicant: "zbsjd", resource: "population.Person", purpose: "辖区人口服务管理",
		items:     []string{"display_name", "former_names", "sex", "birth_date", "residence_address", "household", "relation", "status"},
		divisions: []string{"330211001000"},
	},
	{
		applicant: "jcjd", resource: "population.Person", purpose: "辖区人口服务管理",
		items:     []string{"display_name", "former_names", "sex", "birth_date", "residence_address", "household", "relation", "status"},
		divisions: []string{"330211002000"},
	},
	{applicant: "zjj", resource: "population.Person", purpose: "房屋权属人核对", items: []string{"display_name", "former_names", "status"}},
	{applicant: "sthjj", resource: "building.Building", purpose: "危险化学品企业周边建筑安全评估", items: []string{"safety_rating"}, pending: true},
}

// ProviderRateLimit is the providers' calls per second per process.
const ProviderRateLimit = 5000

// GrantYears is how long the demo grants run.
const GrantYears = 2

// SeedExchange admits the demo departments, publishes the demo catalogue,
// applies for and approves the demo grants, and issues each department an
// API key for its "demo" application. It returns the keys by department
// code. Departments, catalogue entries and grants that exist are left as
// they are; keys are issued anew.
func SeedExchange(ctx context.Context, svc *exchange.Service) (map[string]string, error) {
	if err := svc.EnsureAdmin(ctx, AdminDepartment, Departments[0].Name); err != nil {
		return nil, fmt.Errorf("admin department: %w", err)
	}
	admin := auth.NewContext(ctx, auth.Identity{Department: AdminDepartment, Admin: true})
	for _, d := range Departments[1:] {
		dep := &exchange.Department{
			Code: d.Code, DisplayName: d.Name, Status: exchange.DepartmentActive, Division: d.Division,
			Contact: exchange.Contact{Person: "数据专员", Email: d.Code + "@zh.gov.cn.example"},
		}
		if len(d.Provides) > 0 {
			// Providers push their data in bulk (the demo district itself);
			// members keep the platform's default limit.
			dep.RateLimit = exchange.RateLimit{RequestsPerSecond: ProviderRateLimit, Burst: 2 * ProviderRateLimit}
		}
		_, err := svc.CreateDepartment(admin, dep)
		if err != nil && !errors.Is(err, errs.ErrAlreadyExists) {
			return nil, fmt.Errorf("admit %s: %w", d.Code, err)
		}
	}
	catalogue, err := svc.Catalogue(admin)
	if err != nil {
		return nil, err
	}
	for _, r := range catalogue {
		c, ok := classes[r.ResourceType]
		if !ok || r.Provider != "" {
			continue
		}
		in := &exchange.CatalogueResource{
			Provider: Provider(r.Registry), Summary: c.summary, Format: "application/json (proto3 JSON), gRPC",
			UpdateCycle: c.cycle, SharingMethod: exchange.SharedByAPI,
		}
		for _, it := range r.Items {
			class := c.def
			if x, ok := c.except[it.Path]; ok {
				class = x
			}
			item := exchange.CatalogueItem{Path: it.Path, Class: class}
			switch class {
			case authz.Conditional:
				item.Condition = "提供事由、案件编号和经批准的共享申请"
			case authz.NotShared:
				item.LegalBasis = c.legalBasis
			}
			in.Items = append(in.Items, item)
		}
		if _, err := svc.UpdateCatalogueResource(admin, r.Code, in,
			[]string{"provider_department", "summary", "format", "update_cycle", "sharing_method", "items"}); err != nil {
			return nil, fmt.Errorf("publish catalogue resource %s: %w", r.Code, err)
		}
	}
	existing, err := svc.ListGrants(admin, exchange.ListQuery{PageSize: 1})
	if err != nil {
		return nil, err
	}
	if len(existing.Grants) == 0 {
		now := time.Now().UTC()
		for _, g := range grants {
			applicant := auth.NewContext(ctx, auth.Identity{Department: g.applicant, Application: "demo"})
			created, err := svc.CreateGrant(applicant, &exchange.Grant{
				Resource: g.resource, Items: g.items, Purpose: g.purpose, Divisions: g.divisions,
				StartTime: now, ExpireTime: now.AddDate(GrantYears, 0, 0),
			})
			if err != nil {
				return nil, fmt.Errorf("%s applies for %s: %w", g.applicant, g.resource, err)
			}
			if g.pending {
				continue
			}
			if _, err := svc.ApproveGrant(admin, created.ID, "演示数据"); err != nil {
				return nil, fmt.Errorf("approve %s: %w", created.ID, err)
			}
		}
	}
	keys := map[string]string{}
	for _, d := range Departments {
		own := auth.NewContext(ctx, auth.Identity{Department: d.Code, Admin: d.Admin})
		_, secret, err := svc.CreateCredential(own, d.Code, &exchange.Credential{Application: "demo", Kind: exchange.APIKey})
		if err != nil {
			return nil, fmt.Errorf("issue %s's API key: %w", d.Code, err)
		}
		keys[d.Code] = secret
	}
	return keys, nil
}
