package main

import (
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
)

// profiler takes the CPU profile that -cpuprofile asks for: of the
// measured phase (not the warm-up) of the first read target whose name
// contains target, or of the whole run when target is empty. Clients and
// servers share the process, so the profile holds both sides of a call.
type profiler struct {
	f      *os.File
	target string
	taken  bool
}

// newProfiler creates the profile's file up front, so that a bad path
// fails the run before any measurement; nil when path is empty.
func newProfiler(path, target string) (*profiler, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	return &profiler{f: f, target: target}, nil
}

// wholeRun reports whether the profile covers the whole run.
func (p *profiler) wholeRun() bool { return p != nil && p.target == "" }

// start begins the whole run's profile.
func (p *profiler) start() error {
	p.taken = true
	return pprof.StartCPUProfile(p.f)
}

// around runs measured, profiling it when name is the first target that
// matches.
func (p *profiler) around(name string, measured func()) error {
	if p == nil || p.target == "" || p.taken || !strings.Contains(name, p.target) {
		measured()
		return nil
	}
	if err := p.start(); err != nil {
		measured()
		return err
	}
	measured()
	pprof.StopCPUProfile()
	return nil
}

// close stops a profile still running and closes its file; it fails when
// the target never matched, which would leave an empty file.
func (p *profiler) close() error {
	if p == nil {
		return nil
	}
	if p.wholeRun() {
		pprof.StopCPUProfile()
	}
	err := p.f.Close()
	if err == nil && !p.taken {
		err = fmt.Errorf("-cpuprofile-target %q matched no read target: nothing was profiled", p.target)
	}
	return err
}
