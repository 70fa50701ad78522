package authz

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/zhbase/zhbase/services/kit/auth"
	"github.com/zhbase/zhbase/services/kit/errs"
	"github.com/zhbase/zhbase/services/kit/server"
)

// AuditEntry is what the enforcer records of every call.
type AuditEntry struct {
	Time     time.Time
	Identity auth.Identity
	Method   string
	// Resources are the names the request asked for and the response
	// returned (at most 100).
	Resources []string
	Code      codes.Code
	// Detail says why a call was refused; never request content.
	Detail string
	// RequestHash is the hex SHA-256 of the request's deterministic
	// encoding: evidence of what was asked without keeping it.
	RequestHash string
}

// Auditor records calls durably; Append returns once the entry is stored.
type Auditor interface {
	Append(ctx context.Context, e AuditEntry) error
}

// PolicySource returns the latest access policy; an error when none has
// been loaded yet, in which case registry calls are refused.
type PolicySource interface {
	Current() (*Policy, error)
}

// Options configure an Enforcer.
type Options struct {
	Verifier *auth.Verifier
	// Registries maps each registry this server hosts to its gRPC service
	// name; their methods are authorised item by item.
	Registries map[string]string
	// Resources describe the registries' resource types.
	Resources []Resource
	Policy    PolicySource
	// Audit records every call but health checks and reflection; nil
	// records nothing (tests of the rules alone).
	Audit Auditor
	// DefaultRate and DefaultBurst limit a department's calls per second
	// on this server when the policy sets no limit of its own.
	DefaultRate  float64
	DefaultBurst int
	Logger       *slog.Logger
	Now          func() time.Time
}

// Enforcer authenticates, rate-limits, authorises, filters and audits
// every call to a server.
type Enforcer struct {
	o         Options
	methods   map[string]*Method
	resources map[protoreflect.FullName]*Resource

	mu       sync.Mutex
	limiters map[string]*limiter
}

type limiter struct {
	*rate.Limiter
	perSecond float64
	burst     int
}

