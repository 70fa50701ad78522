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
	"google.golang.org/protobuf/reflect/protoreflect"

	exchangev1 "github.com/zhbase/zhbase/proto/zhbase/exchange/v1"
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
	w.current.Store(policyFromProto(resp))
	return nil
}

func policyFromProto(ap *exchangev1.AccessPolicy) *authz.Policy {
	p := &authz.Policy{
		Revision:    ap.GetRevision(),
		Departments: map[string]authz.Department{},
		Resources:   map[protoreflect.FullName]authz.ResourcePolicy{},
		Grants:      map[string][]authz.Grant{},
	}
	for _, d := range ap.GetDepartments() {
		p.Departments[d.GetCode()] = authz.Department{
			Code: d.GetCode(), Active: d.GetStatus() == exchangev1.DepartmentStatus_DEPARTMENT_STATUS_ACTIVE, Admin: d.GetAdmin(),
			RatePerSecond: float64(d.GetRateLimit().GetRequestsPerSecond()), Burst: int(d.GetRateLimit().GetBurst()),
		}
	}
	for _, r := range ap.GetResources() {
		rp := authz.ResourcePolicy{Registry: r.GetRegistry(), Type: protoreflect.FullName(r.GetResourceType()), Provider: r.GetProviderDepartment(), Items: map[string]authz.ItemPolicy{}}
		for _, it := range r.GetItems() {
			rp.Items[it.GetPath()] = authz.ItemPolicy{Class: sharingClass(it.GetSharingClass()), Personal: it.GetPersonal(), Owner: r.GetProviderDepartment()}
		}
		p.Resources[rp.Type] = rp
	}
	for _, g := range ap.GetGrants() {
		p.Grants[g.GetDepartment()] = append(p.Grants[g.GetDepartment()], authz.Grant{
			Name: g.GetName(), Department: g.GetDepartment(), Type: protoreflect.FullName(g.GetResourceType()),
			Items: g.GetItems(), Divisions: g.GetDivisions(),
			Start: g.GetStartTime().AsTime(), Expire: g.GetExpireTime().AsTime(),
		})
	}
	return p
}

func sharingClass(c exchangev1.SharingClass) authz.SharingClass {
	switch c {
	case exchangev1.SharingClass_SHARING_CLASS_UNCONDITIONAL:
		return authz.Unconditional
	case exchangev1.SharingClass_SHARING_CLASS_CONDITIONAL:
		return authz.Conditional
	}
	return authz.NotShared
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
