// Package apiconv holds the conversions every registry's gRPC handler needs
// between API messages and kit types: time-travel parameters, version info
// and change actions, etags, resource names. Handlers stay thin by calling
// these instead of writing their own; nothing here holds business rules.
package apiconv

import (
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	typev1 "github.com/zhbase/zhbase/proto/zhbase/type/v1"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/history"
)

// Point turns a read request's valid_at, known_at and current fields into
// a history point, refusing invalid timestamps and contradictions.
func Point(validAt, knownAt *timestamppb.Timestamp, current bool) (history.Point, error) {
	var v errs.Violations
	if validAt != nil {
		v.Check("valid_at", validAt.CheckValid())
	}
	if knownAt != nil {
		v.Check("known_at", knownAt.CheckValid())
	}
	if err := v.Err(); err != nil {
		return history.Point{}, err
	}
	return history.NewPoint(Time(validAt), Time(knownAt), current, time.Now())
}

// Time is ts as a time, zero when ts is unset.
func Time(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

// Timestamp is t as a timestamp, unset when t is zero.
func Timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// Action is a change action as its API enum.
func Action(a history.Action) typev1.ChangeAction {
	return typev1.ChangeAction(typev1.ChangeAction_value["CHANGE_ACTION_"+string(a)])
}

// VersionInfo is a version's place in both times as its API message, nil
// for a record read without version information.
func VersionInfo(v history.Info) *typev1.VersionInfo {
	if v.Version == 0 {
		return nil
	}
	return &typev1.VersionInfo{
		Version: v.Version, ValidFrom: Timestamp(v.ValidFrom), ValidTo: Timestamp(v.ValidTo),
		KnownFrom: Timestamp(v.KnownFrom), KnownTo: Timestamp(v.KnownTo),
		Action: Action(v.Action), Sequence: v.Sequence,
	}
}

// Etag renders a revision as an etag.
func Etag(revision int64) string { return strconv.FormatInt(revision, 10) }

// ParseEtag reads an etag sent back by a client; "" means no check (0).
func ParseEtag(etag, field string) (int64, error) {
	if etag == "" {
		return 0, nil
	}
	revision, err := strconv.ParseInt(etag, 10, 64)
	if err != nil || revision <= 0 {
		return 0, errs.Field(field, "is not an etag this registry issued")
	}
	return revision, nil
}

// ParseName extracts the id from a resource name `collection/{id}`,
// naming field in the error.
func ParseName(name, collection, field string) (string, error) {
	id, ok := strings.CutPrefix(name, collection+"/")
	if !ok || id == "" || strings.Contains(id, "/") {
		return "", errs.Field(field, "must look like %s/{id}, got %q", collection, name)
	}
	return id, nil
}

// Name is the resource name of id in collection, "" for an empty id.
func Name(collection, id string) string {
	if id == "" {
		return ""
	}
	return collection + "/" + id
}