// New builds an Enforcer.
func New(o Options) (*Enforcer, error) {
	if o.Verifier == nil || o.Verifier.Signer == nil {
		return nil, errors.New("authz: a verifier with the cluster key is required")
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DefaultRate <= 0 {
		o.DefaultRate, o.DefaultBurst = 100, 200
	}
	ms, err := Methods(o.Registries, o.Resources)
	if err != nil {
		return nil, err
	}
	e := &Enforcer{o: o, methods: map[string]*Method{}, resources: map[protoreflect.FullName]*Resource{}, limiters: map[string]*limiter{}}
	for i := range ms {
		e.methods[ms[i].FullMethod] = &ms[i]
	}
	// A copy, since the items are cached on it.
	o.Resources = slices.Clone(o.Resources)
	for i := range o.Resources {
		r := &o.Resources[i]
		r.items = r.Items()
		e.resources[r.Type] = r
	}
	return e, nil
}

// anonymous is the rate limiter's key for callers without a valid
// credential; no department code can take it (codes start with a letter).
const anonymous = "(anonymous)"

// exempt methods need no identity and are not audited: load balancers and
// operators' tools must reach them.
func exempt(method string) bool {
	return strings.HasPrefix(method, "/grpc.health.v1.Health/") || strings.HasPrefix(method, "/grpc.reflection.")
}

// call is one call's progress through the enforcer.
type call struct {
	entry  AuditEntry
	method *Method
	viewer *viewer
}

// admit identifies the caller and decides whether the call may proceed.
func (e *Enforcer) admit(ctx context.Context, fullMethod string, req proto.Message) (context.Context, *call, error) {
	c := &call{entry: AuditEntry{Time: e.o.Now().UTC(), Method: fullMethod}, method: e.methods[fullMethod]}
	if req != nil {
		c.entry.Resources, c.entry.RequestHash = requestNames(req), requestHash(req)
	}
	id, err := e.o.Verifier.Identify(ctx)
	if err != nil {
		// Callers without a valid credential share one limit, so that
		// guessing keys costs the exchange and the audit log no more than
		// a department's calls would.
		if lerr := e.limit(ctx, auth.Identity{Department: anonymous}, nil); lerr != nil {
			return ctx, c, lerr
		}
		return ctx, c, err
	}
	c.entry.Identity = id
	ctx = auth.NewContext(ctx, id)
	policy, perr := e.o.Policy.Current()
	if err := e.limit(ctx, id, policy); err != nil {
		return ctx, c, err
	}
	if c.method == nil {
		return ctx, c, nil
	}
	if perr != nil {
		return ctx, c, fmt.Errorf("access policy not loaded yet: %v: %w", perr, errs.ErrUnavailable)
	}
	c.viewer, err = e.authorize(ctx, id, c.method, req, policy)
	return ctx, c, err
}

// refused keeps the enforcer's own reason for a refusal. Only these are
// kept: a handler's error message may quote the request.
func (c *call) refused(err error) {
	msg := err.Error()
	if st, ok := status.FromError(err); ok {
		msg = st.Message()
	}
	c.entry.Detail = truncate(msg, 300)
}

// finish audits the call's outcome. A read that cannot be audited is
// refused (no data leaves unrecorded); a write that was committed is
// answered anyway, since refusing would hide an accepted write from its
// author, and the gap is logged as an error.
func (e *Enforcer) finish(ctx context.Context, c *call, err error) error {
	c.entry.Code = server.CodeOf(err)
	if c.viewer != nil {
		for _, n := range c.viewer.names {
			if len(c.entry.Resources) >= maxAuditNames {
				break
			}
			if !slices.Contains(c.entry.Resources, n) {
				c.entry.Resources = append(c.entry.Resources, n)
			}
		}
	}
	if aerr := e.record(ctx, c.entry); aerr != nil && err == nil && (c.method == nil || c.method.Kind == Read) {
		return aerr
	}
	return err
}

// record appends entry to the audit log, if there is one; a failure is
// logged and returned as unavailable.
func (e *Enforcer) record(ctx context.Context, entry AuditEntry) error {
	if e.o.Audit == nil {
		return nil
	}
	if err := e.o.Audit.Append(context.WithoutCancel(ctx), entry); err != nil {
		e.o.Logger.ErrorContext(ctx, "audit record not stored", "method", entry.Method, "error", err.Error())
		return fmt.Errorf("the call could not be audited: %w", errs.ErrUnavailable)
	}
	return nil
}

// Unary is the enforcer as a unary interceptor.
func (e *Enforcer) Unary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if exempt(info.FullMethod) {
			return handler(ctx, req)
		}
		msg, _ := req.(proto.Message)
		ctx, c, err := e.admit(ctx, info.FullMethod, msg)
		if err != nil {
			c.refused(err)
			return nil, e.finish(ctx, c, err)
		}
		resp, err := handler(ctx, req)
		if err == nil && c.viewer != nil {
			if m, ok := resp.(proto.Message); ok {
				c.viewer.filter(m.ProtoReflect())
			}
		}
		if ferr := e.finish(ctx, c, err); ferr != nil {
			return nil, ferr
		}
		return resp, nil
	}
}

// Stream is the enforcer as a stream interceptor. Server-streaming
// methods are admitted on their one request, and every message sent is
// filtered; the call is audited when the stream ends.
func (e *Enforcer) Stream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if exempt(info.FullMethod) {
			return handler(srv, ss)
		}
		fs := &filteringStream{ServerStream: ss, e: e, method: info.FullMethod, ctx: ss.Context()}
		err := handler(srv, fs)
		if fs.call == nil {
			// The handler never read a request (or reading failed):
			// identify the caller for the record all the same.
			var aerr error
			_, fs.call, aerr = e.admit(ss.Context(), info.FullMethod, nil)
			if aerr != nil {
				fs.call.refused(aerr)
				if err == nil {
					err = aerr
				}
			}
		}
		return e.finish(fs.ctx, fs.call, err)
	}
}

