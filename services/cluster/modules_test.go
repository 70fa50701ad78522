package cluster

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestModulesStartInDependencyOrderAndStopInReverse(t *testing.T) {
	var events []string
	var m manager
	mod := func(name string, fail bool) func(context.Context) (func(context.Context) error, error) {
		return func(context.Context) (func(context.Context) error, error) {
			if fail {
				return nil, errors.New("boom")
			}
			events = append(events, "start "+name)
			return func(context.Context) error { events = append(events, "stop "+name); return nil }, nil
		}
	}
	m.add("etcd", nil, mod("etcd", false))
	m.add("server", nil, mod("server", false))
	m.add("registry", []string{"server", "etcd"}, mod("registry", false))
	m.add("gateway", []string{"etcd"}, mod("gateway", false))
	m.add("http", []string{"registry", "gateway"}, mod("http", false))
	if err := m.startAll(context.Background(), []string{"http"}); err != nil {
		t.Fatal(err)
	}
	if err := m.stopAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Dependencies first, visited in name order so that the order is the same on every run.
	want := []string{"start etcd", "start gateway", "start server", "start registry", "start http",
		"stop http", "stop registry", "stop server", "stop gateway", "stop etcd"}
	if !reflect.DeepEqual(events, want) {
		t.Fatalf("events = %v\nwant %v", events, want)
	}

	t.Run("a failed start stops what had started", func(t *testing.T) {
		events = nil
		var m manager
		m.add("a", nil, mod("a", false))
		m.add("b", []string{"a"}, mod("b", true))
		err := m.startAll(context.Background(), []string{"b"})
		if err == nil || !strings.Contains(err.Error(), "start b: boom") {
			t.Fatalf("err = %v", err)
		}
		if !reflect.DeepEqual(events, []string{"start a", "stop a"}) {
			t.Fatalf("events = %v", events)
		}
	})

	t.Run("a cycle is refused", func(t *testing.T) {
		var m manager
		m.add("a", []string{"b"}, mod("a", false))
		m.add("b", []string{"a"}, mod("b", false))
		if _, err := m.order([]string{"a"}); err == nil || !strings.Contains(err.Error(), "cycle") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestAllExpandsToEveryTarget(t *testing.T) {
	got := expand([]string{"legalentity", "all"})
	if !reflect.DeepEqual(got, AllTargets()) {
		t.Fatalf("expand = %v, want %v", got, AllTargets())
	}
}
