package apiconv

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
)

func TestPointRefusesContradictionsAndBadTimestamps(t *testing.T) {
	past := timestamppb.New(time.Now().Add(-time.Hour))
	if _, err := Point(past, nil, false); err != nil {
		t.Fatalf("a past valid_at was refused: %v", err)
	}
	for name, call := range map[string]func() error{
		"current with valid_at": func() error { _, err := Point(past, nil, true); return err },
		"a timestamp out of range": func() error {
			_, err := Point(&timestamppb.Timestamp{Seconds: -1 << 62}, nil, false)
			return err
		},
	} {
		if err := call(); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}

func TestParseNameAndEtag(t *testing.T) {
	if id, err := ParseName("persons/330211", "persons", "name"); err != nil || id != "330211" {
		t.Fatalf("ParseName = %q, %v", id, err)
	}
	for _, bad := range []string{"", "persons/", "buildings/1", "persons/1/x"} {
		if _, err := ParseName(bad, "persons", "name"); !errors.Is(err, errs.ErrInvalid) {
			t.Errorf("ParseName(%q) = %v", bad, err)
		}
	}
	if r, err := ParseEtag("", "etag"); r != 0 || err != nil {
		t.Fatalf("empty etag = %d, %v", r, err)
	}
	if _, err := ParseEtag("W/x", "etag"); !errors.Is(err, errs.ErrInvalid) {
		t.Fatalf("bad etag accepted")
	}
}

func TestVersionInfoLeavesOpenEndsUnset(t *testing.T) {
	v := VersionInfo(history.Info{Version: 2, ValidFrom: time.Unix(100, 0), KnownFrom: time.Unix(200, 0), Action: history.Corrected, Sequence: 9})
	if v.GetValidTo() != nil || v.GetKnownTo() != nil || v.GetAction().String() != "CHANGE_ACTION_CORRECTED" {
		t.Fatalf("VersionInfo = %v", v)
	}
	if VersionInfo(history.Info{}) != nil {
		t.Fatal("a record without version info must have none")
	}
}