type filteringStream struct {
	grpc.ServerStream
	e        *Enforcer
	method   string
	ctx      context.Context
	call     *call
	admitErr error
}

func (s *filteringStream) Context() context.Context { return s.ctx }

func (s *filteringStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if s.call != nil {
		return nil
	}
	msg, _ := m.(proto.Message)
	ctx, c, err := s.e.admit(s.ServerStream.Context(), s.method, msg)
	s.ctx, s.call, s.admitErr = ctx, c, err
	if err != nil {
		c.refused(err)
		return err
	}
	// A stream sends data long before it ends: its opening is recorded
	// first, so that nothing leaves unrecorded should the closing record
	// never be written.
	opened := c.entry
	opened.Code, opened.Detail = codes.OK, "stream opened"
	s.admitErr = s.e.record(ctx, opened)
	return s.admitErr
}

func (s *filteringStream) SendMsg(m any) error {
	if s.call == nil || s.admitErr != nil {
		return status.Error(codes.PermissionDenied, "the call was not admitted")
	}
	if s.call.viewer != nil {
		if err := s.e.refresh(s.call.viewer); err != nil {
			s.admitErr = err
			s.call.refused(err)
			return err
		}
		if msg, ok := m.(proto.Message); ok {
			s.call.viewer.filter(msg.ProtoReflect())
		}
	}
	return s.ServerStream.SendMsg(m)
}

// refresh brings a long stream's viewer up to the current policy and
// time, so that a revoked or expired grant, or a suspended department,
// stops what an open watch sends as it would a new call.
func (e *Enforcer) refresh(v *viewer) error {
	p, err := e.o.Policy.Current()
	if err != nil {
		return nil // keep the rules the stream was admitted under
	}
	now := e.o.Now()
	if p.Revision == v.policy.Revision && now.Sub(v.now) < time.Second {
		return nil
	}
	if d, ok := p.Departments[v.caller]; !ok || !d.Active {
		return fmt.Errorf("department %s is no longer an active member of the platform: %w", v.caller, errs.ErrPermissionDenied)
	}
	v.policy, v.now = p, now
	clear(v.access)
	return nil
}

// authorize applies the method, object and field rules to a registry
// call and returns the viewer that filters its responses.
func (e *Enforcer) authorize(ctx context.Context, id auth.Identity, m *Method, req proto.Message, p *Policy) (*viewer, error) {
	if id.IsService() {
		// zhbase services act for themselves only to read (reference
		// checks); they never write a registry in their own name.
		if m.Kind == Write {
			return nil, fmt.Errorf("service %s may not write to %s: %w", id.Service, m.Registry, errs.ErrPermissionDenied)
		}
		return nil, nil
	}
	d, ok := p.Departments[id.Department]
	if !ok || !d.Active {
		return nil, fmt.Errorf("department %s is not an active member of the platform: %w", id.Department, errs.ErrPermissionDenied)
	}
	v := &viewer{ctx: ctx, policy: p, caller: id.Department, now: e.o.Now(), resources: e.resources, access: map[protoreflect.FullName]Access{}}
	if m.Kind == Write {
		return v, e.authorizeWrite(v, m, req)
	}
	var personal []string
	anyAccess := false
	for _, t := range m.Types {
		a := v.accessOf(t)
		if !a.Any() {
			continue
		}
		anyAccess = true
		personal = append(personal, p.personalSeen(t, a)...)
		if m.Derived {
			// Totals leak what they sum: only a department that sees every
			// item of every record may compute them.
			if path := p.unseen(t, a); path != "" {
				return nil, fmt.Errorf("%s computes figures over every item of %s; department %s does not see %s in every record: %w", methodVerb(m.FullMethod), t.Name(), id.Department, path, errs.ErrPermissionDenied)
			}
		}
		if r := e.resources[t]; r != nil && req != nil {
			for param, items := range r.Searches {
				if stringField(req.ProtoReflect(), param) == "" {
					continue
				}
				for _, path := range items {
					if !a.Visible[path] {
						return nil, fmt.Errorf("%s searches %s, which department %s does not see in every record: %w", param, path, id.Department, errs.ErrPermissionDenied)
					}
				}
			}
			for _, field := range []string{"filter", "order_by"} {
				if expr := stringField(req.ProtoReflect(), field); expr != "" {
					hidden, err := hiddenReference(field, expr, r, a)
					if err != nil {
						return nil, err
					}
					if hidden != "" {
						return nil, fmt.Errorf("%s may not be used in %s: department %s does not see it for every record: %w", hidden, field, id.Department, errs.ErrPermissionDenied)
					}
				}
			}
		}
	}
	if !anyAccess {
		return nil, fmt.Errorf("no item of %s is shared with department %s; apply for a grant in the catalogue: %w", typeList(m.Types), id.Department, errs.ErrPermissionDenied)
	}
	if len(personal) > 0 && (id.Purpose == "" || id.CaseReference == "") {
		slices.Sort(personal)
		return nil, fmt.Errorf("reading personal data (%s) needs a purpose (事由, Zhbase-Purpose) and a case reference (Zhbase-Case-Reference): %w", strings.Join(personal, ", "), errs.ErrPermissionDenied)
	}
	return v, nil
}

