// Package addrtext reads and writes Chinese address text: it renders the
// canonical form of a standard address (浙江省宁波市镇海区骆驼街道某某路88号3幢2单元501室)
// and parses free text as people type it — abbreviated division names
// (宁波, 镇海, 骆驼), a missing province or city, full-width digits, 號 for
// 号, 栋 or 座 for 幢, Chinese numerals (八十八号), spaces and punctuation —
// into its components.
//
// Division names are recognised against a Gazetteer that the caller builds
// from the registry's divisions; this package knows no division itself, and
// it must stay free of storage and transport so that any registry holding
// addresses (population, buildings) can use it.
package addrtext
