package cluster

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	exchangev1 "github.com/zhbase/zhbase/proto/zhbase/exchange/v1"
	spatialv1 "github.com/zhbase/zhbase/proto/zhbase/spatial/v1"
	"github.com/zhbase/zhbase/services/audit"
	auditapi "github.com/zhbase/zhbase/services/audit/api"
	"github.com/zhbase/zhbase/services/audit/etcdanchor"
	auditstore "github.com/zhbase/zhbase/services/audit/sqlstore"
	"github.com/zhbase/zhbase/services/exchange"
	exchangeapi "github.com/zhbase/zhbase/services/exchange/api"
	exchangestore "github.com/zhbase/zhbase/services/exchange/sqlstore"
	"github.com/zhbase/zhbase/services/exchange/subscription"
	subscriptionapi "github.com/zhbase/zhbase/services/exchange/subscription/api"
	subscriptionstore "github.com/zhbase/zhbase/services/exchange/subscription/sqlstore"
	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/authz"
	"github.com/zhbase/zhbase/services/kit/discovery"
	"github.com/zhbase/zhbase/services/kit/mtls"
	"github.com/zhbase/zhbase/services/kit/page"
)

// credentialCacheTTL is how long a checked API key or token is trusted
// without asking the exchange again; a revocation takes effect within it.
const credentialCacheTTL = 5 * time.Second

// ReadClusterKey reads the deployment's shared secret: 64 hex digits (or
// at least 32 raw bytes).
func ReadClusterKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cluster key: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if k, err := hex.DecodeString(s); err == nil && len(k) >= auth.MinKeySize {
		return k, nil
	}
	if len(s) < auth.MinKeySize {
		return nil, fmt.Errorf("cluster key %s: must hold at least %d bytes (64 hex digits)", path, auth.MinKeySize)
	}
	return []byte(s), nil
}

// EnsureClusterKey creates a new random cluster key at path unless one
// exists; zhbase up uses it for its single-machine deployment.
func EnsureClusterKey(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(hex.EncodeToString(k)+"\n"), 0o600)
}