// authorizeWrite lets a department write only the items it owns: the
// items set in a created resource, those named by an update mask, and for
// deletes, renames and merges every item of the record.
func (e *Enforcer) authorizeWrite(v *viewer, m *Method, req proto.Message) error {
	var denied []string
	found := false
	if req != nil {
		mask := maskPaths(req.ProtoReflect())
		walkResources(req.ProtoReflect(), e.resources, func(msg protoreflect.Message, r *Resource) {
			found = true
			a := v.accessOf(r.Type)
			paths := mask
			if len(paths) == 0 {
				paths = setItems(msg, r)
			}
			for _, p := range paths {
				if !owns(a, r, p) && !slices.Contains(denied, p) {
					denied = append(denied, p)
				}
			}
		})
	}
	if !found {
		for _, t := range m.Types {
			a := v.accessOf(t)
			for _, it := range e.resources[t].itemList() {
				if !a.Owned[it.Path] {
					return fmt.Errorf("only the provider of %s may %s: department %s does not own %s: %w", t.Name(), strings.ToLower(methodVerb(m.FullMethod)), v.caller, it.Path, errs.ErrPermissionDenied)
				}
			}
		}
		return nil
	}
	if len(denied) > 0 {
		return fmt.Errorf("department %s may not write %s: only the items' provider may: %w", v.caller, strings.Join(denied, ", "), errs.ErrPermissionDenied)
	}
	return nil
}

// owns reports whether path (an item, or a split field meaning all its
// sub-items) is owned.
func owns(a Access, r *Resource, path string) bool {
	if a.Owned[path] {
		return true
	}
	if !slices.Contains(r.Split, path) {
		return false
	}
	for _, it := range r.itemList() {
		if strings.HasPrefix(it.Path, path+".") && !a.Owned[it.Path] {
			return false
		}
	}
	return true
}

// setItems lists the items a resource message sets.
func setItems(m protoreflect.Message, r *Resource) []string {
	var out []string
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		name := string(fd.Name())
		switch {
		case Metadata[name]:
		case slices.Contains(r.Split, name) && fd.Message() != nil && !fd.IsList():
			v.Message().Range(func(sfd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
				out = append(out, name+"."+string(sfd.Name()))
				return true
			})
		default:
			out = append(out, name)
		}
		return true
	})
	return out
}

