// Package economy is the industrial-economy base registry (工业经济基础数据库):
// the economic reports of the district's enterprises, one per enterprise
// and period (a year or a month), each belonging to an enterprise of the
// legal-entity registry. This package holds the domain — the Report, its
// period and its validation rules, exact decimal totals and year-on-year
// changes, and the application service that reads and writes reports
// through a Store it defines. The SQL store lives in sqlstore/, the gRPC
// handler in api/, the synthetic report generator in reportgen/; this
// package must never import any of them, nor gRPC or SQL, and must never
// do arithmetic on money in floating point.
//
// Choices a reader should know:
//
//   - A report is `enterprises/{uscc}/reports/{period}`; the period (2024 or
//     2024-06) is the id the client assigns. The enterprise must exist as
//     `legalEntities/{uscc}`, which is asked through a refs.Checker once the
//     request breaks no local rule. A year's report and its months are
//     separate reports and are never added together.
//   - A report is in effect from the start of its period in Beijing time.
//     Revised figures are corrections (what the registry knew changes, the
//     world does not), so `known_at` answers "what did we report then".
//   - The administrative division code is copied from the reporter's input
//     and checked for its shape only, so that totals by division need no
//     call to another registry and keep the division the enterprise had
//     when it reported.
//   - Reports have no names or text, so there is no search: every selection
//     is a structured filter on List.
//   - Totals add whole hundredths exactly; persons employed are a stock,
//     so over several periods each enterprise counts with its latest one.
//     The year-on-year base is the same range a year earlier; a change is
//     null when either side is missing, and its percent also when the base
//     is zero.
package economy