func (p *Process) startAuth(context.Context) (func(context.Context) error, error) {
	if p.cfg.GenerateClusterKey {
		if err := os.MkdirAll(filepath.Dir(p.cfg.ClusterKeyFile), 0o750); err != nil {
			return nil, err
		}
		if err := EnsureClusterKey(p.cfg.ClusterKeyFile); err != nil {
			return nil, fmt.Errorf("create cluster key: %w", err)
		}
	}
	key, err := ReadClusterKey(p.cfg.ClusterKeyFile)
	if err != nil {
		return nil, err
	}
	if p.signer, err = auth.NewSigner(key); err != nil {
		return nil, err
	}
	// Page tokens are sealed with the cluster key, so that every replica
	// continues a page another one started, and nobody else reads them.
	page.SetKey(key)
	if p.cfg.TLS.Enabled() {
		if p.tls, err = mtls.Load(p.cfg.TLS); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// dialOptions are the options of every connection from this process to a
// service: mutual TLS when configured, and principal's own identity on
// calls that carry no caller's.
func (p *Process) dialOptions(principal string) discovery.DialOptions {
	o := discovery.DialOptions{}
	if p.tls != nil {
		o.Creds = p.tls.Client
	}
	if principal != "" {
		o.Extra = []grpc.DialOption{grpc.WithPerRPCCredentials(auth.ServiceCredentials(p.signer, principal))}
	}
	return o
}

// startConnections dials, through etcd, every service this process may
// call: registries (reference checks, division lookups, subscription
// feeds) and the exchange (credentials and the access policy).
func (p *Process) startConnections(context.Context) (func(context.Context) error, error) {
	p.conns = map[string]*grpc.ClientConn{}
	closeAll := func(context.Context) error {
		var errs []error
		for _, c := range p.conns {
			errs = append(errs, c.Close())
		}
		return errors.Join(errs...)
	}
	for _, r := range registries {
		o := p.dialOptions("references")
		o.ProtoServices = []string{r.protoService}
		conn, err := discovery.Dial(p.cli, r.name, o)
		if err != nil {
			_ = closeAll(context.Background())
			return nil, err
		}
		p.conns[r.name] = conn
	}
	o := p.dialOptions("access")
	o.ProtoServices = []string{exchangeapi.ServiceName}
	conn, err := discovery.Dial(p.cli, ExchangeTarget, o)
	if err != nil {
		_ = closeAll(context.Background())
		return nil, err
	}
	p.conns[ExchangeTarget] = conn
	p.authn = auth.NewCache(exchangeAuthenticator{exchangev1.NewExchangeServiceClient(conn)}, credentialCacheTTL)
	return closeAll, nil
}

// startPolicy keeps the access policy current in the background.
func (p *Process) startPolicy(context.Context) (func(context.Context) error, error) {
	p.policy = newPolicyWatcher(exchangev1.NewExchangeServiceClient(p.conns[ExchangeTarget]), p.cli, p.log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.policy.run(ctx)
	}()
	return func(context.Context) error { cancel(); <-done; return nil }, nil
}

// startAuditLog opens this process's chain of the audit log.
func (p *Process) startAuditLog(ctx context.Context) (func(context.Context) error, error) {
	db, err := p.openDB(ctx, AuditTarget)
	if err != nil {
		return nil, err
	}
	st, err := auditstore.Open(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	chain := p.cfg.AuditChain
	if chain == "" {
		chain = defaultChain(p.cfg)
	}
	l, err := audit.Open(ctx, st, audit.Options{
		Chain: chain, Anchor: etcdanchor.New(p.cli), AnchorInterval: p.cfg.AuditAnchorInterval,
		Retention: p.cfg.AuditRetention, Logger: p.log,
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("audit log: %w", err)
	}
	p.auditLog, p.auditDB, p.auditSt = l, db, st
	return func(context.Context) error { return errors.Join(l.Close(), db.Close()) }, nil
}

// defaultChain names a process's audit chain after its host and gRPC
// port, which stay the same across restarts.
func defaultChain(cfg Config) string {
	host, _ := os.Hostname()
	_, port, _ := net.SplitHostPort(cfg.GRPCListen)
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, host)
	if name == "" {
		name = "zhbase"
	}
	return name + ":" + port
}

func (p *Process) startAuditService(context.Context) (func(context.Context) error, error) {
	auditapi.Register(p.srv, audit.NewService(p.auditSt, etcdanchor.New(p.cli)))
	return nil, nil
}

// startExchange opens the exchange's database and serves the exchange and
// subscription services, with the delivery worker running.
func (p *Process) startExchange(ctx context.Context) (func(context.Context) error, error) {
	db, err := p.openDB(ctx, ExchangeTarget)
	if err != nil {
		return nil, err
	}
	st, err := exchangestore.Open(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	methods, err := authz.Methods(registryServices(), p.resources)
	if err != nil {
		db.Close()
		return nil, err
	}
	svc, err := exchange.New(ctx, st, exchange.Options{
		Resources: p.resources,
		Methods:   methods,
		OnPolicyChange: func(revision int64) {
			if err := bumpPolicyRevision(context.Background(), p.cli, revision); err != nil {
				p.log.Warn("policy change not signalled; registries reload within 30s", "error", err.Error())
			}
		},
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	exchangeapi.Register(p.srv, svc)
	p.exchange = svc
	if rev, err := svc.PolicyRevision(ctx); err == nil {
		_ = bumpPolicyRevision(ctx, p.cli, rev)
	}
	subst, err := subscriptionstore.Open(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	feed, err := newRegistryFeed(p.signer, p.conns)
	if err != nil {
		db.Close()
		return nil, err
	}
	subs, err := subscription.New(subst, subscription.Options{
		Feed: feed, Registries: subscription.DefaultRegistries,
		SealingKey: p.derivedKey("subscription-secrets"), WorkerID: p.auditLog.Chain(), Logger: p.log,
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	subscriptionapi.Register(p.srv, subs)
	subs.Start()
	return func(ctx context.Context) error { return errors.Join(subs.Stop(ctx), db.Close()) }, nil
}

// derivedKey is a key for one purpose derived from the cluster key, so
// that no two uses share a key.
func (p *Process) derivedKey(purpose string) []byte {
	h := sha256.New()
	h.Write([]byte("zhbase:" + purpose + ":"))
	h.Write(p.signer.Key())
	return h.Sum(nil)
}

// Exchange is the exchange service when this process runs it, for the
// demo seeding of zhbase up.
func (p *Process) Exchange() *exchange.Service { return p.exchange }

// Signer signs identities with the cluster key, for in-process tools.
func (p *Process) Signer() *auth.Signer { return p.signer }

// WaitPolicy waits until this process enforces an access policy of at
// least revision.
func (p *Process) WaitPolicy(ctx context.Context, revision int64) error {
	for {
		if cur, err := p.policy.Current(); err == nil && cur.Revision >= revision {
			return nil
		}
		p.policy.Refresh()
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for access policy revision %d: %w", revision, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// divisionCache tells the division of an address from the spatial
// registry, remembering answers for a while: addresses rarely move between
// divisions, and a division-scoped grant checks one per person returned.
type divisionCache struct {
	client spatialv1.SpatialServiceClient
	mu     sync.Mutex
	byName map[string]cachedDivision
}

type cachedDivision struct {
	code    string
	expires time.Time
}

const (
	divisionCacheTTL  = 10 * time.Minute
	divisionCacheSize = 200_000
)

func newDivisionCache(conn *grpc.ClientConn) *divisionCache {
	return &divisionCache{client: spatialv1.NewSpatialServiceClient(conn), byName: map[string]cachedDivision{}}
}

var divisionOnly = &fieldmaskpb.FieldMask{Paths: []string{"division"}}

func (c *divisionCache) addressDivision(ctx context.Context, name string) (string, error) {
	if name == "" {
		return "", nil
	}
	now := time.Now()
	c.mu.Lock()
	d, ok := c.byName[name]
	c.mu.Unlock()
	if ok && now.Before(d.expires) {
		return d.code, nil
	}
	a, err := c.client.GetAddress(ctx, &spatialv1.GetAddressRequest{Name: name, ReadMask: divisionOnly})
	if err != nil {
		return "", err
	}
	code := strings.TrimPrefix(a.GetDivision(), "divisions/")
	c.mu.Lock()
	if len(c.byName) >= divisionCacheSize {
		clear(c.byName)
	}
	c.byName[name] = cachedDivision{code: code, expires: now.Add(divisionCacheTTL)}
	c.mu.Unlock()
	return code, nil
}
