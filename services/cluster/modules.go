package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
)

// module is one startable part of a process. start returns the function
// that stops it; modules stop in the reverse of their start order.
type module struct {
	deps  []string
	start func(ctx context.Context) (stop func(context.Context) error, err error)
}

// manager starts a set of modules in dependency order.
type manager struct {
	modules map[string]*module
	stops   []func(context.Context) error
	names   []string
}

func (m *manager) add(name string, deps []string, start func(ctx context.Context) (func(context.Context) error, error)) {
	if m.modules == nil {
		m.modules = map[string]*module{}
	}
	m.modules[name] = &module{deps: deps, start: start}
}

// order returns the modules needed by targets, dependencies first.
func (m *manager) order(targets []string) ([]string, error) {
	var out []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string, []string) error
	visit = func(n string, path []string) error {
		mod, ok := m.modules[n]
		if !ok {
			return fmt.Errorf("unknown module %q", n)
		}
		switch state[n] {
		case 1:
			return fmt.Errorf("dependency cycle: %v", append(path, n))
		case 2:
			return nil
		}
		state[n] = 1
		deps := slices.Clone(mod.deps)
		sort.Strings(deps)
		for _, d := range deps {
			if err := visit(d, append(path, n)); err != nil {
				return err
			}
		}
		state[n] = 2
		out = append(out, n)
		return nil
	}
	for _, t := range targets {
		if err := visit(t, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// startAll starts the modules needed by targets; on failure it stops what
// had started and returns the error.
func (m *manager) startAll(ctx context.Context, targets []string) error {
	order, err := m.order(targets)
	if err != nil {
		return err
	}
	for _, n := range order {
		stop, err := m.modules[n].start(ctx)
		if err != nil {
			return errors.Join(fmt.Errorf("start %s: %w", n, err), m.stopAll(context.Background()))
		}
		if stop != nil {
			m.stops = append(m.stops, stop)
			m.names = append(m.names, n)
		}
	}
	return nil
}

// stopAll stops every started module in reverse order.
func (m *manager) stopAll(ctx context.Context) error {
	var errs []error
	for i := len(m.stops) - 1; i >= 0; i-- {
		if err := m.stops[i](ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", m.names[i], err))
		}
	}
	m.stops, m.names = nil, nil
	return errors.Join(errs...)
}
