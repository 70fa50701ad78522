package economy

import (
	"time"

	"github.com/zhbase/zhbase/services/kit/history"
)

// Report is an enterprise's economic report for one period (企业经济报表).
// Figures are decimal strings in CNY (energy in tonnes of standard coal)
// with two fraction digits; an empty optional figure was not reported,
// which is not the same as zero.
type Report struct {
	USCC   string `json:"uscc"`
	Period string `json:"period"`
	// IndustryCode is the GB/T 4754-2017 code, at least to the division.
	IndustryCode string `json:"industry_code"`
	// DivisionCode is the administrative division the enterprise reported
	// from, copied from the input so reports can be totalled by division.
	DivisionCode string `json:"division_code,omitempty"`
	// OutputValue is the gross industrial output value (工业总产值).
	OutputValue string `json:"output_value,omitempty"`
	// Revenue is operating revenue (营业收入); required.
	Revenue string `json:"revenue"`
	// Profit is total profit (利润总额), negative for a loss; required.
	Profit string `json:"profit"`
	// TaxesPaid is 实缴税金.
	TaxesPaid string `json:"taxes_paid,omitempty"`
	// Employees is persons employed at the end of the period (从业人员).
	Employees int64 `json:"employees"`
	// EnergyConsumption is 综合能源消费量 in tonnes of standard coal.
	EnergyConsumption string `json:"energy_consumption,omitempty"`
	// RDSpending is R&D spending (R&D经费支出).
	RDSpending string `json:"rd_spending,omitempty"`
	// AboveDesignatedSize marks an enterprise above designated size (规上).
	AboveDesignatedSize bool      `json:"above_designated_size"`
	CreateTime          time.Time `json:"create_time"`
	UpdateTime          time.Time `json:"update_time"`
	// Revision counts writes; the API shows it as the etag.
	Revision int64 `json:"revision"`

	// What a read found out besides the document; never stored in it.
	Retired bool         `json:"-"`
	Version history.Info `json:"-"`
}

// Key identifies a report: the enterprise and the period.
type Key struct {
	USCC   string
	Period string
}

// Key is the report's identifier.
func (r *Report) Key() Key { return Key{USCC: r.USCC, Period: r.Period} }

// PeriodType is whether the report covers a year or a month.
func (r *Report) PeriodType() PeriodType { return typeOf(r.Period) }

// Name is the API resource name of the report.
func (k Key) Name() string { return EnterpriseName(k.USCC) + "/reports/" + k.Period }

// EnterpriseName is the parent resource name of an enterprise's reports.
func EnterpriseName(uscc string) string { return "enterprises/" + uscc }

// LegalEntityName is the enterprise in the legal-entity registry, which
// every report refers to.
func LegalEntityName(uscc string) string { return "legalEntities/" + uscc }
