package exchange

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/kit/authz"
	"github.com/zhbase/zhbase/services/kit/check"
	"github.com/zhbase/zhbase/services/kit/errs"
)

// UpdateCycle is how often a resource's data is brought up to date (更新周期).
type UpdateCycle string

const (
	RealTime  UpdateCycle = "REAL_TIME"
	Daily     UpdateCycle = "DAILY"
	Weekly    UpdateCycle = "WEEKLY"
	Monthly   UpdateCycle = "MONTHLY"
	Quarterly UpdateCycle = "QUARTERLY"
	Yearly    UpdateCycle = "YEARLY"
)

// SharingMethod is how a resource is shared (共享方式).
type SharingMethod string

const (
	// SharedByAPI: calls to the registry's API (接口).
	SharedByAPI SharingMethod = "API"
	// SharedByFeed: subscriptions to its change feed (订阅).
	SharedByFeed SharingMethod = "FEED"
	// SharedByFile: file downloads (文件).
	SharedByFile SharingMethod = "FILE"
)

// Default catalogue text for what nobody has catalogued yet. An item
// nobody has classified is not shared: sharing must be decided, never
// assumed.
const (
	UncataloguedLegalBasis = "未编目，默认不予共享"
)

// CatalogueResource is a catalogue entry (资源目录条目): one resource type
// of one registry with its data items and how each is shared.
type CatalogueResource struct {
	// Code is {registry}.{Message}, e.g. population.Person; the entry's
	// name is catalogueResources/{Code}.
	Code string
	// Registry and ResourceType come from the registry's description
	// (authz.Resource) and never change.
	Registry     string
	ResourceType string
	// Title is the resource's name (资源名称).
	Title string
	// Provider is the code of the department that provides the data
	// (提供单位); empty until an admin assigns one.
	Provider      string
	Summary       string
	Format        string
	UpdateCycle   UpdateCycle
	SharingMethod SharingMethod
	// PublishTime is when the entry was first given a provider (发布日期).
	PublishTime time.Time
	// Items are the data items in the resource's field order.
	Items      []CatalogueItem
	UpdateTime time.Time
}

// CatalogueItem is one data item (数据项) of a catalogue entry.
type CatalogueItem struct {
	// Path is the field's proto name, or parent.child for split fields.
	Path  string
	Title string
	Class authz.SharingClass
	// Condition is what an applicant must show (共享条件), for
	// conditional items.
	Condition string
	// LegalBasis is the law that forbids sharing (不予共享依据), for items
	// not shared.
	LegalBasis string
	// Personal marks personal information (个人信息); it comes from the
	// registry's description, never from the catalogue's editors.
	Personal bool
	// Obsolete marks an item whose field the resource no longer has. It is
	// kept so that the catalogue's history and old grants still read, but
	// it is never shared, granted or put in the access policy; should the
	// field come back, the item comes back with its old classification.
	Obsolete bool
}

// CatalogueName is the resource name of a catalogue entry.
func CatalogueName(code string) string { return "catalogueResources/" + code }

// CatalogueCode is the code of the entry describing r: the registry and
// the message's short name, e.g. population.Person.
func CatalogueCode(r authz.Resource) string { return r.Registry + "." + string(r.Type.Name()) }

// Item returns the item at path, or nil.
func (r *CatalogueResource) Item(path string) *CatalogueItem {
	for i := range r.Items {
		if r.Items[i].Path == path {
			return &r.Items[i]
		}
	}
	return nil
}

// ParseSharingClass reads a sharing class's name as authz.SharingClass
// prints it.
func ParseSharingClass(s string) (authz.SharingClass, bool) {
	for _, c := range []authz.SharingClass{authz.NotShared, authz.Conditional, authz.Unconditional} {
		if c.String() == s {
			return c, true
		}
	}
	return authz.NotShared, false
}

// catalogueEntry is the entry a registry's description calls for when
// nobody has catalogued it yet: its title, every item not shared for want
// of a classification, and no provider.
func catalogueEntry(r authz.Resource) *CatalogueResource {
	e := &CatalogueResource{
		Code: CatalogueCode(r), Registry: r.Registry, ResourceType: string(r.Type), Title: r.Title,
	}
	for _, it := range r.Items() {
		e.Items = append(e.Items, CatalogueItem{
			Path: it.Path, Title: it.Path, Class: authz.NotShared, LegalBasis: UncataloguedLegalBasis, Personal: it.Personal,
		})
	}
	return e
}

// Field limits of catalogue entries.
const (
	maxTitle     = 100
	maxSummary   = 2000
	maxFormat    = 100
	maxCondition = 1000
)

