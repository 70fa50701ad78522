package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"

	"github.com/zhbase/zhbase/services/spatial"
	spatialdemo "github.com/zhbase/zhbase/services/spatial/demo"
)

// GeocodeLatency is the reverse-geocoding measurement: the load of the
// demo addresses, then ReverseGeocode at random points, in-process.
type GeocodeLatency struct {
	// Addresses were loaded by LoadWorkers goroutines in Load, after
	// Divisions divisions.
	Addresses, Divisions, LoadWorkers int
	Load                              time.Duration
	// Extent is the loaded addresses' bounding box, where the points are
	// drawn.
	Extent orb.Bound
	// K is the number of addresses asked for, MaxDistanceM how far the
	// service looks (its default).
	K            int
	MaxDistanceM float64
	// Single is one caller, Concurrent Workers callers.
	Single, Concurrent Result
	Workers            int
	// Answers counts the measured queries that succeeded, Full those that
	// found K addresses, Empty those that found none.
	Answers, Full, Empty int64
}

// Check fails when more than MaxErrorRate of the queries failed.
func (g GeocodeLatency) Check() error {
	return errors.Join(
		checkResult(GeocodeProtocol, Measurement{Name: "ReverseGeocode, 1 caller", Result: g.Single}),
		checkResult(GeocodeProtocol, Measurement{Name: "ReverseGeocode, " + callers(g.Workers), Result: g.Concurrent}),
	)
}

// GeocodeProtocol labels the reverse-geocoding rows: a Service call in
// this process, no gRPC.
const GeocodeProtocol = "geocode/in-process"

// LoadSpatialDemo loads a spatial demo base's divisions (parents first) and
// addresses through the spatial Service — its production write path, one
// transaction per address, as the API's CreateAddress does — the addresses
// from workers goroutines. It returns how many of each it created and the
// addresses' bounding box. logf reports progress.
func LoadSpatialDemo(ctx context.Context, svc *spatial.Service, base *spatialdemo.Base, workers int, logf func(string, ...any)) (divisions, addresses int, extent orb.Bound, err error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	extent = orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, d := range base.Divisions {
		cp := *d
		if _, err := svc.CreateDivision(ctx, &cp, spatial.CreateOptions{}); err != nil {
			return divisions, 0, extent, fmt.Errorf("load division %s: %w", d.Code, err)
		}
		divisions++
	}
	total := base.Options().Addresses
	step := max(total/10, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan *spatial.Address)
	var (
		mu    sync.Mutex
		first error
		done  atomic.Int64
		wg    sync.WaitGroup
	)
	start := time.Now()
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range next {
				if _, err := svc.CreateAddress(ctx, a, spatial.CreateOptions{ID: a.ID}); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("load address %s: %w", a.ID, err)
					}
					mu.Unlock()
					cancel()
					continue
				}
				if n := done.Add(1); n%int64(step) == 0 {
					took := time.Since(start)
					logf("addresses: loaded %d of %d in %s (%.0f/s)", n, total, took.Round(time.Second), float64(n)/took.Seconds())
				}
			}
		}()
	}
feed:
	for a := range base.Addresses() {
		extent = extent.Extend(a.Location.Point())
		select {
		case next <- a:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return divisions, int(done.Load()), extent, first
	}
	return divisions, int(done.Load()), extent, ctx.Err()
}

// RandomPoint is a point drawn uniformly inside extent.
func RandomPoint(rng *rand.Rand, extent orb.Bound) spatial.Location {
	return spatial.Location{
		Lon: extent.Min[0] + rng.Float64()*(extent.Max[0]-extent.Min[0]),
		Lat: extent.Min[1] + rng.Float64()*(extent.Max[1]-extent.Min[1]),
	}
}

// GeocodeCounter tallies the answers of reverse-geocoding queries.
type GeocodeCounter struct {
	answers, full, empty atomic.Int64
}

// ReverseGeocodeOp returns the op that asks svc for the k addresses
// nearest a random point of extent, within the service's default
// distance. It fails when the answer is not in order of distance, holds
// more than k addresses or one further than the distance asked; c, when
// set, counts the answers.
func ReverseGeocodeOp(svc *spatial.Service, extent orb.Bound, k int, c *GeocodeCounter) Op {
	return func(ctx context.Context, _ int, rng *rand.Rand) error {
		p := RandomPoint(rng, extent)
		found, err := svc.ReverseGeocode(ctx, spatial.ReverseQuery{Location: p, MaxResults: k})
		if err != nil {
			return err
		}
		if len(found) > k {
			return fmt.Errorf("reverse geocode at %v: %d addresses, asked for %d", p, len(found), k)
		}
		for i, l := range found {
			if l.Distance > spatial.DefaultReverseDistance || (i > 0 && l.Distance < found[i-1].Distance) {
				return fmt.Errorf("reverse geocode at %v: address %d at %.1f m is out of order or too far", p, i, l.Distance)
			}
		}
		if c != nil {
			c.answers.Add(1)
			switch len(found) {
			case k:
				c.full.Add(1)
			case 0:
				c.empty.Add(1)
			}
		}
		return nil
	}
}

// Counts returns the answers, those with k addresses and the empty ones.
func (c *GeocodeCounter) Counts() (answers, full, empty int64) {
	return c.answers.Load(), c.full.Load(), c.empty.Load()
}