func maskPaths(m protoreflect.Message) []string {
	fd := m.Descriptor().Fields().ByName("update_mask")
	if fd == nil || fd.Message() == nil || !m.Has(fd) {
		return nil
	}
	pf := fd.Message().Fields().ByName("paths")
	l := m.Get(fd).Message().Get(pf).List()
	var out []string
	for i := range l.Len() {
		p := l.Get(i).String()
		if Metadata[p] {
			continue
		}
		out = append(out, p)
	}
	return out
}

// walkResources calls fn for every resource message inside m.
func walkResources(m protoreflect.Message, types map[protoreflect.FullName]*Resource, fn func(protoreflect.Message, *Resource)) {
	if r, ok := types[m.Descriptor().FullName()]; ok {
		fn(m, r)
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.Message() == nil || fd.IsMap():
		case fd.IsList():
			for i := range v.List().Len() {
				walkResources(v.List().Get(i).Message(), types, fn)
			}
		default:
			walkResources(v.Message(), types, fn)
		}
		return true
	})
}

func stringField(m protoreflect.Message, name string) string {
	fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
	if fd == nil || fd.Kind() != protoreflect.StringKind || fd.IsList() {
		return ""
	}
	return m.Get(fd).String()
}

// requestNames lists the resource names a request names directly.
func requestNames(req proto.Message) []string {
	var out []string
	m := req.ProtoReflect()
	for _, f := range []string{"name", "parent", "new_name", "target", "names"} {
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(f))
		if fd == nil || fd.Kind() != protoreflect.StringKind {
			continue
		}
		if fd.IsList() {
			l := m.Get(fd).List()
			for i := 0; i < l.Len() && len(out) < maxAuditNames; i++ {
				out = append(out, l.Get(i).String())
			}
		} else if s := m.Get(fd).String(); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func requestHash(req proto.Message) string {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func typeList(ts []protoreflect.FullName) string {
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	slices.Sort(s)
	return strings.Join(s, ", ")
}

func methodVerb(fullMethod string) string {
	name := fullMethod[strings.LastIndexByte(fullMethod, '/')+1:]
	for _, p := range writePrefixes {
		if strings.HasPrefix(name, p) {
			return p
		}
	}
	return name
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// limit applies the department's rate limit. Services are not limited:
// their calls are caused by departments' calls that already were.
func (e *Enforcer) limit(ctx context.Context, id auth.Identity, p *Policy) error {
	if id.IsService() {
		return nil
	}
	perSecond, burst := e.o.DefaultRate, e.o.DefaultBurst
	if p != nil {
		if d, ok := p.Departments[id.Department]; ok && d.RatePerSecond > 0 {
			perSecond, burst = d.RatePerSecond, max(d.Burst, 1)
		}
	}
	e.mu.Lock()
	l, ok := e.limiters[id.Department]
	if !ok || l.perSecond != perSecond || l.burst != burst {
		l = &limiter{Limiter: rate.NewLimiter(rate.Limit(perSecond), burst), perSecond: perSecond, burst: burst}
		e.limiters[id.Department] = l
	}
	e.mu.Unlock()
	now := e.o.Now()
	r := l.ReserveN(now, 1)
	delay := r.DelayFrom(now)
	if r.OK() && delay == 0 {
		return nil
	}
	r.CancelAt(now)
	if !r.OK() {
		delay = time.Second
	}
	secs := int(math.Ceil(delay.Seconds()))
	_ = grpc.SetHeader(ctx, metadata.Pairs(
		"retry-after", strconv.Itoa(secs),
		"x-ratelimit-limit", strconv.FormatFloat(perSecond, 'f', -1, 64),
	))
	st, _ := status.New(codes.ResourceExhausted, fmt.Sprintf("department %s is over its limit of %g calls per second; retry after %ds", id.Department, perSecond, secs)).
		WithDetails(
			&errdetails.ErrorInfo{Reason: "RATE_LIMITED", Domain: server.ErrorDomain, Metadata: map[string]string{"department": id.Department}},
			&errdetails.RetryInfo{RetryDelay: durationpb.New(time.Duration(secs) * time.Second)},
		)
	return st.Err()
}
