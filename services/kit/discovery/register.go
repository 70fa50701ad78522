package discovery

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/naming/endpoints"
)

// Prefix is the etcd key prefix of every zhbase endpoint.
const Prefix = "zhbase/"

// Target is the etcd key prefix (and gRPC dial target path) of a service.
func Target(service string) string { return Prefix + service }

// Key is the etcd key of one endpoint of a service.
func Key(service, addr string) string { return Target(service) + "/" + addr }

// Registration keeps one endpoint registered until Deregister.
type Registration struct {
	cli     *clientv3.Client
	mgr     endpoints.Manager
	service string
	addr    string
	ttl     int64
	log     *slog.Logger

	cancel context.CancelFunc // stops the re-registration loop

	mu       sync.Mutex
	lease    clientv3.LeaseID
	kaCancel context.CancelFunc // stops the current lease's keep-alive
}

// Register puts service's endpoint addr into etcd under a lease of ttl
// seconds and keeps the lease alive. When the lease is lost (etcd restarted,
// a long network partition) it is granted again and the endpoint put back,
// with backoff, until Deregister.
func Register(ctx context.Context, cli *clientv3.Client, service, addr string, ttl time.Duration, log *slog.Logger) (*Registration, error) {
	mgr, err := endpoints.NewManager(cli, Target(service))
	if err != nil {
		return nil, fmt.Errorf("endpoint manager for %s: %w", service, err)
	}
	secs := int64(ttl / time.Second)
	if secs < 1 {
		secs = 1
	}
	r := &Registration{cli: cli, mgr: mgr, service: service, addr: addr, ttl: secs, log: log}
	ka, err := r.put(ctx)
	if err != nil {
		return nil, err
	}
	kctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go r.keepAlive(kctx, ka)
	return r, nil
}

// put grants a lease and writes the endpoint under it.
func (r *Registration) put(ctx context.Context) (<-chan *clientv3.LeaseKeepAliveResponse, error) {
	lease, err := r.cli.Grant(ctx, r.ttl)
	if err != nil {
		return nil, fmt.Errorf("grant lease for %s: %w", r.service, err)
	}
	if err := r.mgr.AddEndpoint(ctx, Key(r.service, r.addr), endpoints.Endpoint{Addr: r.addr}, clientv3.WithLease(lease.ID)); err != nil {
		return nil, fmt.Errorf("register %s at %s: %w", r.service, r.addr, err)
	}
	// KeepAlive's context must outlive ctx, which may be a start-up timeout.
	kctx, cancel := context.WithCancel(context.Background())
	ka, err := r.cli.KeepAlive(kctx, lease.ID)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("keep lease of %s alive: %w", r.service, err)
	}
	r.mu.Lock()
	old := r.kaCancel
	r.lease, r.kaCancel = lease.ID, cancel
	r.mu.Unlock()
	if old != nil {
		old()
	}
	return ka, nil
}

func (r *Registration) keepAlive(ctx context.Context, ka <-chan *clientv3.LeaseKeepAliveResponse) {
	backoff := 100 * time.Millisecond
	for {
		for range ka {
			// Drain responses; the channel closes when the lease is lost.
		}
		if ctx.Err() != nil {
			return
		}
		r.log.Warn("etcd lease lost; registering again", "service", r.service, "addr", r.addr)
		for {
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			next, err := r.put(pctx)
			cancel()
			if err == nil {
				ka = next
				backoff = 100 * time.Millisecond
				r.log.Info("registered again", "service", r.service, "addr", r.addr)
				break
			}
			if ctx.Err() != nil {
				return
			}
			r.log.Warn("register again failed", "service", r.service, "error", err.Error(), "retry_in", backoff.String())
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 10*time.Second)
		}
	}
}

// Deregister stops the keep-alive, deletes the endpoint and revokes the
// lease, so clients stop dialing this address at once instead of after the
// lease's TTL.
func (r *Registration) Deregister(ctx context.Context) error {
	r.cancel()
	r.mu.Lock()
	lease, kaCancel := r.lease, r.kaCancel
	r.mu.Unlock()
	kaCancel()
	err := r.mgr.DeleteEndpoint(ctx, Key(r.service, r.addr))
	if _, rerr := r.cli.Revoke(ctx, lease); err == nil && rerr != nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("deregister %s at %s: %w", r.service, r.addr, err)
	}
	return nil
}

// Abandon stops keeping the endpoint alive without deleting it, as a crashed
// process would: the key disappears only when its lease expires. Tests use
// it to show that a dead instance drops out of discovery by itself.
func (r *Registration) Abandon() {
	r.cancel()
	r.mu.Lock()
	kaCancel := r.kaCancel
	r.mu.Unlock()
	kaCancel()
}