// validate checks the entry as it would be stored. Violations of items are
// reported under the index the item had in the request (itemField), so
// that the caller can find the line to fix; the reason names the path.
func (r *CatalogueResource) validate(itemField map[string]string) error {
	const prefix = "catalogue_resource."
	var v errs.Violations
	check.Text(&v, prefix+"title", r.Title, true, maxTitle)
	check.MultilineText(&v, prefix+"summary", r.Summary, false, maxSummary)
	check.Text(&v, prefix+"format", r.Format, false, maxFormat)
	switch r.UpdateCycle {
	case "", RealTime, Daily, Weekly, Monthly, Quarterly, Yearly:
	default:
		v.Add(prefix+"update_cycle", "unknown update cycle %q", r.UpdateCycle)
	}
	switch r.SharingMethod {
	case "", SharedByAPI, SharedByFeed, SharedByFile:
	default:
		v.Add(prefix+"sharing_method", "unknown sharing method %q", r.SharingMethod)
	}
	for _, it := range r.Items {
		field, ok := itemField[it.Path]
		if !ok {
			continue // unchanged by this write; it was valid when written
		}
		check.Text(&v, field+".title", it.Title, true, maxTitle)
		check.MultilineText(&v, field+".condition", it.Condition, false, maxCondition)
		check.MultilineText(&v, field+".legal_basis", it.LegalBasis, false, maxCondition)
		switch it.Class {
		case authz.Conditional:
			if strings.TrimSpace(it.Condition) == "" {
				v.Add(field+".condition", "is required for the CONDITIONAL item %s: say what an applicant must show", it.Path)
			}
		case authz.NotShared:
			if strings.TrimSpace(it.LegalBasis) == "" {
				v.Add(field+".legal_basis", "is required for the NOT_SHARED item %s: cite the law or regulation that forbids sharing it", it.Path)
			}
		}
	}
	return v.Err()
}

// catalogueUpdatable maps each updatable API field path of an entry (bar
// items, which are merged by path) to how it is copied.
var catalogueUpdatable = map[string]func(dst, src *CatalogueResource){
	"title":               func(d, s *CatalogueResource) { d.Title = s.Title },
	"provider_department": func(d, s *CatalogueResource) { d.Provider = s.Provider },
	"summary":             func(d, s *CatalogueResource) { d.Summary = s.Summary },
	"format":              func(d, s *CatalogueResource) { d.Format = s.Format },
	"update_cycle":        func(d, s *CatalogueResource) { d.UpdateCycle = s.UpdateCycle },
	"sharing_method":      func(d, s *CatalogueResource) { d.SharingMethod = s.SharingMethod },
}

// CatalogueCSVHeader is the header row of the CSV export.
var CatalogueCSVHeader = []string{
	"resource_code", "resource_title", "registry", "resource_type", "provider_department", "summary", "format",
	"update_cycle", "sharing_method", "publish_time", "item_path", "item_title", "sharing_class", "condition",
	"legal_basis", "personal", "obsolete",
}

// utf8BOM makes spreadsheet programs read the file as UTF-8 rather than
// the local ANSI code page, which garbles Chinese text.
const utf8BOM = "\uFEFF"

// CatalogueCSV renders entries as CSV: a header row, then one row per data
// item carrying its resource's metadata, UTF-8 with a byte order mark.
func CatalogueCSV(entries []*CatalogueResource) []byte {
	var b bytes.Buffer
	b.WriteString(utf8BOM)
	w := csv.NewWriter(&b)
	w.UseCRLF = true // what spreadsheet programs write and expect
	_ = w.Write(CatalogueCSVHeader)
	for _, r := range entries {
		provider, published := "", ""
		if r.Provider != "" {
			provider = DepartmentName(r.Provider)
		}
		if !r.PublishTime.IsZero() {
			published = r.PublishTime.UTC().Format(time.RFC3339)
		}
		for _, it := range r.Items {
			_ = w.Write([]string{
				r.Code, cell(r.Title), r.Registry, r.ResourceType, provider, cell(r.Summary), cell(r.Format),
				string(r.UpdateCycle), string(r.SharingMethod), published,
				it.Path, cell(it.Title), it.Class.String(), cell(it.Condition), cell(it.LegalBasis),
				strconv.FormatBool(it.Personal), strconv.FormatBool(it.Obsolete),
			})
		}
	}
	w.Flush()
	return b.Bytes() // writes to a bytes.Buffer cannot fail
}

// cell defuses text that a spreadsheet would run as a formula (CSV
// injection): the catalogue's free text is written by departments and
// opened by other departments' clerks.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
