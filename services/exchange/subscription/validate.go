package subscription

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/zhbase/zhbase/services/kit/errs"
)

const fieldPrefix = "subscription."

// Limits of a subscription.
const (
	MaxCallbackURILen = 2048
	MaxRecords        = 1000
	MaxRecordLen      = 200
)

// normalize trims what a clerk may have pasted around the values and drops
// repeated records.
func (s *Subscription) normalize() {
	s.Registry = strings.TrimSpace(s.Registry)
	s.CallbackURI = strings.TrimSpace(s.CallbackURI)
	seen := make(map[string]bool, len(s.Records))
	records := make([]string, 0, len(s.Records))
	for _, r := range s.Records {
		r = strings.TrimSpace(r)
		if !seen[r] {
			seen[r] = true
			records = append(records, r)
		}
	}
	s.Records = records
	if s.Start == "" {
		s.Start = StartFromNow
	}
}

// validate checks a new subscription against the registries that have
// feeds, collecting every violation.
func (s *Subscription) validate(registries map[string]Registry, now time.Time) error {
	var v errs.Violations
	reg, known := registries[s.Registry]
	switch {
	case s.Registry == "":
		v.Add(fieldPrefix+"registry", "is required")
	case !known:
		v.Add(fieldPrefix+"registry", "unknown registry %q; subscribable registries are %s", s.Registry, strings.Join(registryNames(registries), ", "))
	}
	v.Check(fieldPrefix+"callback_uri", CheckCallbackURI(s.CallbackURI))
	if len(s.Records) > MaxRecords {
		v.Add(fieldPrefix+"records", "at most %d records, got %d", MaxRecords, len(s.Records))
	}
	for i, r := range s.Records {
		field := fmt.Sprintf("%srecords[%d]", fieldPrefix, i)
		switch {
		case r == "":
			v.Add(field, "must not be empty")
		case len(r) > MaxRecordLen:
			v.Add(field, "at most %d characters", MaxRecordLen)
		case known && len(reg.Collections) > 0 && !matchesAny(reg.Collections, r):
			v.Add(field, "%q is not a resource name of the %s registry (%s)", r, reg.Name, strings.Join(reg.Collections, ", "))
		}
	}
	if !s.EndTime.IsZero() && !s.EndTime.After(now) {
		v.Add(fieldPrefix+"end_time", "must be in the future")
	}
	switch s.Start {
	case StartFromNow:
		if s.StartSequence != 0 {
			v.Add(fieldPrefix+"after_sequence", "is only allowed with start AFTER_SEQUENCE")
		}
	case StartAfterSequence:
		if s.StartSequence < 0 {
			v.Add(fieldPrefix+"after_sequence", "must not be negative")
		}
	default:
		v.Add(fieldPrefix+"start", "unknown start %q", s.Start)
	}
	return v.Err()
}

// CheckCallbackURI reports why uri cannot receive deliveries: it must be an
// absolute http or https URL with a host, no user information (credentials
// in a URL end up in logs and proxies; authenticate with the signature) and
// no fragment, of at most MaxCallbackURILen characters.
func CheckCallbackURI(uri string) error {
	if uri == "" {
		return fmt.Errorf("is required")
	}
	if len(uri) > MaxCallbackURILen {
		return fmt.Errorf("at most %d characters, got %d", MaxCallbackURILen, len(uri))
	}
	u, err := url.Parse(uri)
	if err != nil {
		return fmt.Errorf("is not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("must be an http or https URL, got scheme %q", u.Scheme)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("must name a host")
	case u.User != nil:
		return fmt.Errorf("must not carry user information; the receiver authenticates deliveries by their signature")
	case u.Fragment != "" || strings.Contains(uri, "#"):
		return fmt.Errorf("must not have a fragment")
	}
	return nil
}

// matchesAny reports whether name matches one of the patterns, where `*`
// stands for one non-empty segment.
func matchesAny(patterns []string, name string) bool {
	segs := strings.Split(name, "/")
	for _, p := range patterns {
		ps := strings.Split(p, "/")
		if len(ps) != len(segs) {
			continue
		}
		ok := true
		for i := range ps {
			if segs[i] == "" || ps[i] != "*" && ps[i] != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func registryNames(registries map[string]Registry) []string {
	names := make([]string, 0, len(registries))
	for n := range registries {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
