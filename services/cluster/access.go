package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	exchangev1 "github.com/zhbase/zhbase/proto/zhbase/exchange/v1"
	exchangeapi "github.com/zhbase/zhbase/services/exchange/api"
	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/authz"
	"github.com/zhbase/zhbase/services/kit/errs"
)

// PolicyRevisionKey is the etcd key the exchange service bumps after every
// change to departments, the catalogue or grants; registries watch it and
// reload the access policy.
// It lies outside zhbase/<service>/, where service discovery keeps the
// endpoints.
const PolicyRevisionKey = "zhbase-meta/policy-revision"

// policyRefresh is how often the policy is reloaded without a signal, in
// case a watch event was missed.
const policyRefresh = 30 * time.Second

// policyWatcher holds the latest access policy of the platform, loaded
// from the exchange service.
type policyWatcher struct {
	client exchangev1.ExchangeServiceClient
	etcd   *clientv3.Client
	log    *slog.Logger

	current atomic.Pointer[authz.Policy]
	lastErr atomic.Pointer[error]
	reload  chan struct{}
}

func newPolicyWatcher(c exchangev1.ExchangeServiceClient, etcd *clientv3.Client, log *slog.Logger) *policyWatcher {
	w := &policyWatcher{client: c, etcd: etcd, log: log, reload: make(chan struct{}, 1)}
	err := errors.New("the access policy has not been loaded from the exchange service yet")
	w.lastErr.Store(&err)
	return w
}

// Current implements authz.PolicySource.
func (w *policyWatcher) Current() (*authz.Policy, error) {
	if p := w.current.Load(); p != nil {
		return p, nil
	}
	return nil, *w.lastErr.Load()
}

// Refresh asks for a reload now.
func (w *policyWatcher) Refresh() {
	select {
	case w.reload <- struct{}{}:
	default:
	}
}

// run keeps the policy current until ctx ends: a reload on every change of
// the revision key, every policyRefresh, and retries with backoff while
// the exchange cannot be reached.
func (w *policyWatcher) run(ctx context.Context) {
	go func() {
		for ctx.Err() == nil {
			for range w.etcd.Watch(clientv3.WithRequireLeader(ctx), PolicyRevisionKey) {
				w.Refresh()
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
	backoff := 100 * time.Millisecond
	for {
		wait := policyRefresh
		if err := w.load(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			w.lastErr.Store(&err)
			if w.current.Load() != nil {
				w.log.Warn("access policy not reloaded; keeping the last one", "error", err.Error())
			}
			wait, backoff = backoff, min(2*backoff, 5*time.Second)
		} else {
			backoff = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return
		case <-w.reload:
		case <-time.After(wait):
		}
	}
}

func (w *policyWatcher) load(ctx context.Context) error {
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	resp, err := w.client.GetAccessPolicy(lctx, &exchangev1.GetAccessPolicyRequest{})
	if err != nil {
		return fmt.Errorf("load the access policy: %w", err)
	}
	if cur := w.current.Load(); cur != nil && cur.Revision > resp.GetRevision() {
		// An older answer (from a lagging replica) never replaces a newer one.
		return nil
	}
	w.current.Store(exchangeapi.PolicyFromProto(resp).Rules())
	return nil
}

// bumpPolicyRevision tells every registry to reload the policy.
func bumpPolicyRevision(ctx context.Context, etcd *clientv3.Client, revision int64) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := etcd.Put(ctx, PolicyRevisionKey, strconv.FormatInt(revision, 10))
	return err
}

// exchangeAuthenticator checks application credentials with the exchange
// service.
type exchangeAuthenticator struct {
	client exchangev1.ExchangeServiceClient
}

func (a exchangeAuthenticator) Authenticate(ctx context.Context, credential string) (auth.Identity, error) {
	resp, err := a.client.Authenticate(ctx, &exchangev1.AuthenticateRequest{Credential: credential})
	if err != nil {
		if status.Code(err) == codes.Unauthenticated {
			return auth.Identity{}, fmt.Errorf("%s: %w", status.Convert(err).Message(), errs.ErrUnauthenticated)
		}
		return auth.Identity{}, err
	}
	return auth.Identity{
		Department: resp.GetDepartment(), Application: resp.GetApplication(),
		Credential: resp.GetCredential(), Admin: resp.GetAdmin(),
	}, nil
}
