package standard

import "time"

// ChinaTime is China Standard Time (UTC+8), in which every date the
// registries record is written: birth dates in ID numbers, establishment and
// status dates, report periods. China has had no daylight saving since 1991,
// so a fixed zone is exact and needs no time-zone database on the host.
var ChinaTime = time.FixedZone("CST", 8*3600)

// ChinaDate is the calendar date in China at t, as midnight UTC like the
// dates ParseDate returns: a registration made at 07:00 in Ningbo is dated
// today there even while it is still yesterday in UTC.
func ChinaDate(t time.Time) time.Time {
	y, m, d := t.In(ChinaTime).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
